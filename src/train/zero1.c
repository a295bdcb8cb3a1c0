/* ZeRO stage 1: Adam on this rank's slice; see include/disco/zero1.h. */
#include "disco/zero1.h"

#include <stdlib.h>
#include <string.h>

#include "disco/dist.h"
#include "disco/error.h"

struct Zero1 {
    Comm *comm;
    size_t count, slice;
    int rank;
    /* W * slice floats: the gradients going out, then the parameters coming
       back. Past count it is padding: zero from calloc, and zero again in
       every all-gather, since each rank's padded parameters stay zero. */
    float *staged;
    float *slice_grads; /* the sum over ranks of this rank's slice */
    Adam *adam;
};

Zero1 *zero1_create(Comm *comm, size_t count) {
    DISCO_CHECK(!comm_on_device(comm), "zero1_create: Adam runs on host memory, and the comm reduces device buffers");
    DISCO_CHECK(count > 0, "zero1_create: no parameters to update");
    Zero1 *z = disco_calloc(1, sizeof *z, "ZeRO-1 state");
    size_t world = (size_t)dist_world();
    *z = (Zero1){.comm = comm, .count = count, .slice = (count + world - 1) / world, .rank = dist_rank()};
    z->staged = disco_calloc(world * z->slice, sizeof(float), "ZeRO-1 staging buffer");
    z->slice_grads = disco_calloc(z->slice, sizeof(float), "ZeRO-1 gradient slice");
    z->adam = adam_create(z->slice);
    return z;
}

void zero1_destroy(Zero1 *z) {
    if (!z) return;
    adam_destroy(z->adam);
    free(z->slice_grads);
    free(z->staged);
    free(z);
}

Adam *zero1_adam(Zero1 *z) { return z->adam; }

/* Parameters of this rank's slice that lie before the padding. */
static size_t owned_count(const Zero1 *z) {
    size_t start = (size_t)z->rank * z->slice;
    if (start >= z->count) return 0;
    return z->count - start < z->slice ? z->count - start : z->slice;
}

/* The staging buffer's padding stays zero: so are the padded moments. */
void zero1_gather_moments(Zero1 *z, float *m, float *v) {
    comm_all_gather(z->comm, z->adam->m, z->staged, z->slice);
    memcpy(m, z->staged, z->count * sizeof(float));
    comm_all_gather(z->comm, z->adam->v, z->staged, z->slice);
    memcpy(v, z->staged, z->count * sizeof(float));
}

void zero1_load_moments(Zero1 *z, const float *m, const float *v, uint64_t step) {
    size_t start = (size_t)z->rank * z->slice;
    size_t owned = owned_count(z);
    memset(z->adam->m, 0, z->slice * sizeof(float));
    memset(z->adam->v, 0, z->slice * sizeof(float));
    memcpy(z->adam->m, m + start, owned * sizeof(float));
    memcpy(z->adam->v, v + start, owned * sizeof(float));
    z->adam->step = step;
}

void zero1_step(Zero1 *z, float *params, const float *grads, float lr) {
    size_t start = (size_t)z->rank * z->slice;
    size_t owned = owned_count(z);
    float *mine = z->staged + start;
    memcpy(z->staged, grads, z->count * sizeof(float));
    comm_reduce_scatter_sum(z->comm, z->staged, z->slice_grads, z->slice);
    memcpy(mine, params + start, owned * sizeof(float));
    adam_step(z->adam, mine, z->slice_grads, lr);
    comm_all_gather(z->comm, mine, z->staged, z->slice);
    memcpy(params, z->staged, z->count * sizeof(float));
}
