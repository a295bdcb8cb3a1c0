/* Between comm.c, which checks arguments and dispatches, and the
 * implementations (comm_host.c, comm_nccl.c): each embeds Comm as the first
 * member of its own struct and fills one CommOps table. */
#ifndef DISCO_COMM_INTERNAL_H
#define DISCO_COMM_INTERNAL_H

#include "disco/comm.h"

typedef struct {
    bool on_device;
    void (*destroy)(Comm *c);
    void (*allreduce_sum)(Comm *c, float *buffer, size_t count);
    void (*reduce_scatter_sum)(Comm *c, const float *send, float *receive, size_t count);
    /* send == receive + rank * count when in place */
    void (*all_gather)(Comm *c, const float *send, float *receive, size_t count);
    void (*broadcast)(Comm *c, float *buffer, size_t count, int root);
    void (*allreduce_sum_start)(Comm *c, float *buffer, size_t count);
    void (*wait_all)(Comm *c);
    void (*follow_stream)(Comm *c, void *stream);
} CommOps;

struct Comm {
    const CommOps *ops;
    int rank, world;
    int pending; /* reductions started since the last comm_wait_all */
};

/* A host comm that splits every call into pieces of at most max_piece
   floats (MPI counts are int, so comm_create_host uses INT_MAX): tests
   exercise the splitting on small buffers with it. */
Comm *comm_create_host_split(size_t max_piece);

#endif
