/* A data set: shards (shards.h) under one global index [0, N), the index
 * sharding.h permutes. Shard s holds the global images
 * [first_s, first_s + count_s), first_s being the sum of the counts before
 * it, in the order the data set's index file lists the shards.
 *
 * On disk a data set is a directory holding index.h5 (the shard file names,
 * their counts, the common shape; docs/formats.md) and the shards; a single
 * shard file is a data set of one shard.
 *
 * Opening validates the index and opens every shard, so reads fail only on
 * damage inside an image. Every error names the file, and the shard's
 * number or the index where there is one. */
#ifndef DISCO_DATASET_H
#define DISCO_DATASET_H

#include <stdint.h>

#include "disco/shards.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DATASET_FORMAT_VERSION 1
#define DATASET_INDEX_NAME "index.h5"

typedef struct Dataset Dataset;

/* path: a directory holding index.h5, or one shard file. Each shard must
   exist, hold the count the index gives it, and have the index's height,
   width, channels and classes. */
Dataset *dataset_open(const char *path);
/* count is the total over all shards. */
const ShardInfo *dataset_info(const Dataset *d);
int dataset_shards(const Dataset *d);
/* The shard holding global image `index` (fatal outside [0, count)), and
   the image's index within it in *local. */
Shard *dataset_locate(const Dataset *d, int64_t index, int64_t *local);
void dataset_read(Dataset *d, int64_t index, uint8_t *image, int32_t *label);
void dataset_close(Dataset *d);

/* Writes DIR/index.h5 for shards already in dir: names relative to dir, in
   global-index order, with their counts; info gives the shape, classes and
   strings (its count is ignored: the counts' sum is written). The file is
   written under a temporary name and renamed, so an index under its real
   name is complete. */
void dataset_write_index(const char *dir, int shards, const char *const *names, const int64_t *counts,
                         const ShardInfo *info);

/* Opens the data set and recomputes every shard's checksums (shard_verify);
   fatal on the first mismatch, naming the shard file. */
void dataset_verify(const char *path);

#ifdef __cplusplus
}
#endif

#endif
