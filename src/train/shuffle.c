/* Per-epoch data order; see include/disco/shuffle.h. */
#include "disco/shuffle.h"

#include <stdlib.h>

#include "disco/error.h"
#include "disco/rng.h"

SampleOrder sample_order_create(int count, uint64_t seed) {
    DISCO_CHECK(count > 0, "sample order: the data set is empty");
    return (SampleOrder){.seed = seed, .count = count, .epoch = -1,
                         .order = disco_malloc((size_t)count * sizeof(int), "sample order")};
}

void sample_order_free(SampleOrder *s) {
    free(s->order);
    s->order = NULL;
}

static void shuffle_epoch(SampleOrder *s, int epoch) {
    RngKey key = {.seed = s->seed, .stream = RNG_STREAM_DATA_ORDER, .step = (uint32_t)epoch};
    for (int i = 0; i < s->count; i++) s->order[i] = i;
    for (int i = s->count - 1; i > 0; i--) {
        /* Multiply-shift maps 32 random bits onto [0, i]; its bias, below
           i / 2^32, is far under anything a training run could notice. */
        int j = (int)(((uint64_t)rng_u32(&key, (uint64_t)i) * (uint64_t)(i + 1)) >> 32);
        int t = s->order[i];
        s->order[i] = s->order[j], s->order[j] = t;
    }
    s->epoch = epoch;
}

int sample_order_at(SampleOrder *s, uint64_t position) {
    int epoch = (int)(position / (uint64_t)s->count);
    if (epoch != s->epoch) shuffle_epoch(s, epoch);
    return s->order[position % (uint64_t)s->count];
}
