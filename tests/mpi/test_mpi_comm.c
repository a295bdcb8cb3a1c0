/* The data plane under mpirun (-np 2 and -np 4). Every collective of comm.h
   against sums that each rank computes by itself, at counts that divide
   nothing (0, 1, odd, one past a piece), on three planes: the host comm, a
   host comm that splits each call into pieces of PIECE floats (as it splits
   counts past INT_MAX), and NCCL where every rank has a GPU. The bucketed
   gradient reducer against one blocking all-reduce, its buckets starting
   top-down as a simulated backward reports less and less of the buffer
   unfinished; and the reducer on a real graph's backward against the sum of
   the gradients each rank computes alone.

   Usage: test_mpi_comm SCRATCH_DIR (unused: everything stays in memory). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/dist/comm_internal.h" /* comm_create_host_split */
#include "disco/backend.h"
#include "disco/comm.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/grad_reducer.h"
#include "disco/graph.h"
#include "mpi_suite.h"
#include "testutil.h"

enum { PIECE = 64, MAX_PLANES = 3, GRADS = 1003 };
static const size_t COUNTS[] = {0, 1, 7, PIECE, PIECE + 1, 1001, 12345};
enum { N_COUNTS = sizeof COUNTS / sizeof COUNTS[0] };

/* A comm and the backend whose memory its buffers live in. */
typedef struct {
    const char *name;
    Comm *comm;
    Backend *be;
} Plane;

static Plane planes[MAX_PLANES];
static int n_planes;

/* Small integers, so that sums over ranks are exact in float whatever the
   order MPI or NCCL adds them in. */
static float pattern(size_t i) { return (float)((int)((i * 7919u) % 201u) - 100); }
static float contribution(int rank, size_t i) { return (float)(rank + 1) * pattern(i); }
static float sum_of_rank_factors(void) { return (float)(dist_world() * (dist_world() + 1) / 2); }

/* A host copy and the plane's own memory. */
typedef struct {
    const Plane *p;
    size_t n;
    float *host, *mem;
} Buffer;

static Buffer buffer_new(const Plane *p, size_t n) {
    size_t bytes = (n ? n : 1) * sizeof(float);
    Buffer b = {p, n, disco_malloc(bytes, "test host buffer"), p->be->ops->alloc(p->be, bytes, "test buffer")};
    for (size_t i = 0; i < n; i++) b.host[i] = NAN;
    return b;
}
static void buffer_put(Buffer *b) { b->p->be->ops->upload(b->p->be, b->mem, b->host, b->n * sizeof(float)); }
static void buffer_get(Buffer *b) { b->p->be->ops->download(b->p->be, b->host, b->mem, b->n * sizeof(float)); }
static void buffer_free(Buffer *b) {
    b->p->be->ops->free(b->p->be, b->mem);
    free(b->host);
}

START_TEST(allreduce_sums_every_rank) {
    for (int k = 0; k < n_planes; k++)
        for (int c = 0; c < N_COUNTS; c++) {
            size_t n = COUNTS[c];
            Buffer b = buffer_new(&planes[k], n);
            for (size_t i = 0; i < n; i++) b.host[i] = contribution(dist_rank(), i);
            buffer_put(&b);
            comm_allreduce_sum(planes[k].comm, b.mem, n);
            buffer_get(&b);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(b.host[i] == sum_of_rank_factors() * pattern(i), "%s, %zu floats: [%zu] = %g",
                              planes[k].name, n, i, b.host[i]);
            buffer_free(&b);
        }
}
END_TEST

START_TEST(reduce_scatter_gives_each_rank_its_part_of_the_sum) {
    int world = dist_world(), rank = dist_rank();
    for (int k = 0; k < n_planes; k++)
        for (int c = 0; c < N_COUNTS; c++) {
            size_t n = COUNTS[c];
            Buffer send = buffer_new(&planes[k], (size_t)world * n), receive = buffer_new(&planes[k], n);
            for (size_t j = 0; j < send.n; j++) send.host[j] = contribution(rank, j);
            buffer_put(&send);
            buffer_put(&receive);
            comm_reduce_scatter_sum(planes[k].comm, send.mem, receive.mem, n);
            buffer_get(&receive);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(receive.host[i] == sum_of_rank_factors() * pattern((size_t)rank * n + i),
                              "%s, %zu floats per rank: [%zu] = %g", planes[k].name, n, i, receive.host[i]);
            buffer_free(&send);
            buffer_free(&receive);
        }
}
END_TEST

/* Apart, and in place: each rank's part already at its slot of receive. */
START_TEST(all_gather_puts_every_rank_in_its_slot) {
    int world = dist_world(), rank = dist_rank();
    for (int k = 0; k < n_planes; k++)
        for (int c = 0; c < N_COUNTS; c++)
            for (int in_place = 0; in_place < 2; in_place++) {
                size_t n = COUNTS[c];
                Buffer send = buffer_new(&planes[k], n), all = buffer_new(&planes[k], (size_t)world * n);
                float *mine = in_place ? all.host + (size_t)rank * n : send.host;
                for (size_t i = 0; i < n; i++) mine[i] = contribution(rank, i);
                buffer_put(&send);
                buffer_put(&all);
                comm_all_gather(planes[k].comm, in_place ? all.mem + (size_t)rank * n : send.mem, all.mem, n);
                buffer_get(&all);
                for (int r = 0; r < world; r++)
                    for (size_t i = 0; i < n; i++)
                        ck_assert_msg(all.host[(size_t)r * n + i] == contribution(r, i),
                                      "%s, %zu floats%s: rank %d's [%zu] = %g", planes[k].name, n,
                                      in_place ? " in place" : "", r, i, all.host[(size_t)r * n + i]);
                buffer_free(&send);
                buffer_free(&all);
            }
}
END_TEST

START_TEST(broadcast_copies_the_root) {
    for (int k = 0; k < n_planes; k++)
        for (int c = 0; c < N_COUNTS; c++)
            for (int root = 0; root < dist_world(); root++) {
                size_t n = COUNTS[c];
                Buffer b = buffer_new(&planes[k], n);
                for (size_t i = 0; i < n; i++) b.host[i] = contribution(dist_rank(), i);
                buffer_put(&b);
                comm_broadcast(planes[k].comm, b.mem, n, root);
                buffer_get(&b);
                for (size_t i = 0; i < n; i++)
                    ck_assert_msg(b.host[i] == contribution(root, i), "%s, %zu floats from rank %d: [%zu] = %g",
                                  planes[k].name, n, root, i, b.host[i]);
                buffer_free(&b);
            }
}
END_TEST

/* Every count at once, twice: a wait leaves nothing behind for the next
   round. */
START_TEST(started_reductions_complete_at_wait_all) {
    for (int k = 0; k < n_planes; k++)
        for (int round = 0; round < 2; round++) {
            Buffer b[N_COUNTS];
            for (int c = 0; c < N_COUNTS; c++) {
                b[c] = buffer_new(&planes[k], COUNTS[c]);
                for (size_t i = 0; i < COUNTS[c]; i++) b[c].host[i] = contribution(dist_rank(), i + (size_t)round);
                buffer_put(&b[c]);
                comm_allreduce_sum_start(planes[k].comm, b[c].mem, COUNTS[c]);
            }
            comm_wait_all(planes[k].comm);
            for (int c = 0; c < N_COUNTS; c++) {
                buffer_get(&b[c]);
                for (size_t i = 0; i < COUNTS[c]; i++)
                    ck_assert_msg(b[c].host[i] == sum_of_rank_factors() * pattern(i + (size_t)round),
                                  "%s, round %d, %zu floats: [%zu] = %g", planes[k].name, round, COUNTS[c], i,
                                  b[c].host[i]);
                buffer_free(&b[c]);
            }
        }
}
END_TEST

/* Buckets of bucket_bytes over GRADS floats: whole floats, at least one,
   at most the buffer; 0 = one bucket. */
static size_t floats_per_bucket(size_t bucket_bytes) {
    size_t floats = bucket_bytes / sizeof(float);
    if (bucket_bytes == 0 || floats > GRADS) return GRADS;
    return floats ? floats : 1;
}

/* Buckets that lie wholly in [final_from, GRADS), counted from the top. */
static int buckets_final(size_t final_from, size_t floats, int buckets) {
    return final_from == 0 ? buckets : (int)((GRADS - final_from) / floats);
}

/* One bucket, a bucket smaller than a float, one float, a few floats, two
   buckets with a short one at the bottom, a bucket larger than the buffer. */
START_TEST(reducer_matches_one_allreduce) {
    static const size_t bucket_bytes[] = {0, 2, 4, 100, 4000, 1 << 20};
    for (int k = 0; k < n_planes; k++)
        for (size_t b = 0; b < sizeof bucket_bytes / sizeof bucket_bytes[0]; b++) {
            Comm *comm = planes[k].comm;
            Buffer grads = buffer_new(&planes[k], GRADS), reference = buffer_new(&planes[k], GRADS);
            size_t floats = floats_per_bucket(bucket_bytes[b]);
            GradReducer *r = grad_reducer_create(comm, grads.mem, GRADS, bucket_bytes[b]);
            int buckets = (int)((GRADS + floats - 1) / floats);
            ck_assert_int_eq(grad_reducer_buckets(r), buckets);
            for (int step = 0; step < 2; step++) {
                for (size_t i = 0; i < GRADS; i++) grads.host[i] = contribution(dist_rank(), i + (size_t)step);
                buffer_put(&grads);
                grad_reducer_begin(r);
                /* A backward finishing the buffer from the top in steps that
                   fall anywhere in a bucket. */
                for (size_t from = GRADS;; from -= from < 97 ? from : 97) {
                    grad_reducer_ready(r, from);
                    ck_assert_msg(grad_reducer_started(r) == buckets_final(from, floats, buckets),
                                  "%s, buckets of %zu bytes: %d started with [%zu, %d) final", planes[k].name,
                                  bucket_bytes[b], grad_reducer_started(r), from, GRADS);
                    if (from == 0) break;
                }
                grad_reducer_finish(r);
                /* A backward outside begin/finish starts nothing. */
                grad_reducer_ready(r, 0);
                comm_wait_all(comm);
                buffer_get(&grads);
                for (size_t i = 0; i < GRADS; i++) reference.host[i] = contribution(dist_rank(), i + (size_t)step);
                buffer_put(&reference);
                comm_allreduce_sum(comm, reference.mem, GRADS);
                buffer_get(&reference);
                for (size_t i = 0; i < GRADS; i++)
                    ck_assert_msg(grads.host[i] == reference.host[i], "%s, buckets of %zu bytes, step %d: [%zu] = %g, not %g",
                                  planes[k].name, bucket_bytes[b], step, i, grads.host[i], reference.host[i]);
            }
            grad_reducer_destroy(r);
            buffer_free(&grads);
            buffer_free(&reference);
        }
}
END_TEST

START_TEST(reducer_over_nothing) {
    GradReducer *r = grad_reducer_create(planes[0].comm, NULL, 0, 1024);
    ck_assert_int_eq(grad_reducer_buckets(r), 0);
    grad_reducer_begin(r);
    grad_reducer_ready(r, 0);
    grad_reducer_finish(r);
    grad_reducer_destroy(r);
}
END_TEST

/* Three linear layers and a weighted MSE; `x`, `target` and `weight` are
   filled with this rank's own data. Same seed, so same parameters everywhere. */
static Graph *small_model(void) {
    enum { B = 5, IN = 6, HIDDEN = 16, OUT = 3 };
    Graph *g = graph_create(backend_cpu(), 21);
    int x = graph_input(g, "x", DTYPE_F32, 2, (int[]){B, IN}, false);
    int target = graph_input(g, "target", DTYPE_F32, 2, (int[]){B, OUT}, false);
    int weight = graph_input(g, "weight", DTYPE_F32, 1, (int[]){B}, false);
    const int widths[] = {IN, HIDDEN, HIDDEN, OUT};
    const char *names[] = {"layer0", "layer1", "layer2"};
    int h = x;
    for (int l = 0; l < 3; l++) {
        graph_push_scope(g, names[l]);
        int w = graph_param(g, "weight", 2, (int[]){widths[l + 1], widths[l]},
                            (Init){INIT_UNIFORM_FAN_IN, 1.0f, widths[l]});
        int b = graph_param(g, "bias", 1, (int[]){widths[l + 1]}, (Init){INIT_NORMAL, 0.3f, 0});
        graph_pop_scope(g);
        h = graph_linear(g, h, w, b);
        if (l < 2) h = graph_silu(g, h);
    }
    graph_set_loss(g, graph_weighted_mse(g, h, target, weight));
    graph_compile(g);
    uint32_t tag = 100 * (uint32_t)(dist_rank() + 1);
    fill_normal(graph_data(g, x), graph_numel(g, x), tag, 1.0f);
    fill_normal(graph_data(g, target), graph_numel(g, target), tag + 1, 1.0f);
    fill_uniform(graph_data(g, weight), graph_numel(g, weight), tag + 2, 0.5f, 1.5f);
    return g;
}

typedef struct {
    GradReducer *r;
    bool started_early; /* a bucket began before the backward reached the bottom */
} Recorder;

static void record_ready(void *context, size_t final_from) {
    Recorder *rec = context;
    grad_reducer_ready(rec->r, final_from);
    rec->started_early |= final_from > 0 && grad_reducer_started(rec->r) > 0;
}

START_TEST(reducer_on_a_graph_sums_the_ranks_gradients) {
    Comm *comm = planes[0].comm;
    int world = dist_world();
    Graph *g = small_model();
    size_t n;
    graph_params(g, &n);
    float *grads = graph_param_grads(g);
    graph_forward(g);
    graph_zero_param_grads(g);
    graph_backward(g, 1.0f / 5);
    float *every_rank = disco_malloc((size_t)world * n * sizeof(float), "every rank's gradients");
    comm_all_gather(comm, grads, every_rank, n);
    double *sum = disco_calloc(n, sizeof(double), "summed gradients");
    double *magnitude = disco_calloc(n, sizeof(double), "summed gradient magnitudes");
    for (int r = 0; r < world; r++)
        for (size_t i = 0; i < n; i++) {
            sum[i] += every_rank[(size_t)r * n + i];
            magnitude[i] += fabs(every_rank[(size_t)r * n + i]);
        }

    static const size_t bucket_bytes[] = {0, 64, 256, 1 << 20};
    for (size_t b = 0; b < sizeof bucket_bytes / sizeof bucket_bytes[0]; b++) {
        GradReducer *r = grad_reducer_create(comm, grads, n, bucket_bytes[b]);
        grad_reducer_attach(r, g);
        graph_zero_param_grads(g);
        grad_reducer_begin(r);
        graph_backward(g, 1.0f / 5);
        /* The backward's last report is "everything is final". */
        ck_assert_int_eq(grad_reducer_started(r), grad_reducer_buckets(r));
        grad_reducer_finish(r);
        /* Ranks may add in another order than the loop above. */
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(fabs(grads[i] - sum[i]) <= 4 * FLT_EPSILON * magnitude[i],
                          "buckets of %zu bytes: gradient %zu = %.9g, sum over ranks %.9g", bucket_bytes[b], i,
                          grads[i], sum[i]);
        grad_reducer_destroy(r);
    }

    /* With small buckets, the top ones start while backward still works below. */
    Recorder rec = {.r = grad_reducer_create(comm, grads, n, 64)};
    graph_on_grads_ready(g, record_ready, &rec);
    grad_reducer_begin(rec.r);
    graph_backward(g, 1.0f / 5);
    grad_reducer_finish(rec.r);
    ck_assert(rec.started_early);
    grad_reducer_destroy(rec.r);

    free(sum);
    free(magnitude);
    free(every_rank);
    graph_destroy(g);
}
END_TEST

static bool have_device_plane(void) { return n_planes > 0 && comm_on_device(planes[n_planes - 1].comm); }

START_TEST(nccl_refusal_says_why) {
    if (have_device_plane()) return;
    const char *why = NULL;
    ck_assert_ptr_null(comm_create_nccl(&why));
#ifdef DISCO_HAVE_NCCL
    ck_assert_ptr_nonnull(why);
#else
    ck_assert_str_eq(why, "built without NCCL");
#endif
}
END_TEST

/* Every rank's GPU (device local_rank), or none: the choice is collective. */
static void open_device_plane(void) {
    const char *why = NULL;
    Backend *be = backend_cuda_create(dist_local_rank(), PRECISION_FP32, &why);
    Comm *comm = NULL;
    if (dist_sum_int64(be != NULL) == dist_world()) comm = comm_create_nccl(&why);
    if (!comm) {
        if (dist_rank() == 0)
            printf("SKIP: no CUDA device for the NCCL collectives (rank 0: %s)\n", why ? why : "another rank has none");
        if (be) backend_cuda_destroy(be);
        return;
    }
    comm_follow_stream(comm, backend_cuda_stream(be));
    planes[n_planes++] = (Plane){"NCCL", comm, be};
}

int main(int argc, char **argv) {
    char scratch[1024];
    mpi_suite_begin(&argc, &argv, scratch, sizeof scratch);
    planes[n_planes++] = (Plane){"host", comm_create_host(), backend_cpu()};
    planes[n_planes++] = (Plane){"host in pieces", comm_create_host_split(PIECE), backend_cpu()};
    open_device_plane();

    Suite *s = suite_create("mpi_comm");
    TCase *tc = tcase_create("mpi_comm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, allreduce_sums_every_rank);
    tcase_add_test(tc, reduce_scatter_gives_each_rank_its_part_of_the_sum);
    tcase_add_test(tc, all_gather_puts_every_rank_in_its_slot);
    tcase_add_test(tc, broadcast_copies_the_root);
    tcase_add_test(tc, started_reductions_complete_at_wait_all);
    tcase_add_test(tc, reducer_matches_one_allreduce);
    tcase_add_test(tc, reducer_over_nothing);
    tcase_add_test(tc, reducer_on_a_graph_sums_the_ranks_gradients);
    tcase_add_test(tc, nccl_refusal_says_why);
    suite_add_tcase(s, tc);
    int result = run_suite_in_process(s);

    for (int k = n_planes - 1; k >= 0; k--) {
        comm_destroy(planes[k].comm);
        if (planes[k].be != backend_cpu()) backend_cuda_destroy(planes[k].be);
    }
    dist_finalize();
    return result;
}
