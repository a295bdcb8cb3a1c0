/* The order in which a training loop visits a data set: an endless sequence
 * of epochs, each a Fisher-Yates shuffle keyed by (seed, data order, epoch).
 * The sample at a position is a pure function of the seed and the position,
 * whatever the batch size, so a run can be resumed or re-batched exactly. */
#ifndef DISCO_SHUFFLE_H
#define DISCO_SHUFFLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t seed;
    int count, epoch; /* epoch: the one `order` holds; -1 before the first */
    int *order;
} SampleOrder;

SampleOrder sample_order_create(int count, uint64_t seed);
void sample_order_free(SampleOrder *s);
/* The sample index at a position of the sequence; reshuffles when the
   position enters another epoch. */
int sample_order_at(SampleOrder *s, uint64_t position);

#ifdef __cplusplus
}
#endif

#endif
