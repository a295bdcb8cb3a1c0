#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/edm.h"
#include "testutil.h"

static const double SIGMAS[] = {0.002, 0.05, 0.5, 1.0, 7.3, 80.0};
enum { N_SIGMAS = sizeof SIGMAS / sizeof SIGMAS[0] };

START_TEST(preconditioning_follows_edm) {
    const double sigma_data[] = {0.5, 2.13};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < N_SIGMAS; b++) {
            double sd = sigma_data[a], s = SIGMAS[b];
            EdmPrecond p = edm_precond(s, sd);
            ck_assert_double_eq_tol(p.c_skip, sd * sd / (s * s + sd * sd), 1e-15);
            ck_assert_double_eq_tol(p.c_out, s * sd / sqrt(s * s + sd * sd), 1e-14 * p.c_out);
            ck_assert_double_eq_tol(p.c_in, 1 / sqrt(s * s + sd * sd), 1e-14 * p.c_in);
            ck_assert_double_eq_tol(p.c_noise, log(s) / 4, 1e-15);
            ck_assert_double_eq_tol(edm_loss_weight(s, sd), 1 / (p.c_out * p.c_out), 1e-12 / (p.c_out * p.c_out));
            /* EDM's design goals: the network input and its training target
               (y - c_skip (y + n)) / c_out both have unit variance. */
            ck_assert_double_eq_tol(p.c_in * p.c_in * (sd * sd + s * s), 1.0, 1e-14);
            double keep = 1 - p.c_skip;
            double target = (keep * keep * sd * sd + p.c_skip * p.c_skip * s * s) / (p.c_out * p.c_out);
            ck_assert_double_eq_tol(target, 1.0, 1e-12);
            /* D = c_skip x + c_out F gives back x for F = (x - c_skip x) / c_out. */
            double x = -1.7, f = (x - p.c_skip * x) / p.c_out;
            ck_assert_double_eq_tol(p.c_skip * x + p.c_out * f, x, 1e-14);
        }
}
END_TEST

START_TEST(time_grid) {
    double t[41];
    edm_time_steps(40, 0.002, 80, 7, t);
    ck_assert_double_eq(t[0], 80);
    ck_assert_double_eq_tol(t[39], 0.002, 1e-15);
    ck_assert_double_eq(t[40], 0);
    for (int i = 0; i < 40; i++) ck_assert_msg(t[i] > t[i + 1], "t[%d] = %g is not above %g", i, t[i], t[i + 1]);
    /* rho = 1 spaces the grid evenly. */
    edm_time_steps(5, 1, 5, 1, t);
    for (int i = 0; i < 5; i++) ck_assert_double_eq_tol(t[i], 5 - i, 1e-12);
    edm_time_steps(1, 0.002, 80, 7, t);
    ck_assert_double_eq(t[0], 80);
    ck_assert_double_eq(t[1], 0);
}
END_TEST

/* ln sigma ~ N(p_mean, p_std^2): moments within about 5 standard errors. */
START_TEST(sigma_is_log_normal_per_sample) {
    enum { N = 1 << 16 };
    RngKey key = {.seed = 9, .stream = RNG_STREAM_SIGMA};
    double m1 = 0, m2 = 0;
    for (int i = 0; i < N; i++) {
        double l = log(edm_sample_sigma(&key, (uint64_t)i, -1.2, 1.2));
        m1 += l, m2 += l * l;
    }
    double mean = m1 / N, std = sqrt(m2 / N - mean * mean);
    ck_assert_double_eq_tol(mean, -1.2, 5 * 1.2 / sqrt(N));
    ck_assert_double_eq_tol(std, 1.2, 5 * 1.2 / sqrt(2.0 * N));

    /* With one row per sample, a batch whose key starts at its first sample
       draws for sample 100 what a batch starting at 0 does. */
    RngKey rows = {.seed = 9, .stream = RNG_STREAM_SIGMA, .row_len = 1};
    double alone = edm_sample_sigma(&rows, 100, 0, 1);
    for (uint32_t first = 64; first <= 100; first += 12) {
        RngKey batch = rows;
        batch.index = first;
        ck_assert_double_eq(edm_sample_sigma(&batch, 100 - first, 0, 1), alone);
    }
    ck_assert(edm_sample_sigma(&rows, 101, 0, 1) != alone && edm_sample_sigma(&rows, 99, 0, 1) != alone);
}
END_TEST

START_TEST(guidance) {
    float cond[4] = {1, -2, 0.5f, 3}, uncond[4] = {0, -1, 0.5f, 4}, out[4];
    edm_guide(out, cond, uncond, 4, 0.0);
    for (int i = 0; i < 4; i++) ck_assert_float_eq(out[i], cond[i]);
    edm_guide(out, cond, uncond, 4, 1.0);
    for (int i = 0; i < 4; i++) ck_assert_float_eq(out[i], 2 * cond[i] - uncond[i]);
    float again[4];
    memcpy(again, cond, sizeof cond);
    edm_guide(again, again, uncond, 4, 1.0); /* in place */
    for (int i = 0; i < 4; i++) ck_assert_float_eq(again[i], out[i]);
}
END_TEST

/* D(x; sigma) = x / (1 + sigma^2): data N(0, I), element by element. */
static void gaussian_denoiser(void *ctx, const float *x, double sigma, float *out, int n, int dim) {
    for (int i = 0; i < n * dim; i++) out[i] = (float)(x[i] / (1 + sigma * sigma));
}

enum { BATCH = 4, DIM = 3 };

static void sample_from(const SamplerConfig *cfg, const RngKey *key, int n, const double *start, double *x) {
    memcpy(x, start, (size_t)n * DIM * sizeof(double));
    edm_sample(cfg, gaussian_denoiser, NULL, x, n, DIM, key, NULL, NULL);
}

START_TEST(churn_is_keyed_per_sample) {
    double start[BATCH * DIM], a[BATCH * DIM], b[BATCH * DIM], plain[BATCH * DIM];
    for (int i = 0; i < BATCH * DIM; i++) start[i] = 80.0 * sin(1.0 + i);
    SamplerConfig cfg = sampler_default();
    RngKey key = {.seed = 5, .stream = RNG_STREAM_SAMPLER, .index = 10};
    sample_from(&cfg, NULL, BATCH, start, plain);

    cfg.s_churn = 40, cfg.s_min = 0.05, cfg.s_max = 50, cfg.s_noise = 1.003;
    sample_from(&cfg, &key, BATCH, start, a);
    sample_from(&cfg, &key, BATCH, start, b);
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert(memcmp(a, plain, sizeof a) != 0);
    /* Sample r of a batch starting at 10 is sample 10 + r drawn alone. */
    for (int r = 0; r < BATCH; r++) {
        RngKey one = key;
        one.index = key.index + (uint32_t)r;
        double x[DIM];
        sample_from(&cfg, &one, 1, start + r * DIM, x);
        ck_assert_mem_eq(x, a + r * DIM, sizeof x);
    }
    RngKey other = key;
    other.seed = 6;
    sample_from(&cfg, &other, BATCH, start, b);
    ck_assert(memcmp(a, b, sizeof a) != 0);

    /* No churn, or a window no step falls in: the key is never read. */
    cfg.s_min = cfg.s_max = 1000;
    sample_from(&cfg, &key, BATCH, start, a);
    ck_assert_mem_eq(a, plain, sizeof a);
    cfg = sampler_default();
    sample_from(&cfg, &key, BATCH, start, a);
    ck_assert_mem_eq(a, plain, sizeof a);
}
END_TEST

START_TEST(default_sampler_is_edm) {
    SamplerConfig c = sampler_default();
    ck_assert_int_eq(c.steps, 18);
    ck_assert_double_eq(c.sigma_min, 0.002);
    ck_assert_double_eq(c.sigma_max, 80);
    ck_assert_double_eq(c.rho, 7);
    ck_assert(c.method == SAMPLER_HEUN && c.s_churn == 0 && c.s_noise == 1 && c.restarts == 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("edm");
    TCase *tc = tcase_create("edm");
    tcase_add_test(tc, preconditioning_follows_edm);
    tcase_add_test(tc, time_grid);
    tcase_add_test(tc, sigma_is_log_normal_per_sample);
    tcase_add_test(tc, guidance);
    tcase_add_test(tc, churn_is_keyed_per_sample);
    tcase_add_test(tc, default_sampler_is_edm);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
