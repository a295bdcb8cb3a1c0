/* Global sample order and per-rank slices; see include/disco/sharding.h. */
#include "disco/sharding.h"

#include <stdlib.h>

#include "disco/error.h"
#include "disco/rng.h"

ShardingPlan sharding_create(int64_t count, int global_batch, int world, int rank, uint64_t seed, ShardLast last) {
    /* The shuffle maps 32 random bits onto [0, i], so N must fit in 32 bits. */
    DISCO_CHECK(count > 0 && count <= (int64_t)UINT32_MAX, "sharding: %lld images; need 1 to %u",
                (long long)count, UINT32_MAX);
    DISCO_CHECK(world >= 1 && rank >= 0 && rank < world, "sharding: rank %d is outside a world of %d", rank, world);
    DISCO_CHECK(global_batch >= 1 && global_batch % world == 0,
                "sharding: global batch %d is not divisible by the world size %d", global_batch, world);
    uint64_t n = (uint64_t)count, b = (uint64_t)global_batch;
    uint64_t epoch_len = last == SHARD_DROP ? n / b * b : n;
    DISCO_CHECK(epoch_len > 0, "sharding: dropping the last partial batch leaves nothing: %lld images < batch %d",
                (long long)count, global_batch);
    return (ShardingPlan){.count = count, .global_batch = global_batch, .world = world, .rank = rank,
                          .local_batch = global_batch / world, .seed = seed, .epoch_len = epoch_len, .epoch = -1,
                          .order = disco_malloc((size_t)n * sizeof(uint32_t), "sharding order")};
}

void sharding_free(ShardingPlan *p) {
    free(p->order);
    p->order = NULL;
}

/* The same key and multiply-shift draw as shuffle.c, so both give one order. */
static void shuffle_epoch(ShardingPlan *p, int64_t epoch) {
    RngKey key = {.seed = p->seed, .stream = RNG_STREAM_DATA_ORDER, .step = (uint32_t)epoch};
    for (uint32_t i = 0; i < (uint32_t)p->count; i++) p->order[i] = i;
    for (uint64_t i = (uint64_t)p->count - 1; i > 0; i--) {
        uint64_t j = ((uint64_t)rng_u32(&key, i) * (i + 1)) >> 32;
        uint32_t t = p->order[i];
        p->order[i] = p->order[j], p->order[j] = t;
    }
    p->epoch = epoch;
}

int64_t sharding_at(ShardingPlan *p, uint64_t position) {
    int64_t epoch = (int64_t)(position / p->epoch_len);
    if (epoch != p->epoch) shuffle_epoch(p, epoch);
    return p->order[position % p->epoch_len];
}

void sharding_batch(ShardingPlan *p, uint64_t cursor, int64_t *indices) {
    for (int k = 0; k < p->local_batch; k++)
        indices[k] = sharding_at(p, cursor + (uint64_t)p->rank + (uint64_t)k * (uint64_t)p->world);
}
