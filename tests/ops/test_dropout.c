#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

static const RngKey base_key = {.seed = 7, .stream = RNG_STREAM_DROPOUT, .step = 3, .index = 40, .row_len = 96};

/* The contract, element by element: kept iff rng_uniform(key, j) >= p, kept values are x / (1 - p). */
START_TEST(forward_follows_the_contract) {
    enum { N = 1 << 20 };
    const float p = 0.3f;
    Backend *be = backend_cpu();
    float *x = alloc_normal(N, 1, 1.0f), *y = alloc_zeros(N);
    be->ops->dropout_forward(be, y, x, N, p, base_key);
    size_t kept = 0;
    for (size_t j = 0; j < N; j++) {
        bool keep = rng_uniform(&base_key, j) >= p;
        kept += keep;
        if (keep)
            ck_assert_msg(fabs(y[j] - x[j] / (1.0 - p)) <= 1e-6 * fabs(x[j]), "kept y[%zu] = %g, want %g", j,
                          (double)y[j], x[j] / (1.0 - p));
        else
            ck_assert_msg(y[j] == 0.0f, "dropped y[%zu] = %g", j, (double)y[j]);
    }
    /* Binomial count: within 5 standard deviations of N (1 - p). */
    ck_assert_double_eq_tol((double)kept, N * (1.0 - p), 5 * sqrt(N * p * (1.0 - p)));
    free(x), free(y);
}
END_TEST

START_TEST(p_zero_is_an_exact_copy) {
    enum { N = 1000 };
    Backend *be = backend_cpu();
    float *x = alloc_normal(N, 2, 1.0f), *y = alloc_zeros(N);
    be->ops->dropout_forward(be, y, x, N, 0.0f, base_key);
    ck_assert(memcmp(x, y, sizeof(float) * N) == 0);
    be->ops->dropout_backward(be, y, x, N, 0.0f, base_key);
    ck_assert(memcmp(x, y, sizeof(float) * N) == 0);
    free(x), free(y);
}
END_TEST

/* The fraction of elements whose keep/drop decision differs between two keys. */
static double mask_disagreement(Backend *be, const float *ones, size_t n, float p, RngKey a, RngKey b) {
    float *ya = alloc_zeros(n), *yb = alloc_zeros(n);
    be->ops->dropout_forward(be, ya, ones, n, p, a);
    be->ops->dropout_forward(be, yb, ones, n, p, b);
    size_t differ = 0;
    for (size_t j = 0; j < n; j++) differ += (ya[j] == 0.0f) != (yb[j] == 0.0f);
    free(ya), free(yb);
    return (double)differ / (double)n;
}

/* Same key, same mask; another step or seed, an unrelated mask (disagreeing on 2p(1-p) = 0.5 of elements). */
START_TEST(mask_is_a_function_of_the_key) {
    enum { N = 1 << 14 };
    Backend *be = backend_cpu();
    float *ones = alloc_zeros(N);
    for (size_t j = 0; j < N; j++) ones[j] = 1.0f;
    RngKey next_step = base_key, other_seed = base_key;
    next_step.step++, other_seed.seed++;
    ck_assert_double_eq(mask_disagreement(be, ones, N, 0.5f, base_key, base_key), 0.0);
    ck_assert_double_eq_tol(mask_disagreement(be, ones, N, 0.5f, base_key, next_step), 0.5, 0.05);
    ck_assert_double_eq_tol(mask_disagreement(be, ones, N, 0.5f, base_key, other_seed), 0.5, 0.05);
    free(ones);
}
END_TEST

/* Row r of a 5-row tensor gets the same mask as that row alone with the key moved
   to it: a sample's dropout does not depend on how the batch was split. */
START_TEST(row_mask_is_independent_of_the_batch) {
    enum { ROWS = 5, ROW = 96 };
    Backend *be = backend_cpu();
    float *x = alloc_normal(ROWS * ROW, 3, 1.0f), *all = alloc_zeros(ROWS * ROW), *one = alloc_zeros(ROW);
    be->ops->dropout_forward(be, all, x, ROWS * ROW, 0.4f, base_key);
    for (int r = 0; r < ROWS; r++) {
        RngKey alone = base_key;
        alone.index += (uint32_t)r;
        be->ops->dropout_forward(be, one, x + r * ROW, ROW, 0.4f, alone);
        ck_assert_msg(memcmp(one, all + r * ROW, sizeof(float) * ROW) == 0, "row %d differs", r);
    }
    free(x), free(all), free(one);
}
END_TEST

typedef struct {
    Backend *be;
    float *x, *y, *dx, *dy;
    size_t n;
    float p;
} DropoutCase;

static void dropout_forward(void *ctx) {
    DropoutCase *d = ctx;
    d->be->ops->dropout_forward(d->be, d->y, d->x, d->n, d->p, base_key);
}

static void dropout_backward(void *ctx) {
    DropoutCase *d = ctx;
    d->be->ops->dropout_backward(d->be, d->dx, d->dy, d->n, d->p, base_key);
}

START_TEST(backward_matches_finite_differences) {
    static const size_t sizes[] = {1, 5, 200, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        DropoutCase d = {backend_cpu(), alloc_normal(n, 4, 1.0f), alloc_zeros(n), alloc_zeros(n), alloc_zeros(n), n,
                         0.25f};
        GradInput input = {"x", d.x, d.dx, n, false};
        GradCheck gc = {.ctx = &d, .forward = dropout_forward, .backward = dropout_backward, .out = d.y,
                        .dout = d.dy, .n_out = n, .inputs = &input, .n_inputs = 1};
        gradcheck_run(&gc);
        free(d.x), free(d.y), free(d.dx), free(d.dy);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("dropout");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forward_follows_the_contract);
    tcase_add_test(tc, p_zero_is_an_exact_copy);
    tcase_add_test(tc, mask_is_a_function_of_the_key);
    tcase_add_test(tc, row_mask_is_independent_of_the_batch);
    tcase_add_test(tc, backward_matches_finite_differences);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
