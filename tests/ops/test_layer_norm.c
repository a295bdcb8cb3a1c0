#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

#define EPS 1e-5f

typedef struct {
    int rows, channels;
} Shape;

static const Shape shapes[] = {{1, 7}, {5, 3}, {5, 16}, {4, 33}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

START_TEST(forward_matches_two_pass_reference) {
    Backend *be = backend_cpu();
    for (int k = 0; k < N_SHAPES; k++) {
        int rows = shapes[k].rows, channels = shapes[k].channels;
        size_t n = (size_t)rows * channels;
        float *x = alloc_normal(n, 10 + k, 2.0f), *gamma = alloc_normal(channels, 20 + k, 1.0f);
        float *beta = alloc_normal(channels, 30 + k, 1.0f), *y = alloc_zeros(n), *stats = alloc_zeros(2 * rows);
        for (size_t i = 0; i < n; i++) x[i] += 1e3f; /* far off centre: catches a one-pass variance */
        be->ops->layer_norm_forward(be, y, stats, x, gamma, beta, rows, channels, EPS);

        for (int r = 0; r < rows; r++) {
            const float *xr = x + (size_t)r * channels;
            double mean = 0, var = 0;
            for (int c = 0; c < channels; c++) mean += xr[c];
            mean /= channels;
            for (int c = 0; c < channels; c++) var += (xr[c] - mean) * (xr[c] - mean);
            double rstd = 1.0 / sqrt(var / channels + EPS);
            ck_assert_double_eq_tol(stats[r], mean, 1e-6 * fabs(mean));
            ck_assert_double_eq_tol(stats[rows + r], rstd, 1e-5 * rstd);
            for (int c = 0; c < channels; c++) {
                double want = (xr[c] - mean) * rstd * gamma[c] + beta[c];
                ck_assert_msg(fabs(y[(size_t)r * channels + c] - want) <= 1e-5 * fmax(fabs(want), 1.0),
                              "y[%d, %d] = %.9g, reference %.9g", r, c, (double)y[(size_t)r * channels + c], want);
            }
        }
        free(x), free(gamma), free(beta), free(y), free(stats);
    }
}
END_TEST

typedef struct {
    Backend *be;
    int rows, channels;
    float *x, *gamma, *beta, *y, *stats, *dx, *dgamma, *dbeta, *dy;
} LayerNormCase;

static void ln_forward(void *ctx) {
    LayerNormCase *l = ctx;
    l->be->ops->layer_norm_forward(l->be, l->y, l->stats, l->x, l->gamma, l->beta, l->rows, l->channels, EPS);
}

static void ln_backward(void *ctx) {
    LayerNormCase *l = ctx;
    l->be->ops->layer_norm_backward(l->be, l->dx, l->dgamma, l->dbeta, l->dy, l->x, l->stats, l->gamma, l->rows,
                                    l->channels);
}

START_TEST(backward_matches_finite_differences) {
    for (int k = 0; k < N_SHAPES; k++) {
        int rows = shapes[k].rows, channels = shapes[k].channels;
        size_t n = (size_t)rows * channels;
        LayerNormCase l = {.be = backend_cpu(), .rows = rows, .channels = channels};
        l.x = alloc_normal(n, 100 + k, 3.0f);
        for (size_t i = 0; i < n; i++) l.x[i] += 2.0f;
        l.gamma = alloc_normal(channels, 110 + k, 1.0f), l.beta = alloc_normal(channels, 120 + k, 1.0f);
        l.y = alloc_zeros(n), l.dy = alloc_zeros(n), l.dx = alloc_zeros(n), l.stats = alloc_zeros(2 * rows);
        l.dgamma = alloc_zeros(channels), l.dbeta = alloc_zeros(channels);
        GradInput inputs[] = {{"x", l.x, l.dx, n, false},
                              {"gamma", l.gamma, l.dgamma, (size_t)channels, true},
                              {"beta", l.beta, l.dbeta, (size_t)channels, true}};
        GradCheck gc = {.ctx = &l, .forward = ln_forward, .backward = ln_backward, .out = l.y, .dout = l.dy,
                        .n_out = n, .inputs = inputs, .n_inputs = 3};
        gradcheck_run(&gc);
        free(l.x), free(l.gamma), free(l.beta), free(l.y), free(l.dy), free(l.dx), free(l.stats);
        free(l.dgamma), free(l.dbeta);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("layer_norm");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forward_matches_two_pass_reference);
    tcase_add_test(tc, backward_matches_finite_differences);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
