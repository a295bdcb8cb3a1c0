/* Bucketed gradient all-reduce; see include/disco/grad_reducer.h. Buckets
   are numbered from the top of the buffer: bucket k ends k * bucket_floats
   below the end, and the last one, at offset 0, may be shorter. */
#include "disco/grad_reducer.h"

#include <stdbool.h>
#include <stdlib.h>

#include "disco/error.h"

struct GradReducer {
    Comm *comm;
    float *grads;
    size_t count, bucket_floats;
    int buckets;
    int started; /* buckets started in this backward, from the top */
    bool in_backward;
};

GradReducer *grad_reducer_create(Comm *comm, float *grads, size_t count, size_t bucket_bytes) {
    GradReducer *r = disco_calloc(1, sizeof *r, "gradient reducer");
    r->comm = comm;
    r->grads = grads;
    r->count = count;
    /* A bucket holds whole floats, at least one. */
    size_t floats = bucket_bytes / sizeof(float);
    r->bucket_floats = bucket_bytes == 0 || floats >= count ? count : floats > 0 ? floats : 1;
    size_t buckets = count == 0 ? 0 : (count + r->bucket_floats - 1) / r->bucket_floats;
    DISCO_CHECK(buckets <= COMM_MAX_PENDING,
                "grad_reducer_create: %zu gradients in buckets of %zu bytes make %zu buckets, more than the %d "
                "reductions a comm keeps pending",
                count, bucket_bytes, buckets, COMM_MAX_PENDING);
    r->buckets = (int)buckets;
    return r;
}

void grad_reducer_destroy(GradReducer *r) { free(r); }

int grad_reducer_buckets(const GradReducer *r) { return r->buckets; }
int grad_reducer_started(const GradReducer *r) { return r->started; }

static void on_grads_ready(void *reducer, size_t final_from) { grad_reducer_ready(reducer, final_from); }

void grad_reducer_attach(GradReducer *r, Graph *g) {
    size_t count;
    graph_params(g, &count);
    DISCO_CHECK(graph_param_grads(g) == r->grads && count == r->count,
                "grad_reducer_attach: the graph's gradient buffer (%zu floats) is not the reducer's (%zu floats)",
                count, r->count);
    graph_on_grads_ready(g, on_grads_ready, r);
}

void grad_reducer_begin(GradReducer *r) {
    DISCO_CHECK(!r->in_backward, "grad_reducer_begin: the previous backward was not finished (grad_reducer_finish)");
    r->started = 0;
    r->in_backward = true;
}

static size_t bucket_start(const GradReducer *r, int k) {
    size_t below_end = (size_t)(k + 1) * r->bucket_floats;
    return below_end >= r->count ? 0 : r->count - below_end;
}

static void start_bucket(GradReducer *r) {
    size_t start = bucket_start(r, r->started), end = r->count - (size_t)r->started * r->bucket_floats;
    comm_allreduce_sum_start(r->comm, r->grads + start, end - start);
    r->started++;
}

void grad_reducer_ready(GradReducer *r, size_t final_from) {
    /* A backward outside begin/finish (a gradient accumulation micro-step)
       reduces nothing. */
    if (!r->in_backward) return;
    while (r->started < r->buckets && bucket_start(r, r->started) >= final_from) start_bucket(r);
    /* No MPI_Testall here to move started reductions on. Measured with a
       simulated backward on 2 ranks over shared memory, polling at each
       report changed the step time by less than the noise (about 4%): each
       rank's core is busy computing, and the reduction's copies and sums
       need that core whenever they run, so running them earlier hides
       nothing. A network whose rendezvous waits for the receiver to enter
       MPI may differ: measure there before adding it. */
}

void grad_reducer_finish(GradReducer *r) {
    DISCO_CHECK(r->in_backward, "grad_reducer_finish without grad_reducer_begin");
    while (r->started < r->buckets) start_bucket(r);
    comm_wait_all(r->comm);
    r->in_backward = false;
}
