/* Shards and data set directories for tests, whose images encode their
   global index so that an image read from the wrong shard or offset shows. */
#ifndef DISCO_DATASET_FIXTURE_H
#define DISCO_DATASET_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int height, width, channels, classes;
    int deflate; /* shard_writer_open's deflate level */
    uint8_t (*pixel)(int64_t index, int k); /* byte k of global image `index` */
    int32_t (*label)(int64_t index);
} FixtureImages;

/* One shard holding global images [first, first + count). */
void fixture_write_shard(const char *path, const FixtureImages *images, int64_t first, int64_t count);
/* Creates the directory dir holding shard-00000.h5, ... with counts[s]
   images each, global images 0, 1, ... in order, and their index.h5. */
void fixture_write_dataset(const char *dir, const FixtureImages *images, int shards, const int64_t *counts);
/* path receives dir/shard-0000s.h5. */
void fixture_shard_path(char *path, size_t size, const char *dir, int s);

#endif
