/* The Restart sampler and the sampler options: names, NFE against counted
 * denoiser calls (623 for Restart's ImageNet-64 setting), where the restart
 * segments start and end, the target distribution for Gaussian data with its
 * exact denoiser, per-sample noise whatever the batch, K = 0 as plain Heun,
 * and the intervals it refuses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/edm.h"
#include "fatal_check.h"
#include "testutil.h"

/* Data N(mu_j, S_j^2) independently per coordinate j: D(x; sigma) =
   mu + S^2 / (S^2 + sigma^2) (x - mu). The means are small enough that
   starting from N(0, sigma_max^2) instead of N(mu, S^2 + sigma_max^2) moves
   the result by mu S / sigma_max, a tenth of the sampling error below. */
enum { DIM = 2 };
static const double MU[DIM] = {0.3, -0.2}, STD[DIM] = {0.5, 1.2};

enum { LOGGED = 1024 };
typedef struct {
    int calls;
    double sigma[LOGGED]; /* the first LOGGED sigmas the sampler asked for */
} Calls;

static void gaussian_denoiser(void *ctx, const float *x, double sigma, float *out, int n, int dim) {
    Calls *c = ctx;
    if (c) {
        if (c->calls < LOGGED) c->sigma[c->calls] = sigma;
        c->calls++;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dim; j++) {
            double s2 = STD[j % DIM] * STD[j % DIM], mu = MU[j % DIM];
            out[i * dim + j] = (float)(mu + s2 / (s2 + sigma * sigma) * (x[i * dim + j] - mu));
        }
}

/* n samples from sigma_max N(0, I) noise keyed by the global sample index. */
static double *sample(const SamplerConfig *cfg, const RngKey *key, int n, int dim, Calls *calls) {
    double *x = malloc((size_t)n * dim * sizeof(double));
    RngKey noise = {.seed = 11, .stream = RNG_STREAM_NOISE, .index = key ? key->index : 0, .row_len = (uint64_t)dim};
    for (int i = 0; i < n * dim; i++) x[i] = cfg->sigma_max * rng_normal(&noise, (uint64_t)i);
    edm_sample(cfg, gaussian_denoiser, calls, x, n, dim, key, NULL, NULL);
    return x;
}

START_TEST(method_names) {
    const char *names[] = {"heun", "euler", "stochastic", "restart"};
    const SamplerMethod methods[] = {SAMPLER_HEUN, SAMPLER_EULER, SAMPLER_STOCHASTIC, SAMPLER_RESTART};
    for (int i = 0; i < 4; i++) {
        SamplerMethod m;
        ck_assert(sampler_method_parse(names[i], &m));
        ck_assert_int_eq(m, methods[i]);
        ck_assert_str_eq(sampler_method_name(m), names[i]);
    }
    SamplerMethod m = SAMPLER_EULER;
    ck_assert(!sampler_method_parse("Restart", &m) && !sampler_method_parse("", &m));
    ck_assert(!sampler_method_parse("heun2", &m));
    ck_assert_int_eq(m, SAMPLER_EULER); /* untouched */
}
END_TEST

/* sampler_nfe against the calls edm_sample makes, for every method. */
START_TEST(nfe_is_the_number_of_denoiser_calls) {
    RngKey key = {.seed = 3, .stream = RNG_STREAM_SAMPLER};
    SamplerConfig euler = sampler_default();
    euler.method = SAMPLER_EULER;
    const struct {
        SamplerConfig cfg;
        int nfe;
    } cases[] = {{sampler_default(), 35}, {euler, 18}, {sampler_stochastic_imagenet64(), 511},
                 {sampler_restart_imagenet64(), 623}};
    for (int c = 0; c < 4; c++) {
        Calls calls = {0};
        free(sample(&cases[c].cfg, &key, 1, 1, &calls));
        printf("%-10s NFE %d, %d calls\n", sampler_method_name(cases[c].cfg.method), sampler_nfe(&cases[c].cfg),
               calls.calls);
        ck_assert_int_eq(sampler_nfe(&cases[c].cfg), cases[c].nfe);
        ck_assert_int_eq(calls.calls, cases[c].nfe);
    }
}
END_TEST

/* The ImageNet-64 setting's 36-step grid puts t_min 19.35 nearest t[8] =
   20.24 and 0.30 nearest t[25] = 0.267: the segments run from t_max down to
   those grid points, and the one inside [S_min, S_max] = [0.01, 1] churns
   its steps by gamma 0.05. */
START_TEST(segments_start_at_t_max_and_end_on_the_grid) {
    SamplerConfig cfg = sampler_restart_imagenet64();
    double t[37];
    edm_time_steps(cfg.steps, cfg.sigma_min, cfg.sigma_max, cfg.rho, t);
    RngKey key = {.seed = 3, .stream = RNG_STREAM_SAMPLER};
    Calls calls = {0};
    free(sample(&cfg, &key, 1, 1, &calls));
    ck_assert_int_le(calls.calls, LOGGED);
    /* Main steps 0..7 take 2 calls each and land on t[8]; then 3 segments of
       9 Heun steps from 40.79 to t[8]; then main step 8 from t[8]. */
    for (int i = 0; i < 8; i++) {
        ck_assert_double_eq(calls.sigma[2 * i], t[i]);
        ck_assert_double_eq(calls.sigma[2 * i + 1], t[i + 1]);
    }
    for (int rep = 0; rep < 3; rep++) {
        ck_assert_double_eq(calls.sigma[16 + 18 * rep], 40.79);
        ck_assert_double_eq(calls.sigma[16 + 18 * rep + 17], t[8]);
    }
    ck_assert_double_eq(calls.sigma[70], t[8]);
    ck_assert_double_eq(calls.sigma[71], t[9]);
    /* [7, 25, 0.06, 0.30] starts 25 segments at 0.30 churned to 0.315;
       [7, 6, 0.30, 0.59] 6 at 0.6195; [10, 3, 19.35, 40.79] is above S_max. */
    int at_0315 = 0, at_06195 = 0, at_4079 = 0;
    for (int i = 0; i < calls.calls; i++) {
        at_0315 += calls.sigma[i] == 0.30 * (1.0 + 0.05);
        at_06195 += calls.sigma[i] == 0.59 * (1.0 + 0.05);
        at_4079 += calls.sigma[i] == 40.79;
    }
    ck_assert_int_eq(at_0315, 25);
    ck_assert_int_eq(at_06195, 6);
    ck_assert_int_eq(at_4079, 3);
}
END_TEST

/* With the exact denoiser the sampler is exact up to discretisation, so the
   samples' means and variances must match the data's within sampling error:
   at n = 4000 the mean's standard error is S / 63 and the variance's
   relative one sqrt(2 / n) = 2.2%; the bounds are 4 standard errors. A
   wrong jump scale shows: with std t_max instead of sqrt(t_max^2 - t_grid^2)
   the variances came out 9% and 21% too large (0.2% and 1.8% when right). */
START_TEST(gaussian_data_is_reproduced) {
    enum { N = 4000 };
    SamplerConfig cfg = sampler_default();
    cfg.method = SAMPLER_RESTART;
    cfg.s_min = 0.01, cfg.s_max = 1, cfg.restart_gamma = 0.05;
    cfg.restarts = 3;
    cfg.restart[0] = (RestartInterval){6, 2, 5.0, 12.0};
    cfg.restart[1] = (RestartInterval){5, 3, 0.3, 0.6};
    cfg.restart[2] = (RestartInterval){4, 4, 0.06, 0.3};
    RngKey key = {.seed = 7, .stream = RNG_STREAM_SAMPLER};
    double *x = sample(&cfg, &key, N, DIM, NULL);
    for (int j = 0; j < DIM; j++) {
        double mean = 0, var = 0;
        for (int i = 0; i < N; i++) mean += x[i * DIM + j] / N;
        for (int i = 0; i < N; i++) var += pow(x[i * DIM + j] - mean, 2) / (N - 1);
        double mean_se = STD[j] / sqrt(N), var_rel = var / (STD[j] * STD[j]) - 1;
        printf("restart, coordinate %d: mean %.4f (data %.2f, %.1f se), variance %.4f (data %.4f, %+.1f%%)\n", j, mean,
               MU[j], (mean - MU[j]) / mean_se, var, STD[j] * STD[j], 100 * var_rel);
        ck_assert_msg(fabs(mean - MU[j]) < 4 * mean_se, "coordinate %d: mean %.4f, data %.2f", j, mean, MU[j]);
        ck_assert_msg(fabs(var_rel) < 4 * sqrt(2.0 / N), "coordinate %d: variance %.4f is %+.1f%% off %.4f", j, var,
                      100 * var_rel, STD[j] * STD[j]);
    }
    free(x);
}
END_TEST

/* Sample r of a batch that starts at global index 10 is sample 10 + r drawn
   alone, bit for bit: jump noise, segment churn and main churn included. */
START_TEST(a_sample_does_not_depend_on_its_batch) {
    enum { BATCH = 5, D = 3 };
    SamplerConfig cfg = sampler_restart_imagenet64();
    cfg.s_churn = 10, cfg.s_max = 50; /* main-loop churn too */
    RngKey key = {.seed = 5, .stream = RNG_STREAM_SAMPLER, .index = 10};
    double *batch = sample(&cfg, &key, BATCH, D, NULL);
    for (int r = 0; r < BATCH; r++) {
        RngKey one = key;
        one.index = key.index + (uint32_t)r;
        double *alone = sample(&cfg, &one, 1, D, NULL);
        ck_assert_mem_eq(alone, batch + r * D, D * sizeof(double));
        free(alone);
    }
    RngKey other = key;
    other.seed = 6;
    double *again = sample(&cfg, &key, BATCH, D, NULL), *reseeded = sample(&cfg, &other, BATCH, D, NULL);
    ck_assert_mem_eq(again, batch, sizeof(double) * BATCH * D);
    ck_assert(memcmp(reseeded, batch, sizeof(double) * BATCH * D) != 0);
    free(batch), free(again), free(reseeded);
}
END_TEST

/* K = 0 everywhere (or no intervals) is plain Heun, bit for bit, and reads
   no key; intervals under another method are ignored. */
START_TEST(no_repetitions_is_plain_heun) {
    enum { BATCH = 4, D = 3 };
    SamplerConfig heun = sampler_default();
    heun.steps = 36;
    RngKey key = {.seed = 5, .stream = RNG_STREAM_SAMPLER};
    double *plain = sample(&heun, &key, BATCH, D, NULL);

    SamplerConfig cfg = sampler_restart_imagenet64();
    for (int j = 0; j < cfg.restarts; j++) cfg.restart[j].repeats = 0;
    ck_assert_int_eq(sampler_nfe(&cfg), 2 * 36 - 1);
    double *x = sample(&cfg, NULL, BATCH, D, NULL);
    ck_assert_mem_eq(x, plain, sizeof(double) * BATCH * D);
    free(x);
    cfg.restarts = 0;
    x = sample(&cfg, NULL, BATCH, D, NULL);
    ck_assert_mem_eq(x, plain, sizeof(double) * BATCH * D);
    free(x);
    cfg = sampler_restart_imagenet64();
    cfg.method = SAMPLER_HEUN;
    ck_assert_int_eq(sampler_nfe(&cfg), 71);
    x = sample(&cfg, NULL, BATCH, D, NULL);
    ck_assert_mem_eq(x, plain, sizeof(double) * BATCH * D);
    free(x);

    /* One repetition is enough to change every sample. */
    cfg = sampler_restart_imagenet64();
    cfg.restarts = 1, cfg.restart[0].repeats = 1;
    x = sample(&cfg, &key, BATCH, D, NULL);
    for (int r = 0; r < BATCH; r++) ck_assert(memcmp(x + r * D, plain + r * D, D * sizeof(double)) != 0);
    free(x), free(plain);
}
END_TEST

/* Intervals the reference would silently drop or mangle are refused. */
static const struct {
    RestartInterval interval;
    const char *message;
} BAD[] = {
    {{10, 3, 100.0, 120.0}, "must be inside the grid"},   /* nearest t[0]: never landed on */
    {{10, 3, 1e-4, 0.5}, "must be inside the grid"},      /* nearest t[N] = 0 */
    {{10, 3, 1.0, 0.9}, "is not above its grid point"},   /* t_max below t[21] = 0.965 */
    {{1, 3, 1.0, 2.0}, "need N_restart >= 2 and K >= 0"}, /* no step */
    {{10, 3, 1.05, 2.0}, "both return to t[21]"},         /* shares t[21] with 1.09 */
};

START_TEST(bad_intervals_are_fatal) {
    SamplerConfig cfg = sampler_restart_imagenet64();
    cfg.restart[cfg.restarts++] = BAD[_i].interval;
    expect_fatal_mentioning(BAD[_i].message, NULL, NULL);
    sampler_nfe(&cfg);
}
END_TEST

START_TEST(stochastic_without_churn_is_fatal) {
    SamplerConfig cfg = sampler_default();
    cfg.method = SAMPLER_STOCHASTIC;
    expect_fatal_mentioning("needs s_churn > 0", NULL, NULL);
    sampler_nfe(&cfg);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("restart");
    TCase *tc = tcase_create("restart");
    tcase_add_test(tc, method_names);
    tcase_add_test(tc, nfe_is_the_number_of_denoiser_calls);
    tcase_add_test(tc, segments_start_at_t_max_and_end_on_the_grid);
    tcase_add_test(tc, gaussian_data_is_reproduced);
    tcase_add_test(tc, a_sample_does_not_depend_on_its_batch);
    tcase_add_test(tc, no_repetitions_is_plain_heun);
    tcase_add_loop_exit_test(tc, bad_intervals_are_fatal, EXIT_FAILURE, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_exit_test(tc, stochastic_without_churn_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int status = run_suite(s);
    scratch_remove();
    return status;
}
