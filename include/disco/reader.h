/* Prefetching batch reader: a background thread reads this rank's part of
 * each global batch (sharding.h) from a shard ahead of the training loop.
 *
 * For now it reads ONE shard file, whose images are the whole global index
 * [0, N); a data set spread over several shards, with one global index
 * across them, comes later.
 *
 * The thread fills a ring of prefetch_batches + 1 batches allocated at open
 * (the one the consumer holds plus prefetch_batches ahead of it), so no
 * memory is allocated per batch. The batch reader_next returns stays valid
 * until the next reader_next or reader_close.
 *
 * Pixels become floats here, on the host: x / 127.5f - 1, so 0 -> -1 and
 * 255 -> 1 exactly. With hflip, image i at position p of the global sequence
 * is mirrored left-right when bit 31 of the Philox draw
 *   rng_u32(&(RngKey){.seed = seed, .stream = READER_FLIP_STREAM,
 *                     .step = p / epoch_len, .index = i}, 0)
 * is set: a function of the image and its epoch only, so every world size
 * flips the same images, and an image is flipped afresh each epoch.
 *
 * The batches are exactly those that sharding_batch + shard_read + the
 * conversion above give synchronously, whatever the prefetch depth.
 *
 * Errors: reader_open validates the shard on the calling thread. A read
 * error on the worker thread (the file changed underneath) ends the process
 * through DISCO_FATAL, like every other I/O error.
 *
 * HDF5 is built thread-safe with one global lock, so the worker's reads
 * serialise with any other HDF5 call in the process (a checkpoint write, a
 * second reader): those calls wait for at most one image read. */
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
    bool hflip;
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

/* The first batch is the global batch at start_cursor; each next one is at
   sharding_next of the previous. */
BatchReader *reader_open(const char *shard_path, const ReaderConfig *config, uint64_t start_cursor);
const ReaderBatch *reader_next(BatchReader *r);
/* Stops the thread (once the batch it is filling is done) and frees everything. */
void reader_close(BatchReader *r);

#ifdef __cplusplus
}
#endif

#endif
