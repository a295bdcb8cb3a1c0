#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/edm.h"
#include "disco/toy.h"
#include "testutil.h"

enum { N = 8000 };

START_TEST(modes_sit_on_the_circle) {
    ToyMixture m = toy_default();
    double mu[2];
    toy_mode_mean(&m, 0, mu);
    ck_assert(fabs(mu[0] - 3) < 1e-15 && fabs(mu[1]) < 1e-15);
    toy_mode_mean(&m, 2, mu);
    ck_assert(fabs(mu[0]) < 1e-15 && fabs(mu[1] - 3) < 1e-15);
    toy_mode_mean(&m, 5, mu);
    ck_assert(fabs(mu[0] + 3 / sqrt(2)) < 1e-15 && fabs(mu[1] + 3 / sqrt(2)) < 1e-15);
    for (int k = 0; k < TOY_MODES; k++) {
        toy_mode_mean(&m, k, mu);
        ck_assert_int_eq(toy_nearest_mode(&m, (float[2]){(float)mu[0] * 0.6f, (float)mu[1] * 0.6f}), k);
    }
}
END_TEST

/* Per mode: mean within 5 standard errors (0.2 / sqrt(1000)), std within
   5 of its standard errors (0.2 / sqrt(2000)). */
START_TEST(stratified_sample_moments) {
    ToyMixture m = toy_default();
    float *p = alloc_zeros(2 * N);
    int32_t *labels = malloc(N * sizeof(int32_t));
    toy_sample(&m, &(RngKey){.seed = 1, .stream = RNG_STREAM_TEST}, N, 1, p, labels);
    double sum[TOY_MODES][2] = {{0}}, sq[TOY_MODES][2] = {{0}};
    int count[TOY_MODES] = {0};
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(labels[i], i % TOY_MODES);
        ck_assert_int_eq(toy_nearest_mode(&m, p + 2 * i), labels[i]);
        count[labels[i]]++;
        for (int j = 0; j < 2; j++) {
            double v = p[2 * i + j];
            sum[labels[i]][j] += v, sq[labels[i]][j] += v * v;
        }
    }
    for (int k = 0; k < TOY_MODES; k++) {
        ck_assert_int_eq(count[k], N / TOY_MODES);
        double mu[2];
        toy_mode_mean(&m, k, mu);
        for (int j = 0; j < 2; j++) {
            double mean = sum[k][j] / count[k], std = sqrt(sq[k][j] / count[k] - mean * mean);
            ck_assert_double_eq_tol(mean, mu[j], 5 * 0.2 / sqrt(1000));
            ck_assert_double_eq_tol(std, 0.2, 5 * 0.2 / sqrt(2000));
        }
    }
    free(p), free(labels);
}
END_TEST

/* iid modes are uniform (chi-square, 7 dof, p = 0.001), and point i is a
   function of its row alone. */
START_TEST(iid_sample_rows) {
    ToyMixture m = toy_default();
    float *p = alloc_zeros(2 * N);
    int32_t *labels = malloc(N * sizeof(int32_t));
    RngKey key = {.seed = 2, .stream = RNG_STREAM_TEST};
    toy_sample(&m, &key, N, 0, p, labels);
    double count[TOY_MODES] = {0}, chi2 = 0;
    for (int i = 0; i < N; i++) count[labels[i]]++;
    for (int k = 0; k < TOY_MODES; k++) chi2 += pow(count[k] - N / 8.0, 2) / (N / 8.0);
    ck_assert_msg(chi2 < 24.3, "chi2 = %.1f", chi2);

    float part[6];
    int32_t part_labels[3];
    key.index = 5;
    toy_sample(&m, &key, 3, 0, part, part_labels);
    ck_assert_mem_eq(part, p + 10, sizeof part);
    ck_assert_mem_eq(part_labels, labels + 5, sizeof part_labels);
    free(p), free(labels);
}
END_TEST

/* log p_sigma(x) of the noisy mixture, computed independently of the library. */
static double log_density(const ToyMixture *m, double x, double y, double sigma) {
    double var = m->std * m->std + sigma * sigma, total = 0;
    for (int k = 0; k < TOY_MODES; k++) {
        double a = 2 * M_PI * k / TOY_MODES, dx = x - 3 * cos(a), dy = y - 3 * sin(a);
        total += exp(-(dx * dx + dy * dy) / (2 * var)) / (2 * M_PI * var * TOY_MODES);
    }
    return log(total);
}

/* Tweedie: E[y | x] = x + sigma^2 grad log p_sigma(x), the gradient by
   central differences in double. */
START_TEST(exact_denoiser_is_tweedie) {
    ToyMixture m = toy_default();
    const double sigmas[] = {0.1, 0.3, 1.0, 3.0, 10.0};
    float x[2 * 16], out[2 * 16];
    fill_uniform(x, 2 * 16, 21, -4.0f, 4.0f);
    for (int s = 0; s < 5; s++) {
        double sigma = sigmas[s];
        toy_exact_denoise(&m, x, sigma, out, 16);
        for (int i = 0; i < 16; i++) {
            double px = x[2 * i], py = x[2 * i + 1], h = 1e-5;
            double gx = (log_density(&m, px + h, py, sigma) - log_density(&m, px - h, py, sigma)) / (2 * h);
            double gy = (log_density(&m, px, py + h, sigma) - log_density(&m, px, py - h, sigma)) / (2 * h);
            double wx = px + sigma * sigma * gx, wy = py + sigma * sigma * gy;
            ck_assert_msg(fabs(out[2 * i] - wx) < 1e-5 && fabs(out[2 * i + 1] - wy) < 1e-5,
                          "sigma %g at (%g, %g): D = (%g, %g), Tweedie (%g, %g)", sigma, px, py, out[2 * i],
                          out[2 * i + 1], wx, wy);
        }
    }
}
END_TEST

START_TEST(exact_denoiser_limits) {
    ToyMixture m = toy_default();
    float x[4] = {3.1f, -0.2f, -2.0f, 2.3f}, out[4];
    /* sigma << std: nothing to remove, D(x) = x. */
    toy_exact_denoise(&m, x, 1e-4, out, 2);
    ck_assert(max_abs_difference(out, x, 4) < 1e-6);
    /* sigma >> radius: the posterior is the prior, whose mean is 0. */
    toy_exact_denoise(&m, x, 1e4, out, 2);
    for (int i = 0; i < 4; i++) ck_assert(fabsf(out[i]) < 1e-6f);
    /* Far from every mode the weights would underflow without log-sum-exp. */
    float far[2] = {400.0f, 0.0f};
    toy_exact_denoise(&m, far, 0.5, out, 1);
    ck_assert(isfinite(out[0]) && isfinite(out[1]));
}
END_TEST

START_TEST(scores_of_simple_sets) {
    enum { P = 400 }; /* all samples on one point: the slowest case for w2_exact */
    ToyMixture m = toy_default();
    float *a = alloc_zeros(2 * P), *b = alloc_zeros(2 * P);
    toy_sample(&m, &(RngKey){.seed = 3, .stream = RNG_STREAM_TEST}, P, 1, a, NULL);
    ToyScores same = toy_score(&m, a, a, P);
    ck_assert(same.w2 == 0 && same.w2_by_mode == 0 && same.coverage == 1 && same.off_mode == 0);
    /* Everything at mode 0's mean: one mode covered, and every plan to mode
       0's P / 8 reference points (i % 8 == 0) costs their mean square spread. */
    double spread = 0;
    for (int i = 0; i < P; i++) {
        b[2 * i] = 3.0f, b[2 * i + 1] = 0.0f;
        if (i % 8 == 0) spread += pow(a[2 * i] - 3.0, 2) + pow(a[2 * i + 1], 2);
    }
    ToyScores one = toy_score(&m, b, a, P);
    ck_assert_double_eq(one.coverage, 1.0 / 8);
    ck_assert_double_eq_tol(one.w2_by_mode, sqrt(spread / (P / 8)), 1e-12);
    /* At the origin: 3 = 15 std from every mode. */
    memset(b, 0, 2 * P * sizeof(float));
    ck_assert_double_eq(toy_score(&m, b, a, P).off_mode, 1.0);
    free(a), free(b);
}
END_TEST

/* Data N(mu, s^2 I): D = (s^2 x + sigma^2 mu) / (s^2 + sigma^2), and the
   ODE moves along the straight line through x and mu. */
static void gaussian_denoiser(void *ctx, const float *x, double sigma, float *out, int n, int dim) {
    const double s2 = 0.25, mu[2] = {1.0, -2.0};
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 2; j++)
            out[2 * i + j] = (float)((s2 * x[2 * i + j] + sigma * sigma * mu[j]) / (s2 + sigma * sigma));
}

/* dx/dt = R x with R a quarter turn: circles about 0, curvature 1 / |x|. */
static void circling_denoiser(void *ctx, const float *x, double t, float *out, int n, int dim) {
    for (int i = 0; i < n; i++) {
        out[2 * i] = (float)(x[2 * i] + t * x[2 * i + 1]);
        out[2 * i + 1] = (float)(x[2 * i + 1] - t * x[2 * i]);
    }
}

START_TEST(curvature_of_known_fields) {
    float x[2 * 8];
    fill_uniform(x, 2 * 8, 31, -3.0f, 3.0f);
    double kappa[8];
    /* Only float rounding of D bends these lines: it turns the tangent by
       about 1e-7 / |x - mu| over a step of dt |x - mu|, hence dt = 1e-2. */
    edm_curvature(gaussian_denoiser, NULL, x, 0.5, 1e-2, 8, 2, kappa);
    for (int i = 0; i < 8; i++) ck_assert_msg(kappa[i] < 1e-3, "straight flow has curvature %g", kappa[i]);
    edm_curvature(circling_denoiser, NULL, x, 0.5, 1e-3, 8, 2, kappa);
    for (int i = 0; i < 8; i++) {
        double r = hypot(x[2 * i], x[2 * i + 1]);
        ck_assert_msg(fabs(kappa[i] * r - 1) < 1e-2, "circle of radius %g has curvature %g", r, kappa[i]);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("toy");
    TCase *tc = tcase_create("toy");
    tcase_add_test(tc, modes_sit_on_the_circle);
    tcase_add_test(tc, stratified_sample_moments);
    tcase_add_test(tc, iid_sample_rows);
    tcase_add_test(tc, exact_denoiser_is_tweedie);
    tcase_add_test(tc, exact_denoiser_limits);
    tcase_add_test(tc, scores_of_simple_sets);
    tcase_add_test(tc, curvature_of_known_fields);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
