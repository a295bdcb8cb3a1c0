/* The data plane's entry points (include/disco/comm.h): argument checks
   that hold for every implementation, then the implementation's table. */
#include <stdint.h>

#include "comm_internal.h"
#include "disco/error.h"

void comm_destroy(Comm *c) {
    if (!c) return;
    /* Freeing requests or a stream with reductions in flight would leave
       MPI or NCCL writing into buffers the caller may free next. */
    comm_wait_all(c);
    c->ops->destroy(c);
}

bool comm_on_device(const Comm *c) { return c->ops->on_device; }

/* Every call returns at once on a count of 0, which makes any buffer,
   NULL included, acceptable there. */
static void check_buffer(const char *call, const void *buffer, size_t count) {
    DISCO_CHECK(buffer, "%s: NULL buffer for %zu floats", call, count);
}

void comm_allreduce_sum(Comm *c, float *buffer, size_t count) {
    if (count == 0) return;
    check_buffer("comm_allreduce_sum", buffer, count);
    c->ops->allreduce_sum(c, buffer, count);
}

static bool overlap(const float *a, size_t a_count, const float *b, size_t b_count) {
    uintptr_t a0 = (uintptr_t)a, a1 = (uintptr_t)(a + a_count), b0 = (uintptr_t)b, b1 = (uintptr_t)(b + b_count);
    return a0 < b1 && b0 < a1;
}

void comm_reduce_scatter_sum(Comm *c, const float *send, float *receive, size_t count) {
    if (count == 0) return;
    check_buffer("comm_reduce_scatter_sum (send)", send, count);
    check_buffer("comm_reduce_scatter_sum (receive)", receive, count);
    DISCO_CHECK(!overlap(send, (size_t)c->world * count, receive, count),
                "comm_reduce_scatter_sum: receive overlaps send (%zu floats per rank)", count);
    c->ops->reduce_scatter_sum(c, send, receive, count);
}

void comm_all_gather(Comm *c, const float *send, float *receive, size_t count) {
    if (count == 0) return;
    check_buffer("comm_all_gather (send)", send, count);
    check_buffer("comm_all_gather (receive)", receive, count);
    bool in_place = send == receive + (size_t)c->rank * count;
    DISCO_CHECK(in_place || !overlap(send, count, receive, (size_t)c->world * count),
                "comm_all_gather: send overlaps receive other than at this rank's slot (rank %d, %zu floats)",
                c->rank, count);
    c->ops->all_gather(c, send, receive, count);
}

void comm_broadcast(Comm *c, float *buffer, size_t count, int root) {
    if (count == 0) return;
    check_buffer("comm_broadcast", buffer, count);
    DISCO_CHECK(root >= 0 && root < c->world, "comm_broadcast: root %d outside a world of %d", root, c->world);
    c->ops->broadcast(c, buffer, count, root);
}

void comm_allreduce_sum_start(Comm *c, float *buffer, size_t count) {
    if (count == 0) return;
    check_buffer("comm_allreduce_sum_start", buffer, count);
    DISCO_CHECK(c->pending < COMM_MAX_PENDING,
                "comm_allreduce_sum_start: %d reductions already pending (comm_wait_all was not called?)",
                c->pending);
    c->ops->allreduce_sum_start(c, buffer, count);
    c->pending++;
}

void comm_wait_all(Comm *c) {
    if (c->pending == 0) return;
    c->ops->wait_all(c);
    c->pending = 0;
}

void comm_follow_stream(Comm *c, void *stream) {
    if (c->ops->follow_stream) c->ops->follow_stream(c, stream);
}

#ifndef DISCO_HAVE_NCCL
Comm *comm_create_nccl(const char **why) {
    *why = "built without NCCL";
    return NULL;
}
#endif
