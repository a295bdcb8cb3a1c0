/* Gradient all-reduce in buckets: the flat gradient buffer is cut into
 * contiguous buckets of about bucket_bytes, from the top of the buffer down
 * (the order in which backward finishes them, graph.h). During backward the
 * graph reports how much of the buffer is final; each bucket lying wholly in
 * that part starts its all-reduce at once (comm_allreduce_sum_start), so the
 * communication overlaps with the rest of the backward. grad_reducer_finish
 * starts what is left and waits for everything.
 *
 * The result is the sum over ranks (see comm.h for the averaging convention). */
#ifndef DISCO_GRAD_REDUCER_H
#define DISCO_GRAD_REDUCER_H

#include <stddef.h>

#include "disco/comm.h"
#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct GradReducer GradReducer;

/* PyTorch DDP's default. On 2 CPU ranks over shared memory, buckets of 4,
   25 and 64 MiB all reach the bus bandwidth of one MPI_Allreduce of the
   whole buffer (docs/benchmarks.md); over a network each message also pays
   a latency, which a few large buckets pay least often. */
#define GRAD_REDUCER_BUCKET_BYTES ((size_t)25 << 20)

/* Buckets over grads[0, count); bucket_bytes 0 means one bucket. */
GradReducer *grad_reducer_create(Comm *comm, float *grads, size_t count, size_t bucket_bytes);
void grad_reducer_destroy(GradReducer *r);
int grad_reducer_buckets(const GradReducer *r);
/* Buckets started since grad_reducer_begin: always the topmost ones. */
int grad_reducer_started(const GradReducer *r);

/* Installs the reducer on g's backward (graph_on_grads_ready); g's gradient
   buffer must be the reducer's. */
void grad_reducer_attach(GradReducer *r, Graph *g);
/* Before each backward. */
void grad_reducer_begin(GradReducer *r);
/* Everything at offsets >= final_from is final: start those buckets. */
void grad_reducer_ready(GradReducer *r, size_t final_from);
/* After backward: start the remaining buckets and wait for all. */
void grad_reducer_finish(GradReducer *r);

#ifdef __cplusplus
}
#endif

#endif
