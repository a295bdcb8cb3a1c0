/* Prefetching batch reader: worker threads read this rank's part of each
 * global batch (sharding.h) from a data set (dataset.h: a directory of
 * shards under one global index, or a single shard file) ahead of the
 * training loop.
 *
 * The workers fill a ring of prefetch_batches + 1 batches allocated at open
 * (the one the consumer holds plus prefetch_batches ahead of it), so no
 * memory is allocated per batch. Batches are numbered from start_cursor;
 * with W workers, worker w fills batches n = w, w + W, w + 2W, ... each
 * once its slot is free, and reader_next returns them strictly in order.
 * The batch reader_next returns stays valid until the next reader_next or
 * reader_close. Workers beyond prefetch_batches + 1 would only wait.
 *
 * Why threads help although HDF5's thread-safe build runs one call at a
 * time in the whole process: workers take turns at HDF5 only to copy
 * images' stored bytes (shard_read_raw, 16 images a turn); inflating them
 * (shard_unpack) and the conversion below run outside HDF5, in parallel
 * with the other workers. Deflated data sets gain most; uncompressed ones,
 * cheap to read, little. Other HDF5 calls of the process (a checkpoint
 * write) wait for at most one HDF5 call of a worker at a time.
 *
 * Pixels become floats here, in the workers, on the host: x / 127.5f - 1,
 * so 0 -> -1 and 255 -> 1 exactly. With hflip, image i at position p of the
 * global sequence is mirrored left-right when bit 31 of the Philox draw
 *   rng_u32(&(RngKey){.seed = seed, .stream = READER_FLIP_STREAM,
 *                     .step = p / epoch_len, .index = i}, 0)
 * is set: a function of the image and its epoch only, so every world size
 * flips the same images, and an image is flipped afresh each epoch.
 *
 * The batches are exactly those that sharding_batch + dataset_read + the
 * conversion above give synchronously, whatever the number of workers and
 * the prefetch depth.
 *
 * Errors: reader_open validates the data set (every shard) on the calling
 * thread. A read error on a worker (a damaged chunk, the file changed
 * underneath) ends the process through DISCO_FATAL, naming the shard file
 * and the image's index in it, like every other I/O error. */
#ifndef DISCO_READER_H
#define DISCO_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "disco/rng.h"
#include "disco/sharding.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flips draw from their own purpose, apart from the epoch permutation. */
#define READER_FLIP_STREAM RNG_STREAM_AUGMENT

typedef struct {
    int global_batch, world, rank;
    ShardLast last;
    uint64_t seed;        /* the data order and the flips */
    int prefetch_batches; /* >= 1 */
    int workers;          /* >= 1 prefetch threads */
    bool hflip;
    bool pinned;          /* batch images in page-locked memory (host_alloc_pinned), for copies to a GPU */
} ReaderConfig;

typedef struct {
    int count;               /* local_batch images */
    int height, width, channels;
    float *images;           /* [count, height, width, channels] in [-1, 1] */
    int32_t *labels;         /* [count] */
    int64_t *indices;        /* [count] global image indices, as sharding_batch gives them */
    uint64_t cursor;         /* the global batch's cursor */
} ReaderBatch;

typedef struct BatchReader BatchReader;

/* dataset_path as dataset_open takes it. The first batch is the global
   batch at start_cursor; each next one is at sharding_next of the previous. */
BatchReader *reader_open(const char *dataset_path, const ReaderConfig *config, uint64_t start_cursor);
const ReaderBatch *reader_next(BatchReader *r);
/* Stops the workers (each once the batch it is filling is done) and frees everything. */
void reader_close(BatchReader *r);

#ifdef __cplusplus
}
#endif

#endif
