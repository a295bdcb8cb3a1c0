/* The data plane: collectives over float buffers of every rank (dist.h is
 * the control plane). Two implementations behind one interface:
 *   - MPI, over host buffers (the CPU backend), with non-blocking
 *     MPI_Iallreduce so a reduction overlaps with the backward still running;
 *   - NCCL, over device buffers, on its own CUDA stream, with the unique id
 *     broadcast over MPI (built when CUDA and NCCL are found).
 * A world of one needs neither: every call is a copy or nothing.
 *
 * Reductions sum. Averaging is the caller's choice of loss scale: trainers
 * seed backward with 1 / global_batch on every rank, so the summed gradient
 * is the gradient of the mean loss over the global batch, the same number a
 * single process computes.
 *
 * Every call is collective: all ranks make the same calls in the same order,
 * and none sits in a branch taken by one rank only. A failing call is fatal
 * (which aborts every rank, dist.h). */
#ifndef DISCO_COMM_H
#define DISCO_COMM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct Comm Comm;

/* Over MPI_COMM_WORLD (or a world of one without MPI). */
Comm *comm_create_host(void);
/* NCCL over the current CUDA device; NULL with *why set when this build has
   no NCCL or there is no device. */
Comm *comm_create_nccl(const char **why);
/* Waits for pending reductions first. Before dist_finalize. */
void comm_destroy(Comm *c);
bool comm_on_device(const Comm *c);

/* A device comm runs on its own stream. After this call each collective
   first waits for the work queued on `stream` (a cudaStream_t, such as
   backend_cuda_stream's) before it was called, so a reduction never reads a
   gradient that the backward is still computing there. Host comms ignore it. */
void comm_follow_stream(Comm *c, void *stream);

/* In place, blocking. */
void comm_allreduce_sum(Comm *c, float *buffer, size_t count);
/* Rank r receives the sum of every rank's send[r * count, (r + 1) * count).
   receive must not overlap send. */
void comm_reduce_scatter_sum(Comm *c, const float *send, float *receive, size_t count);
/* receive[r * count, ...) = rank r's send[0, count). In place when send is
   receive + rank * count; otherwise the two must not overlap. */
void comm_all_gather(Comm *c, const float *send, float *receive, size_t count);
void comm_broadcast(Comm *c, float *buffer, size_t count, int root);

/* Non-blocking all-reduce: started reductions complete, in any order, by
   the next comm_wait_all. At most COMM_MAX_PENDING may be pending. */
#define COMM_MAX_PENDING 1024
void comm_allreduce_sum_start(Comm *c, float *buffer, size_t count);
void comm_wait_all(Comm *c);

#ifdef __cplusplus
}
#endif

#endif
