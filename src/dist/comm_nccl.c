/* NCCL collectives over device buffers (include/disco/comm.h) on a stream
   of the comm's own. Built only when CUDA and NCCL are found; comm.c says
   "built without NCCL" otherwise. */
#include <cuda_runtime.h>
#include <nccl.h>
#include <sched.h>
#include <stdlib.h>

#include "comm_internal.h"
#include "disco/dist.h"
#include "disco/error.h"

typedef struct {
    Comm base;
    ncclComm_t nccl;
    cudaStream_t stream;
    cudaStream_t producer; /* comm_follow_stream's; NULL orders after nothing */
    cudaEvent_t produced;  /* the producer's work up to the latest collective */
} NcclComm;

static NcclComm *nccl_of(Comm *c) { return (NcclComm *)c; }

static void check_cuda(cudaError_t e, const char *call) {
    if (e != cudaSuccess) DISCO_FATAL("%s failed: %s", call, cudaGetErrorString(e));
}

static void check_nccl(const NcclComm *m, ncclResult_t r, const char *call) {
    if (r != ncclSuccess)
        DISCO_FATAL("%s failed on rank %d of %d: %s (%s)", call, m->base.rank, m->base.world, ncclGetErrorString(r),
                    ncclGetLastError(m->nccl));
}

/* A collective that fails on the device (a peer lost, a network error) is
   reported here rather than by its call. Its kernels may never finish, so
   the communicator is aborted, which ends them, before the error is. */
static void check_async(NcclComm *m) {
    ncclResult_t async = ncclSuccess;
    check_nccl(m, ncclCommGetAsyncError(m->nccl, &async), "ncclCommGetAsyncError");
    if (async == ncclSuccess) return;
    ncclCommAbort(m->nccl);
    DISCO_FATAL("an NCCL collective failed on rank %d of %d: %s", m->base.rank, m->base.world,
                ncclGetErrorString(async));
}

/* The stream for the next collective, made to wait for what the producer
   has queued so far. */
static cudaStream_t stream_after_producer(NcclComm *m) {
    if (m->producer) {
        check_cuda(cudaEventRecord(m->produced, m->producer), "cudaEventRecord (producer stream)");
        check_cuda(cudaStreamWaitEvent(m->stream, m->produced, 0), "cudaStreamWaitEvent (NCCL stream)");
    }
    return m->stream;
}

/* NCCL ops on one stream complete in order, so waiting for the stream waits
   for every started reduction. Polled rather than cudaStreamSynchronize,
   which would never return from a collective whose peer failed. */
static void nccl_wait_all(Comm *c) {
    NcclComm *m = nccl_of(c);
    for (;;) {
        cudaError_t e = cudaStreamQuery(m->stream);
        if (e == cudaSuccess) return;
        if (e != cudaErrorNotReady) check_cuda(e, "cudaStreamQuery (NCCL stream)");
        check_async(m);
        sched_yield();
    }
}

static void nccl_allreduce_sum_start(Comm *c, float *buffer, size_t count) {
    NcclComm *m = nccl_of(c);
    check_nccl(m, ncclAllReduce(buffer, buffer, count, ncclFloat, ncclSum, m->nccl, stream_after_producer(m)),
               "ncclAllReduce");
}

static void nccl_allreduce_sum(Comm *c, float *buffer, size_t count) {
    nccl_allreduce_sum_start(c, buffer, count);
    nccl_wait_all(c);
}

static void nccl_reduce_scatter_sum(Comm *c, const float *send, float *receive, size_t count) {
    NcclComm *m = nccl_of(c);
    check_nccl(m, ncclReduceScatter(send, receive, count, ncclFloat, ncclSum, m->nccl, stream_after_producer(m)),
               "ncclReduceScatter");
    nccl_wait_all(c);
}

/* In place exactly when send == receive + rank * count, as comm.h says. */
static void nccl_all_gather(Comm *c, const float *send, float *receive, size_t count) {
    NcclComm *m = nccl_of(c);
    check_nccl(m, ncclAllGather(send, receive, count, ncclFloat, m->nccl, stream_after_producer(m)), "ncclAllGather");
    nccl_wait_all(c);
}

static void nccl_broadcast(Comm *c, float *buffer, size_t count, int root) {
    NcclComm *m = nccl_of(c);
    check_nccl(m, ncclBroadcast(buffer, buffer, count, ncclFloat, root, m->nccl, stream_after_producer(m)),
               "ncclBroadcast");
    nccl_wait_all(c);
}

static void nccl_follow_stream(Comm *c, void *stream) { nccl_of(c)->producer = (cudaStream_t)stream; }

static void nccl_destroy(Comm *c) {
    NcclComm *m = nccl_of(c);
    ncclResult_t async = ncclSuccess;
    check_nccl(m, ncclCommGetAsyncError(m->nccl, &async), "ncclCommGetAsyncError");
    /* After a failed collective the peers may never finish theirs: a
       destroy would wait for them, an abort does not. */
    if (async != ncclSuccess)
        check_nccl(m, ncclCommAbort(m->nccl), "ncclCommAbort");
    else
        check_nccl(m, ncclCommDestroy(m->nccl), "ncclCommDestroy");
    check_cuda(cudaEventDestroy(m->produced), "cudaEventDestroy");
    check_cuda(cudaStreamDestroy(m->stream), "cudaStreamDestroy");
    free(m);
}

static const CommOps nccl_ops = {
    .on_device = true,
    .destroy = nccl_destroy,
    .allreduce_sum = nccl_allreduce_sum,
    .reduce_scatter_sum = nccl_reduce_scatter_sum,
    .all_gather = nccl_all_gather,
    .broadcast = nccl_broadcast,
    .allreduce_sum_start = nccl_allreduce_sum_start,
    .wait_all = nccl_wait_all,
    .follow_stream = nccl_follow_stream,
};

Comm *comm_create_nccl(const char **why) {
    int devices = 0;
    bool usable = cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0;
    /* All ranks go on or none: the ones that went on would wait for the
       others in ncclCommInitRank forever. */
    if (dist_sum_int64(usable) < dist_world()) {
        *why = usable ? "another rank has no CUDA device" : "no CUDA device";
        return NULL;
    }
    NcclComm *m = disco_calloc(1, sizeof *m, "NCCL comm");
    m->base = (Comm){.ops = &nccl_ops, .rank = dist_rank(), .world = dist_world()};
    ncclUniqueId id;
    if (m->base.rank == 0) check_nccl(m, ncclGetUniqueId(&id), "ncclGetUniqueId");
    dist_broadcast(&id, sizeof id, 0);
    /* Non-blocking: the legacy default stream's work never holds it up. */
    check_cuda(cudaStreamCreateWithFlags(&m->stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags (NCCL stream)");
    check_cuda(cudaEventCreateWithFlags(&m->produced, cudaEventDisableTiming), "cudaEventCreateWithFlags");
    check_nccl(m, ncclCommInitRank(&m->nccl, m->base.world, id, m->base.rank), "ncclCommInitRank");
    return &m->base;
}
