/* CUDA against the CPU: every op the CUDA backend implements runs on both
   backends from the same random inputs, forward and backward, and the results
   must agree; Philox draws must equal the host's bit for bit. Without a usable
   device each test prints a SKIP line and passes.
   Runs in one process (CK_NOFORK): a CUDA context does not survive fork. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

/* Bounds on ||cuda - cpu|| / ||cpu||; an indexing or layout bug gives O(1).
   Elementwise ops differ only by libm ulps (expf, erfcf) and FMA contraction,
   ~1e-7. Reductions also sum in another order (trees in fp32 on the GPU,
   sequential or in double on the CPU), ~1e-6 at these sizes. */
#define ELEMENTWISE_TOL 1e-5
#define REDUCTION_TOL 1e-4
/* bf16 keeps 8 significant bits, so each GEMM input is rounded by up to
   2^-9 relative and each product by up to ~2^-8 = 3.9e-3; over a dot product
   of random signs these errors partly cancel, leaving a few 1e-3 norm-wise.
   2e-2 leaves room for that and still fails on any wrong layout. */
#define BF16_TOL 2e-2
/* GPU logf/sinf/cosf are within 2 ulp of glibc's; normals are below 6. */
#define NORMAL_ABS_TOL 1e-5

static Backend *open_cuda(Precision precision) {
    const char *why = NULL;
    Backend *gpu = backend_cuda_create(0, precision, &why);
    if (!gpu) {
        printf("SKIP: no CUDA device (%s)\n", why);
        fflush(stdout);
    }
    return gpu;
}

/* One tensor held twice, starting from the same values: on the host for the
   CPU op and on the device for the CUDA op. Outputs and gradients start
   random too, so an op that accumulates where the other writes, or skips
   elements, shows up as a difference. */
typedef struct {
    Backend *gpu;
    float *host, *dev;
    size_t n;
} Pair;

static Pair pair_normal(Backend *gpu, size_t n, uint32_t tag, float scale) {
    Pair p = {gpu, alloc_normal(n, tag, scale), NULL, n};
    p.dev = gpu->ops->alloc(gpu, n * sizeof(float), "parity test");
    gpu->ops->upload(gpu, p.dev, p.host, n * sizeof(float));
    return p;
}

static Pair pair_offset(Backend *gpu, size_t n, uint32_t tag, float scale, float offset) {
    Pair p = pair_normal(gpu, n, tag, scale);
    for (size_t i = 0; i < n; i++) p.host[i] += offset;
    gpu->ops->upload(gpu, p.dev, p.host, n * sizeof(float));
    return p;
}

static void pair_free(Pair *p) {
    free(p->host);
    p->gpu->ops->free(p->gpu, p->dev);
}

#define FREE_PAIRS(...)                                                                   \
    do {                                                                                  \
        Pair *all_[] = {__VA_ARGS__};                                                     \
        for (size_t i_ = 0; i_ < sizeof all_ / sizeof all_[0]; i_++) pair_free(all_[i_]); \
    } while (0)

static void expect_close(Pair p, double tol, const char *what) {
    float *got = disco_malloc(p.n * sizeof(float), "parity result");
    p.gpu->ops->download(p.gpu, got, p.dev, p.n * sizeof(float));
    double err = relative_error(got, p.host, p.n);
    free(got);
    printf("  %-30s relative error %.2e (bound %.0e)\n", what, err, tol);
    ck_assert_msg(err <= tol, "%s: CUDA differs from the CPU by %.3g (bound %.3g)", what, err, tol);
}

START_TEST(availability_matches_create) {
    const char *why = NULL;
    Backend *gpu = backend_cuda_create(0, PRECISION_FP32, &why);
    ck_assert_int_eq(backend_cuda_available(), gpu != NULL);
    if (!gpu) {
        ck_assert_msg(why && *why, "backend_cuda_create returned NULL without a reason");
        printf("SKIP: no CUDA device (%s)\n", why);
        return;
    }
    ck_assert_int_eq(gpu->device, DEVICE_CUDA);
    backend_cuda_destroy(gpu);
    why = NULL;
    ck_assert_ptr_null(backend_cuda_create(1 << 20, PRECISION_FP32, &why));
    ck_assert_msg(why && *why, "an absent device index gave no reason");
}
END_TEST

/* Keys with rows that are not a multiple of a Philox block, row offsets,
   steps and a seed that uses both key words. */
static const RngKey rng_keys[] = {
    {.seed = 0x0123456789abcdefull, .stream = RNG_STREAM_TEST, .step = 5},
    {.seed = 42, .stream = RNG_STREAM_NOISE, .step = 7, .index = 100, .row_len = 13},
    {.seed = 7, .stream = RNG_STREAM_DROPOUT, .step = 1, .index = 3, .row_len = 4096},
};

START_TEST(rng_matches_host) {
    Backend *gpu = open_cuda(PRECISION_FP32);
    if (!gpu) return;
    const RngKey key = rng_keys[_i];
    const size_t n = 10007, bytes = n * sizeof(uint32_t);
    uint32_t *want = disco_malloc(bytes, "host draw"), *got = disco_malloc(bytes, "device draw");
    void *dev = gpu->ops->alloc(gpu, bytes, "device draw");

    rng_fill_u32(&key, want, n);
    gpu->ops->rng_u32(gpu, dev, n, key);
    gpu->ops->download(gpu, got, dev, bytes);
    for (size_t j = 0; j < n; j++)
        ck_assert_msg(got[j] == want[j], "key %d: u32 element %zu is %08x on CUDA, %08x on the host", _i, j, got[j],
                      want[j]);

    /* Uniforms are exact functions of the u32s, so they must match bit for bit too. */
    rng_fill_uniform(&key, (float *)want, n);
    gpu->ops->rng_uniform(gpu, dev, n, key);
    gpu->ops->download(gpu, got, dev, bytes);
    ck_assert_msg(memcmp(got, want, bytes) == 0, "key %d: uniforms differ from the host's", _i);

    rng_fill_normal(&key, (float *)want, n);
    gpu->ops->rng_normal(gpu, dev, n, key);
    gpu->ops->download(gpu, got, dev, bytes);
    double diff = max_abs_difference((float *)got, (float *)want, n);
    printf("  rng key %d normal: max abs difference %.2e\n", _i, diff);
    ck_assert_msg(diff <= NORMAL_ABS_TOL, "key %d: normals differ from the host's by %.3g", _i, diff);

    gpu->ops->free(gpu, dev);
    free(want);
    free(got);
    backend_cuda_destroy(gpu);
}
END_TEST

typedef struct {
    int rows, in, out;
    bool bias;
} LinearCase;

/* Odd sizes (no tile divides them) and a larger case without bias. */
static const LinearCase linear_cases[] = {{37, 53, 29, true}, {64, 256, 96, false}};

static void check_linear(Precision precision, double tol) {
    Backend *cpu = backend_cpu(), *gpu = open_cuda(precision);
    if (!gpu) return;
    for (size_t k = 0; k < sizeof linear_cases / sizeof linear_cases[0]; k++) {
        const LinearCase c = linear_cases[k];
        const size_t nx = (size_t)c.rows * c.in, ny = (size_t)c.rows * c.out, nw = (size_t)c.out * c.in;
        Pair x = pair_normal(gpu, nx, 1, 1.0f), w = pair_normal(gpu, nw, 2, 0.5f), b = pair_normal(gpu, c.out, 3, 1.0f);
        Pair y = pair_normal(gpu, ny, 4, 1.0f), dy = pair_normal(gpu, ny, 5, 1.0f), dx = pair_normal(gpu, nx, 6, 1.0f);
        Pair dw = pair_normal(gpu, nw, 7, 1.0f), db = pair_normal(gpu, c.out, 8, 1.0f);
        char label[64];
        snprintf(label, sizeof label, "linear %s %dx%dx%d", precision_name(precision), c.rows, c.in, c.out);

        cpu->ops->linear_forward(cpu, y.host, x.host, w.host, c.bias ? b.host : NULL, c.rows, c.in, c.out);
        gpu->ops->linear_forward(gpu, y.dev, x.dev, w.dev, c.bias ? b.dev : NULL, c.rows, c.in, c.out);
        expect_close(y, tol, label);
        cpu->ops->linear_backward(cpu, dx.host, dw.host, c.bias ? db.host : NULL, dy.host, x.host, w.host, c.rows,
                                  c.in, c.out);
        gpu->ops->linear_backward(gpu, dx.dev, dw.dev, c.bias ? db.dev : NULL, dy.dev, x.dev, w.dev, c.rows, c.in,
                                  c.out);
        expect_close(dx, tol, "  dx");
        expect_close(dw, tol, "  dw (accumulated)");
        if (c.bias) expect_close(db, tol, "  db (accumulated)");

        FREE_PAIRS(&x, &w, &b, &y, &dy, &dx, &dw, &db);
    }
    backend_cuda_destroy(gpu);
}

START_TEST(linear_fp32_matches_cpu) { check_linear(PRECISION_FP32, REDUCTION_TOL); }
END_TEST

START_TEST(linear_bf16_matches_cpu) { check_linear(PRECISION_BF16, BF16_TOL); }
END_TEST

/* SiLU (_i = 0) and GELU (_i = 1) share one signature. */
typedef void (*ActivationForward)(Backend *be, float *y, const float *x, size_t n);
typedef void (*ActivationBackward)(Backend *be, float *dx, const float *dy, const float *x, size_t n);

static ActivationForward activation_forward(const Backend *be, int which) {
    return which == 0 ? be->ops->silu_forward : be->ops->gelu_forward;
}

static ActivationBackward activation_backward(const Backend *be, int which) {
    return which == 0 ? be->ops->silu_backward : be->ops->gelu_backward;
}

START_TEST(activation_matches_cpu) {
    Backend *cpu = backend_cpu(), *gpu = open_cuda(PRECISION_FP32);
    if (!gpu) return;
    const char *name = _i == 0 ? "silu" : "gelu";
    const size_t n = 10007;
    /* Scale 4 reaches both saturated tails. */
    Pair x = pair_normal(gpu, n, 1, 4.0f), y = pair_normal(gpu, n, 2, 1.0f);
    Pair dy = pair_normal(gpu, n, 3, 1.0f), dx = pair_normal(gpu, n, 4, 1.0f);
    char label[32];

    activation_forward(cpu, _i)(cpu, y.host, x.host, n);
    activation_forward(gpu, _i)(gpu, y.dev, x.dev, n);
    snprintf(label, sizeof label, "%s forward", name);
    expect_close(y, ELEMENTWISE_TOL, label);
    activation_backward(cpu, _i)(cpu, dx.host, dy.host, x.host, n);
    activation_backward(gpu, _i)(gpu, dx.dev, dy.dev, x.dev, n);
    snprintf(label, sizeof label, "%s backward", name);
    expect_close(dx, ELEMENTWISE_TOL, label);

    FREE_PAIRS(&x, &y, &dy, &dx);
    backend_cuda_destroy(gpu);
}
END_TEST

START_TEST(dropout_matches_cpu) {
    Backend *cpu = backend_cpu(), *gpu = open_cuda(PRECISION_FP32);
    if (!gpu) return;
    const size_t n = 10007;
    const RngKey key = {.seed = 9, .stream = RNG_STREAM_DROPOUT, .step = 2, .index = 5, .row_len = 100};
    static const float probabilities[] = {0.0f, 0.3f};
    for (int k = 0; k < 2; k++) {
        const float p = probabilities[k];
        Pair x = pair_normal(gpu, n, 1, 1.0f), y = pair_normal(gpu, n, 2, 1.0f);
        Pair dy = pair_normal(gpu, n, 3, 1.0f), dx = pair_normal(gpu, n, 4, 1.0f);
        cpu->ops->dropout_forward(cpu, y.host, x.host, n, p, key);
        gpu->ops->dropout_forward(gpu, y.dev, x.dev, n, p, key);
        expect_close(y, ELEMENTWISE_TOL, k == 0 ? "dropout p=0 forward" : "dropout p=0.3 forward");
        cpu->ops->dropout_backward(cpu, dx.host, dy.host, n, p, key);
        gpu->ops->dropout_backward(gpu, dx.dev, dy.dev, n, p, key);
        expect_close(dx, ELEMENTWISE_TOL, k == 0 ? "dropout p=0 backward" : "dropout p=0.3 backward");
        FREE_PAIRS(&x, &y, &dy, &dx);
    }
    backend_cuda_destroy(gpu);
}
END_TEST

START_TEST(add_matches_cpu) {
    Backend *cpu = backend_cpu(), *gpu = open_cuda(PRECISION_FP32);
    if (!gpu) return;
    const size_t n = 6000, broadcast[] = {6000, 120}; /* plain addition, then a [120] b over 50 rows */
    const float scale = 0.5f;
    for (int k = 0; k < 2; k++) {
        const size_t nb = broadcast[k];
        Pair a = pair_normal(gpu, n, 1, 1.0f), b = pair_normal(gpu, nb, 2, 1.0f), y = pair_normal(gpu, n, 3, 1.0f);
        Pair dy = pair_normal(gpu, n, 4, 1.0f), da = pair_normal(gpu, n, 5, 1.0f), db = pair_normal(gpu, nb, 6, 1.0f);
        cpu->ops->add_forward(cpu, y.host, a.host, b.host, n, nb, scale);
        gpu->ops->add_forward(gpu, y.dev, a.dev, b.dev, n, nb, scale);
        expect_close(y, ELEMENTWISE_TOL, k == 0 ? "add forward" : "add broadcast forward");
        cpu->ops->add_backward(cpu, da.host, db.host, dy.host, n, nb, scale);
        gpu->ops->add_backward(gpu, da.dev, db.dev, dy.dev, n, nb, scale);
        expect_close(da, ELEMENTWISE_TOL, "  da");
        expect_close(db, REDUCTION_TOL, "  db");
        FREE_PAIRS(&a, &b, &y, &dy, &da, &db);
    }
    backend_cuda_destroy(gpu);
}
END_TEST

START_TEST(modulate_matches_cpu) {
    Backend *cpu = backend_cpu(), *gpu = open_cuda(PRECISION_FP32);
    if (!gpu) return;
    const int batch = 3, tokens = 50, channels = 40;
    const size_t n = (size_t)batch * tokens * channels, nss = (size_t)batch * 2 * channels;
    Pair x = pair_normal(gpu, n, 1, 1.0f), ss = pair_normal(gpu, nss, 2, 0.5f), y = pair_normal(gpu, n, 3, 1.0f);
    Pair dy = pair_normal(gpu, n, 4, 1.0f), dx = pair_normal(gpu, n, 5, 1.0f), dss = pair_normal(gpu, nss, 6, 1.0f);
    cpu->ops->modulate_forward(cpu, y.host, x.host, ss.host, batch, tokens, channels);
    gpu->ops->modulate_forward(gpu, y.dev, x.dev, ss.dev, batch, tokens, channels);
    expect_close(y, ELEMENTWISE_TOL, "modulate forward");
    cpu->ops->modulate_backward(cpu, dx.host, dss.host, dy.host, x.host, ss.host, batch, tokens, channels);
    gpu->ops->modulate_backward(gpu, dx.dev, dss.dev, dy.dev, x.dev, ss.dev, batch, tokens, channels);
    expect_close(dx, ELEMENTWISE_TOL, "  dx");
    expect_close(dss, REDUCTION_TOL, "  dscale_shift");
    FREE_PAIRS(&x, &ss, &y, &dy, &dx, &dss);
    backend_cuda_destroy(gpu);
}
END_TEST

/* Copies only, so the results must be identical. */
START_TEST(concat_and_split_match_cpu) {
    Backend *cpu = backend_cpu(), *gpu = open_cuda(PRECISION_FP32);
    if (!gpu) return;
    const int rows = 37, ca = 5, cb = 11, offset = 3, count = 7;
    const size_t na = (size_t)rows * ca, nb = (size_t)rows * cb, ny = na + nb, ns = (size_t)rows * count;
    Pair a = pair_normal(gpu, na, 1, 1.0f), b = pair_normal(gpu, nb, 2, 1.0f), y = pair_normal(gpu, ny, 3, 1.0f);
    Pair dy = pair_normal(gpu, ny, 4, 1.0f), da = pair_normal(gpu, na, 5, 1.0f), db = pair_normal(gpu, nb, 6, 1.0f);
    Pair slice = pair_normal(gpu, ns, 7, 1.0f), dslice = pair_normal(gpu, ns, 8, 1.0f);
    Pair dfull = pair_normal(gpu, ny, 9, 1.0f);

    cpu->ops->concat_forward(cpu, y.host, a.host, b.host, rows, ca, cb);
    gpu->ops->concat_forward(gpu, y.dev, a.dev, b.dev, rows, ca, cb);
    expect_close(y, 0.0, "concat forward");
    cpu->ops->concat_backward(cpu, da.host, db.host, dy.host, rows, ca, cb);
    gpu->ops->concat_backward(gpu, da.dev, db.dev, dy.dev, rows, ca, cb);
    expect_close(da, 0.0, "  da");
    expect_close(db, 0.0, "  db");

    cpu->ops->split_forward(cpu, slice.host, y.host, rows, ca + cb, offset, count);
    gpu->ops->split_forward(gpu, slice.dev, y.dev, rows, ca + cb, offset, count);
    expect_close(slice, 0.0, "split forward");
    cpu->ops->split_backward(cpu, dfull.host, dslice.host, rows, ca + cb, offset, count);
    gpu->ops->split_backward(gpu, dfull.dev, dslice.dev, rows, ca + cb, offset, count);
    expect_close(dfull, 0.0, "  dx");

    FREE_PAIRS(&a, &b, &y, &dy, &da, &db, &slice, &dslice, &dfull);
    backend_cuda_destroy(gpu);
}
END_TEST

/* Offset 1e4 against a spread of 1 is where a careless variance loses
   everything (as in tests/ops/test_group_norm.c). */
START_TEST(group_norm_matches_cpu) {
    Backend *cpu = backend_cpu(), *gpu = open_cuda(PRECISION_FP32);
    if (!gpu) return;
    const int batch = 3, tokens = 50, channels = 32, groups = 8;
    const float eps = 1e-5f, offsets[] = {0.0f, 1e4f};
    const size_t n = (size_t)batch * tokens * channels, nstats = 2 * (size_t)batch * groups;
    for (int k = 0; k < 2; k++) {
        Pair x = pair_offset(gpu, n, 1, 1.0f, offsets[k]), gamma = pair_offset(gpu, channels, 2, 0.3f, 1.0f);
        Pair beta = pair_normal(gpu, channels, 3, 0.3f), y = pair_normal(gpu, n, 4, 1.0f);
        Pair stats = pair_normal(gpu, nstats, 5, 1.0f), dy = pair_normal(gpu, n, 6, 1.0f);
        Pair dx = pair_normal(gpu, n, 7, 1.0f), dgamma = pair_normal(gpu, channels, 8, 1.0f);
        Pair dbeta = pair_normal(gpu, channels, 9, 1.0f);
        printf("  group norm, inputs offset by %g:\n", (double)offsets[k]);

        cpu->ops->group_norm_forward(cpu, y.host, stats.host, x.host, gamma.host, beta.host, batch, tokens, channels,
                                     groups, eps);
        gpu->ops->group_norm_forward(gpu, y.dev, stats.dev, x.dev, gamma.dev, beta.dev, batch, tokens, channels,
                                     groups, eps);
        expect_close(y, REDUCTION_TOL, "group norm forward");
        expect_close(stats, REDUCTION_TOL, "  stats");
        /* Both backwards read the CPU's statistics, so they see the same input. */
        gpu->ops->upload(gpu, stats.dev, stats.host, nstats * sizeof(float));
        cpu->ops->group_norm_backward(cpu, dx.host, dgamma.host, dbeta.host, dy.host, x.host, stats.host, gamma.host,
                                      batch, tokens, channels, groups);
        gpu->ops->group_norm_backward(gpu, dx.dev, dgamma.dev, dbeta.dev, dy.dev, x.dev, stats.dev, gamma.dev, batch,
                                      tokens, channels, groups);
        expect_close(dx, REDUCTION_TOL, "  dx");
        expect_close(dgamma, REDUCTION_TOL, "  dgamma (accumulated)");
        expect_close(dbeta, REDUCTION_TOL, "  dbeta (accumulated)");

        FREE_PAIRS(&x, &gamma, &beta, &y, &stats, &dy, &dx, &dgamma, &dbeta);
    }
    backend_cuda_destroy(gpu);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("cuda_parity");
    TCase *tc = tcase_create("cuda_vs_cpu");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, availability_matches_create);
    tcase_add_loop_test(tc, rng_matches_host, 0, (int)(sizeof rng_keys / sizeof rng_keys[0]));
    tcase_add_test(tc, linear_fp32_matches_cpu);
    tcase_add_test(tc, linear_bf16_matches_cpu);
    tcase_add_loop_test(tc, activation_matches_cpu, 0, 2);
    tcase_add_test(tc, dropout_matches_cpu);
    tcase_add_test(tc, add_matches_cpu);
    tcase_add_test(tc, modulate_matches_cpu);
    tcase_add_test(tc, concat_and_split_match_cpu);
    tcase_add_test(tc, group_norm_matches_cpu);
    suite_add_tcase(suite, tc);

    return run_suite_in_process(suite);
}
