/* ZeRO stage 1 (Rajbhandari et al., 2020): Adam's moments split over the
 * ranks. Each rank owns one contiguous slice of the flat parameters and
 * keeps moments for that slice only, 2/W of the memory full Adam needs. A
 * step reduce-scatters the gradients (each rank receives the sum over ranks
 * of its slice), runs Adam on the slice, and all-gathers the parameters:
 * every rank ends with the parameters that an all-reduce followed by full
 * Adam gives. Off by default; a trainer uses it instead of the reducer and
 * Adam.
 *
 * Slices are ceil(count / W) floats, rank r's starting at r * slice. When W
 * does not divide count, the last slices reach past the end into padding
 * whose gradients and parameters are zero and stay zero (Adam does not move
 * a parameter whose gradients are all zero); a staging buffer of W * slice
 * floats holds it. Host buffers, host comm (adam.h). */
#ifndef DISCO_ZERO1_H
#define DISCO_ZERO1_H

#include <stddef.h>
#include <stdint.h>

#include "disco/adam.h"
#include "disco/comm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct Zero1 Zero1;

Zero1 *zero1_create(Comm *comm, size_t count);
void zero1_destroy(Zero1 *z);
/* One update from this rank's own gradients (count floats, left as they
   are); params is updated in place, the same on every rank afterwards. */
void zero1_step(Zero1 *z, float *params, const float *grads, float lr);
/* Adam over this rank's slice, which starts at rank * adam->n (moments and
   step count, for a checkpoint). */
Adam *zero1_adam(Zero1 *z);
/* Collective: every rank's slice of the moments, put together into m and v
   (count floats each), as full Adam would hold them: for a checkpoint. */
void zero1_gather_moments(Zero1 *z, float *m, float *v);
/* Takes this rank's slice of full moments (from a checkpoint) and Adam's step. */
void zero1_load_moments(Zero1 *z, const float *m, const float *v, uint64_t step);

#ifdef __cplusplus
}
#endif

#endif
