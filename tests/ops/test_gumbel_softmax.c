#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/backend.h"
#include "disco/rng.h"
#include "testutil.h"

typedef struct {
    int rows, k;
    float tau;
    bool hard;
    RngKey key;
    float *logits, *dlogits, *y, *dy, *soft;
} Gumbel;

static Gumbel gumbel_create(int rows, int k, float tau, bool hard) {
    Gumbel g = {.rows = rows, .k = k, .tau = tau, .hard = hard};
    g.key = (RngKey){.seed = 11, .stream = RNG_STREAM_GUMBEL, .step = 3, .index = 40, .row_len = (uint64_t)k};
    size_t n = (size_t)rows * k;
    g.logits = alloc_normal(n, 1, 1.5f);
    g.dlogits = alloc_zeros(n);
    g.y = alloc_zeros(n);
    g.dy = alloc_normal(n, 2, 1.0f);
    g.soft = alloc_zeros(n);
    return g;
}

static void gumbel_free(Gumbel *g) { free(g->logits), free(g->dlogits), free(g->y), free(g->dy), free(g->soft); }

static void gumbel_forward(void *ctx) {
    Gumbel *g = ctx;
    Backend *be = backend_cpu();
    be->ops->gumbel_softmax_forward(be, g->y, g->soft, g->logits, g->rows, g->k, g->tau, g->hard, g->key);
}

static void gumbel_backward(void *ctx) {
    Gumbel *g = ctx;
    Backend *be = backend_cpu();
    be->ops->gumbel_softmax_backward(be, g->dlogits, g->dy, g->soft, g->rows, g->k, g->tau);
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int j = 1; j < n; j++)
        if (x[j] > x[best]) best = j;
    return best;
}

static const int shapes[][2] = {{1, 1}, {3, 5}, {7, 10}, {4, 100}}; /* rows, k */
enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };

/* softmax((logits + g) / tau) in double, with g drawn straight from rng.h. */
START_TEST(soft_matches_reference_and_rows_sum_to_one) {
    Gumbel g = gumbel_create(shapes[_i][0], shapes[_i][1], 0.7f, false);
    gumbel_forward(&g);
    ck_assert_int_le(g.k, 100);
    for (int r = 0; r < g.rows; r++) {
        double z[100], max = -INFINITY, sum = 0, row_sum = 0;
        for (int j = 0; j < g.k; j++) {
            size_t e = (size_t)r * g.k + j;
            z[j] = ((double)g.logits[e] + rng_gumbel(&g.key, e)) / g.tau;
            max = fmax(max, z[j]);
        }
        for (int j = 0; j < g.k; j++) sum += exp(z[j] - max);
        for (int j = 0; j < g.k; j++) {
            float got = g.y[(size_t)r * g.k + j];
            double want = exp(z[j] - max) / sum;
            ck_assert_msg(fabs(got - want) <= 1e-5, "row %d, %d: soft %.9g, want %.9g", r, j, got, want);
            ck_assert_float_eq(got, g.soft[(size_t)r * g.k + j]);
            row_sum += got;
        }
        ck_assert_double_eq_tol(row_sum, 1.0, 1e-5);
    }
    gumbel_free(&g);
}
END_TEST

/* Hard mode saves the same soft sample (same key, same noise) and outputs
   its argmax as a one-hot row. */
START_TEST(hard_is_one_hot_at_argmax_of_soft) {
    Gumbel soft = gumbel_create(shapes[_i][0], shapes[_i][1], 0.7f, false);
    Gumbel hard = gumbel_create(shapes[_i][0], shapes[_i][1], 0.7f, true);
    gumbel_forward(&soft);
    gumbel_forward(&hard);
    size_t n = (size_t)soft.rows * soft.k;
    ck_assert_int_eq(memcmp(soft.soft, hard.soft, n * sizeof(float)), 0);
    for (int r = 0; r < hard.rows; r++) {
        int winner = argmax(soft.y + (size_t)r * soft.k, soft.k);
        for (int j = 0; j < hard.k; j++) ck_assert_float_eq(hard.y[(size_t)r * hard.k + j], j == winner ? 1.0f : 0.0f);
    }
    gumbel_free(&soft), gumbel_free(&hard);
}
END_TEST

START_TEST(noise_depends_only_on_the_key) {
    Gumbel a = gumbel_create(6, 9, 1.0f, false), b = gumbel_create(6, 9, 1.0f, false);
    gumbel_forward(&a);
    gumbel_forward(&b);
    ck_assert_int_eq(memcmp(a.y, b.y, 6 * 9 * sizeof(float)), 0);
    b.key.step++;
    gumbel_forward(&b);
    ck_assert_int_ne(memcmp(a.y, b.y, 6 * 9 * sizeof(float)), 0);
    gumbel_free(&a), gumbel_free(&b);
}
END_TEST

/* The Gumbel-max trick: argmax(logits + g) is a draw from softmax(logits).
   Over 2^17 rows each class frequency is within 5 standard errors. */
START_TEST(argmax_frequencies_follow_softmax) {
    enum { ROWS = 1 << 17, K = 5 };
    const float class_logits[K] = {1.0f, 0.0f, -1.0f, 2.0f, 0.5f};
    Gumbel g = gumbel_create(ROWS, K, 1.0f, true);
    for (int r = 0; r < ROWS; r++) memcpy(g.logits + (size_t)r * K, class_logits, sizeof class_logits);
    gumbel_forward(&g);
    double counts[K] = {0}, z = 0;
    for (size_t e = 0; e < (size_t)ROWS * K; e++) counts[e % K] += g.y[e];
    for (int j = 0; j < K; j++) z += exp(class_logits[j]);
    for (int j = 0; j < K; j++) {
        double p = exp(class_logits[j]) / z, freq = counts[j] / ROWS;
        double standard_error = sqrt(p * (1 - p) / ROWS);
        ck_assert_msg(fabs(freq - p) < 5 * standard_error, "class %d: frequency %.5f, softmax %.5f (5 s.e. = %.5f)", j,
                      freq, p, 5 * standard_error);
    }
    gumbel_free(&g);
}
END_TEST

/* At the extraction temperature the soft sample is already (almost) one-hot.
   The gap between the two largest perturbed logits is about Exp(1), so a row's
   L1 distance to one-hot averages at most about 2 tau: allow 3 tau. */
START_TEST(low_temperature_soft_is_nearly_hard) {
    Gumbel soft = gumbel_create(1000, 100, 0.01f, false), hard = gumbel_create(1000, 100, 0.01f, true);
    gumbel_forward(&soft);
    gumbel_forward(&hard);
    double l1 = 0;
    for (size_t e = 0; e < (size_t)1000 * 100; e++) l1 += fabs((double)soft.y[e] - hard.y[e]);
    ck_assert_msg(l1 / 1000 < 3 * soft.tau, "mean L1 distance between soft and hard rows is %.4g", l1 / 1000);
    for (int r = 0; r < 1000; r++)
        ck_assert_float_eq(hard.y[(size_t)r * 100 + argmax(soft.y + (size_t)r * 100, 100)], 1.0f);
    gumbel_free(&soft), gumbel_free(&hard);
}
END_TEST

START_TEST(soft_backward_matches_finite_differences) {
    for (int t = 0; t < 2; t++) {
        Gumbel g = gumbel_create(shapes[_i][0], shapes[_i][1], t == 0 ? 1.0f : 0.5f, false);
        GradInput logits = {"logits", g.logits, g.dlogits, (size_t)g.rows * g.k, false};
        GradCheck gc = {.ctx = &g,
                        .forward = gumbel_forward,
                        .backward = gumbel_backward,
                        .out = g.y,
                        .dout = g.dy,
                        .n_out = (size_t)g.rows * g.k,
                        .inputs = &logits,
                        .n_inputs = 1};
        gradcheck_run(&gc);
        gumbel_free(&g);
    }
}
END_TEST

/* Straight-through: after a hard forward the backward is the soft one's. */
START_TEST(hard_backward_equals_soft_backward) {
    Gumbel soft = gumbel_create(shapes[_i][0], shapes[_i][1], 0.7f, false);
    Gumbel hard = gumbel_create(shapes[_i][0], shapes[_i][1], 0.7f, true);
    gumbel_forward(&soft), gumbel_backward(&soft);
    gumbel_forward(&hard), gumbel_backward(&hard);
    size_t n = (size_t)soft.rows * soft.k;
    ck_assert_int_eq(memcmp(soft.dlogits, hard.dlogits, n * sizeof(float)), 0);
    gumbel_free(&soft), gumbel_free(&hard);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gumbel_softmax");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, soft_matches_reference_and_rows_sum_to_one, 0, N_SHAPES);
    tcase_add_loop_test(tc, hard_is_one_hot_at_argmax_of_soft, 0, N_SHAPES);
    tcase_add_test(tc, noise_depends_only_on_the_key);
    tcase_add_test(tc, argmax_frequencies_follow_softmax);
    tcase_add_test(tc, low_temperature_soft_is_nearly_hard);
    tcase_add_loop_test(tc, soft_backward_matches_finite_differences, 0, N_SHAPES);
    tcase_add_loop_test(tc, hard_backward_equals_soft_backward, 0, N_SHAPES);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
