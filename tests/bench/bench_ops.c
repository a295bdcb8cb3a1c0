/* Throughput of the CPU linear and conv2d ops, forward and backward, at the
   ImageNet-64 ADM U-Net's shapes (batch 8), as a fraction of the rate OpenBLAS
   reaches on a large square SGEMM in the same run: the ratio says how much of
   the machine's GEMM speed the ops' im2col, chunking and bias work keep.
   FLOPs are 2*M*N*K per GEMM: one GEMM forward, two backward (dx and dw).
   The last column compares the forward with one bare SGEMM of its shape, which
   isolates what the op adds around the GEMM (im2col, bias) from how well
   OpenBLAS handles that shape. Not a test; prints a markdown table. */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "disco/timer.h"
#include "testutil.h"

enum { REPEATS = 5 }; /* each timing is the best of these, after one warm-up */

typedef struct {
    const char *label;
    bool linear; /* linear over batch*height*width rows; otherwise conv2d */
    Conv2dShape s;
} Case;

static const Case cases[] = {
    {"conv3x3 16x16, 576->576", false, {.batch = 8, .height = 16, .width = 16, .in_channels = 576, .out_channels = 576, .kernel = 3}},
    {"conv3x3 8x8, 768->768", false, {.batch = 8, .height = 8, .width = 8, .in_channels = 768, .out_channels = 768, .kernel = 3}},
    {"conv3x3 32x32, 384->384", false, {.batch = 8, .height = 32, .width = 32, .in_channels = 384, .out_channels = 384, .kernel = 3}},
    {"conv3x3 64x64, 192->192", false, {.batch = 8, .height = 64, .width = 64, .in_channels = 192, .out_channels = 192, .kernel = 3}},
    {"conv1x1 16x16, 576->576", false, {.batch = 8, .height = 16, .width = 16, .in_channels = 576, .out_channels = 576, .kernel = 1}},
    {"linear qkv, 576->1728", true, {.batch = 8, .height = 16, .width = 16, .in_channels = 576, .out_channels = 1728, .kernel = 1}},
};

typedef struct {
    Backend *be;
    const Case *c;
    int rows, in, out; /* the GEMM: in is the patch length for a 3x3 conv */
    float *x, *w, *b, *y, *dx, *dw, *db, *dy;
    float *gemm_a; /* [rows, in]: what the forward GEMM reads after im2col */
    void *workspace;
} Bench;

static float *random_buffer(Backend *be, size_t n, uint32_t tag) {
    float *p = be->ops->alloc(be, n * sizeof(float), "bench buffer");
    fill_normal(p, n, tag, 0.1f);
    return p;
}

static Bench bench_create(Backend *be, const Case *c) {
    const Conv2dShape *s = &c->s;
    Bench b = {.be = be, .c = c, .rows = s->batch * s->height * s->width, .out = s->out_channels};
    b.in = s->kernel * s->kernel * s->in_channels;
    size_t nx = (size_t)b.rows * s->in_channels, ny = (size_t)b.rows * b.out, nw = (size_t)b.out * b.in;
    b.x = random_buffer(be, nx, 1);
    b.dx = random_buffer(be, nx, 2);
    b.w = random_buffer(be, nw, 3);
    b.dw = random_buffer(be, nw, 4);
    b.b = random_buffer(be, (size_t)b.out, 5);
    b.db = random_buffer(be, (size_t)b.out, 6);
    b.y = random_buffer(be, ny, 7);
    b.dy = random_buffer(be, ny, 8);
    b.gemm_a = be->ops->alloc(be, (size_t)b.rows * b.in * sizeof(float), "bench buffer");
    be->ops->zero(be, b.gemm_a, (size_t)b.rows * b.in * sizeof(float));
    size_t workspace = c->linear ? 0 : be->ops->conv2d_workspace(be, s);
    b.workspace = workspace ? be->ops->alloc(be, workspace, "conv workspace") : NULL;
    return b;
}

static void bench_destroy(Bench *b) {
    float *buffers[] = {b->x, b->dx, b->w, b->dw, b->b, b->db, b->y, b->dy, b->gemm_a};
    for (size_t i = 0; i < sizeof(buffers) / sizeof(buffers[0]); i++) b->be->ops->free(b->be, buffers[i]);
    if (b->workspace) b->be->ops->free(b->be, b->workspace);
}

static void forward(Bench *b) {
    if (b->c->linear)
        b->be->ops->linear_forward(b->be, b->y, b->x, b->w, b->b, b->rows, b->in, b->out);
    else
        b->be->ops->conv2d_forward(b->be, b->y, b->x, b->w, b->b, &b->c->s, b->workspace);
}

static void backward(Bench *b) {
    if (b->c->linear)
        b->be->ops->linear_backward(b->be, b->dx, b->dw, b->db, b->dy, b->x, b->w, b->rows, b->in, b->out);
    else
        b->be->ops->conv2d_backward(b->be, b->dx, b->dw, b->db, b->dy, b->x, b->w, &b->c->s, b->workspace);
}

static void bare_forward_gemm(Bench *b) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b->rows, b->out, b->in, 1.0f, b->gemm_a, b->in, b->w, b->in,
                0.0f, b->y, b->out);
}

static double best_seconds(void (*run)(Bench *), Bench *b) {
    run(b);
    double best = 1e30;
    for (int r = 0; r < REPEATS; r++) {
        double start = time_now();
        run(b);
        double elapsed = time_now() - start;
        if (elapsed < best) best = elapsed;
    }
    return best;
}

/* GFLOP/s of C = A B for square n x n matrices. */
static double sgemm_rate(Backend *be, int n) {
    size_t elems = (size_t)n * n;
    float *a = random_buffer(be, elems, 11), *bm = random_buffer(be, elems, 12), *c = random_buffer(be, elems, 13);
    double best = 1e30;
    for (int r = 0; r <= REPEATS; r++) {
        double start = time_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, bm, n, 0.0f, c, n);
        double elapsed = time_now() - start;
        if (r > 0 && elapsed < best) best = elapsed; /* r == 0 warms up */
    }
    be->ops->free(be, a);
    be->ops->free(be, bm);
    be->ops->free(be, c);
    return 2.0 * n * n * (double)n / best * 1e-9;
}

int main(void) {
    Backend *be = backend_cpu();
    enum { REFERENCE_N = 2048 };
    double reference = sgemm_rate(be, REFERENCE_N);
    printf("OpenMP threads %d, OpenBLAS threads %d, OpenBLAS core %s\n", omp_get_max_threads(),
           openblas_get_num_threads(), openblas_get_corename());
    printf("reference: cblas_sgemm %dx%dx%d = %.1f GFLOP/s (best of %d)\n\n", REFERENCE_N, REFERENCE_N, REFERENCE_N,
           reference, REPEATS);
    printf("| op (batch 8) | GEMM M x N x K | fwd GFLOP/s | bwd GFLOP/s | fwd+bwd GFLOP/s | fwd+bwd / sgemm "
           "| fwd / bare GEMM |\n");
    printf("|---|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Bench b = bench_create(be, &cases[i]);
        double gemm_flops = 2.0 * b.rows * (double)b.out * b.in;
        double fwd = best_seconds(forward, &b), bwd = best_seconds(backward, &b);
        double bare = best_seconds(bare_forward_gemm, &b);
        double total_rate = 3 * gemm_flops / (fwd + bwd) * 1e-9;
        printf("| %s | %d x %d x %d | %.1f | %.1f | %.1f | %.2f | %.2f |\n", cases[i].label, b.rows, b.out, b.in,
               gemm_flops / fwd * 1e-9, 2 * gemm_flops / bwd * 1e-9, total_rate, total_rate / reference, bare / fwd);
        fflush(stdout);
        bench_destroy(&b);
    }
    return 0;
}
