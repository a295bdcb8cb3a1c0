/* Which images each rank trains on, independent of the world size.
 *
 * A data set is N images under one global index [0, N) that runs over all
 * its shards. Epoch e is one permutation of [0, N): a Fisher-Yates shuffle
 * keyed by (seed, RNG_STREAM_DATA_ORDER, step = e), the same on every rank
 * (single-process loops use it with world 1 too). The global sequence is
 * epoch 0's permutation, then epoch 1's, and so on.
 *
 * The cursor is the number of images consumed globally, i.e. a position in
 * that sequence. The global batch starting at cursor c covers positions
 * [c, c + B); rank r of W takes positions c + r, c + r + W, c + r + 2W, ...
 * so its B / W images interleave with the other ranks'. At step boundaries c
 * is a multiple of B, and since the cursor and not the rank's history decides
 * everything, a run resumed at cursor c with another W continues exactly the
 * global sequence that 1 rank would have seen.
 *
 * The last batch of an epoch, when B does not divide N:
 *   SHARD_WRAP  the sequence runs on into the next epoch, so one batch may
 *               straddle two epochs; every image is seen once per epoch.
 *   SHARD_DROP  each epoch contributes only its first floor(N / B) * B
 *               positions; the rest of its permutation is skipped (those
 *               images wait for a later epoch) and batches never straddle.
 *               Skipped images are not consumed: the cursor does not count
 *               them. Needs N >= B. */
#ifndef DISCO_SHARDING_H
#define DISCO_SHARDING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { SHARD_WRAP = 0, SHARD_DROP = 1 } ShardLast;

typedef struct {
    int64_t count;           /* N */
    int global_batch, world, rank;
    int local_batch;         /* global_batch / world: the indices sharding_batch writes */
    uint64_t seed;
    uint64_t epoch_len;      /* positions each epoch contributes: N, or floor(N / B) * B with SHARD_DROP */
    int64_t epoch;           /* the epoch `order` holds; -1 before the first */
    uint32_t *order;         /* that epoch's permutation, N entries */
} ShardingPlan;

/* Fatal, with a message naming the values, when global_batch is not
   divisible by world, rank is outside [0, world), N is 0 or above 2^32 - 1,
   or SHARD_DROP leaves no full batch. */
ShardingPlan sharding_create(int64_t count, int global_batch, int world, int rank, uint64_t seed, ShardLast last);
void sharding_free(ShardingPlan *p);

/* The image at a position of the global sequence; reshuffles (O(N), no
   allocation) only when the position enters another epoch. */
int64_t sharding_at(ShardingPlan *p, uint64_t position);
/* This rank's local_batch images of the global batch starting at cursor. */
void sharding_batch(ShardingPlan *p, uint64_t cursor, int64_t *indices);

static inline uint64_t sharding_next(const ShardingPlan *p, uint64_t cursor) {
    return cursor + (uint64_t)p->global_batch;
}
/* The epoch that the image at cursor belongs to, for logs and schedules. */
static inline uint64_t sharding_epoch(const ShardingPlan *p, uint64_t cursor) { return cursor / p->epoch_len; }

#ifdef __cplusplus
}
#endif

#endif
