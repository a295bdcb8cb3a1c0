#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

#define EPS 1e-5f

typedef struct {
    int batch, tokens, channels, groups;
} Shape;

/* Odd sizes on purpose: one token, one sample, groups of 2 and 3 channels, one group per channel. */
static const Shape shapes[] = {{1, 7, 6, 3}, {3, 1, 12, 4}, {3, 7, 12, 4}, {2, 5, 8, 1}, {2, 9, 4, 4}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

static size_t numel(Shape s) { return (size_t)s.batch * s.tokens * s.channels; }

/* Straight from the definition, in double: gather a group, two passes. */
static void reference_group_norm(double *y, double *mean, double *rstd, const float *x, const float *gamma,
                                 const float *beta, Shape s) {
    int width = s.channels / s.groups;
    double n = (double)s.tokens * width;
    for (int b = 0; b < s.batch; b++)
        for (int g = 0; g < s.groups; g++) {
            double sum = 0, sq = 0;
            for (int t = 0; t < s.tokens; t++)
                for (int c = g * width; c < (g + 1) * width; c++) sum += x[((size_t)b * s.tokens + t) * s.channels + c];
            double m = sum / n;
            for (int t = 0; t < s.tokens; t++)
                for (int c = g * width; c < (g + 1) * width; c++) {
                    double d = x[((size_t)b * s.tokens + t) * s.channels + c] - m;
                    sq += d * d;
                }
            double r = 1.0 / sqrt(sq / n + EPS);
            mean[b * s.groups + g] = m, rstd[b * s.groups + g] = r;
            for (int t = 0; t < s.tokens; t++)
                for (int c = g * width; c < (g + 1) * width; c++) {
                    size_t i = ((size_t)b * s.tokens + t) * s.channels + c;
                    y[i] = (x[i] - m) * r * gamma[c] + beta[c];
                }
        }
}

static void assert_close(const char *what, size_t i, double got, double want, double tol) {
    ck_assert_msg(fabs(got - want) <= tol * fmax(fabs(want), 1.0), "%s[%zu] = %.9g, reference %.9g", what, i, got,
                  want);
}

/* A mean of 1e4 against a spread of 1 breaks a one-pass E[x^2] - E[x]^2 in float. */
START_TEST(forward_matches_two_pass_reference) {
    Backend *be = backend_cpu();
    static const float offsets[] = {0.0f, 1e4f};
    for (int k = 0; k < N_SHAPES; k++)
        for (int o = 0; o < 2; o++) {
            Shape s = shapes[k];
            size_t n = numel(s), nstat = (size_t)s.batch * s.groups;
            float *x = alloc_normal(n, 10 + k, 1.0f), *gamma = alloc_normal(s.channels, 20 + k, 1.0f);
            float *beta = alloc_normal(s.channels, 30 + k, 1.0f), *y = alloc_zeros(n), *stats = alloc_zeros(2 * nstat);
            for (size_t i = 0; i < n; i++) x[i] += offsets[o];
            double *y_ref = calloc(n, sizeof(double)), *mean = calloc(nstat, sizeof(double)),
                   *rstd = calloc(nstat, sizeof(double));

            be->ops->group_norm_forward(be, y, stats, x, gamma, beta, s.batch, s.tokens, s.channels, s.groups, EPS);
            reference_group_norm(y_ref, mean, rstd, x, gamma, beta, s);
            for (size_t i = 0; i < n; i++) assert_close("y", i, y[i], y_ref[i], 1e-5);
            for (size_t i = 0; i < nstat; i++) {
                assert_close("mean", i, stats[i], mean[i], 1e-6);
                assert_close("rstd", i, stats[nstat + i], rstd[i], 1e-5);
            }
            free(x), free(gamma), free(beta), free(y), free(stats), free(y_ref), free(mean), free(rstd);
        }
}
END_TEST

typedef struct {
    Backend *be;
    Shape s;
    float *x, *gamma, *beta, *y, *stats, *dx, *dgamma, *dbeta, *dy;
} GroupNormCase;

static GroupNormCase make_case(Shape s, uint32_t tag) {
    size_t n = numel(s);
    GroupNormCase g = {.be = backend_cpu(), .s = s};
    /* Large, off-centre inputs: a dx that forgets the mean term is then far off. */
    g.x = alloc_normal(n, tag, 3.0f);
    for (size_t i = 0; i < n; i++) g.x[i] += 5.0f;
    g.gamma = alloc_normal(s.channels, tag + 1, 0.5f);
    for (int c = 0; c < s.channels; c++) g.gamma[c] += 1.0f;
    g.beta = alloc_normal(s.channels, tag + 2, 1.0f);
    g.y = alloc_zeros(n), g.dy = alloc_zeros(n), g.dx = alloc_zeros(n);
    g.stats = alloc_zeros(2 * (size_t)s.batch * s.groups);
    g.dgamma = alloc_zeros(s.channels), g.dbeta = alloc_zeros(s.channels);
    return g;
}

static void free_case(GroupNormCase *g) {
    free(g->x), free(g->gamma), free(g->beta), free(g->y), free(g->stats);
    free(g->dx), free(g->dgamma), free(g->dbeta), free(g->dy);
}

static void gn_forward(void *ctx) {
    GroupNormCase *g = ctx;
    g->be->ops->group_norm_forward(g->be, g->y, g->stats, g->x, g->gamma, g->beta, g->s.batch, g->s.tokens,
                                   g->s.channels, g->s.groups, EPS);
}

static void gn_backward(void *ctx) {
    GroupNormCase *g = ctx;
    g->be->ops->group_norm_backward(g->be, g->dx, g->dgamma, g->dbeta, g->dy, g->x, g->stats, g->gamma, g->s.batch,
                                    g->s.tokens, g->s.channels, g->s.groups);
}

START_TEST(backward_matches_finite_differences) {
    for (int k = 0; k < N_SHAPES; k++) {
        GroupNormCase g = make_case(shapes[k], 100 + 3 * k);
        GradInput inputs[] = {{"x", g.x, g.dx, numel(g.s), false},
                              {"gamma", g.gamma, g.dgamma, (size_t)g.s.channels, true},
                              {"beta", g.beta, g.dbeta, (size_t)g.s.channels, true}};
        GradCheck gc = {.ctx = &g, .forward = gn_forward, .backward = gn_backward, .out = g.y, .dout = g.dy,
                        .n_out = numel(g.s), .inputs = inputs, .n_inputs = 3};
        gradcheck_run(&gc);
        free_case(&g);
    }
}
END_TEST

/* Asking for fewer gradients gives the same values for the ones asked for. */
START_TEST(null_gradients_are_skipped) {
    Backend *be = backend_cpu();
    Shape s = shapes[2];
    GroupNormCase g = make_case(s, 200);
    fill_normal(g.dy, numel(s), 201, 1.0f);
    gn_forward(&g);
    gn_backward(&g);
    float *dx_only = alloc_zeros(numel(s)), *dgamma_only = alloc_zeros(s.channels);
    be->ops->group_norm_backward(be, dx_only, NULL, NULL, g.dy, g.x, g.stats, g.gamma, s.batch, s.tokens, s.channels,
                                 s.groups);
    be->ops->group_norm_backward(be, NULL, dgamma_only, NULL, g.dy, g.x, g.stats, g.gamma, s.batch, s.tokens,
                                 s.channels, s.groups);
    ck_assert(memcmp(dx_only, g.dx, numel(s) * sizeof(float)) == 0);
    ck_assert(memcmp(dgamma_only, g.dgamma, s.channels * sizeof(float)) == 0);
    free(dx_only), free(dgamma_only);
    free_case(&g);
}
END_TEST

int main(void) {
    Suite *s = suite_create("group_norm");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forward_matches_two_pass_reference);
    tcase_add_test(tc, backward_matches_finite_differences);
    tcase_add_test(tc, null_gradients_are_skipped);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
