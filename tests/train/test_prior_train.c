/* The prior learns a known distribution and samples it: for class c,
   z_0 ~ p_c and z_1 = (z_0 + c) % 4, so the best loss is H(p_c) / 2 nats per
   latent and the joint of the samples must match. With m = 1 the same code
   is a class-conditional categorical. Sampling must not depend on how the
   samples are split into batches. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/prior.h"
#include "testutil.h"

enum { K = 4, CLASSES = 2, PER_CLASS = 1000, SAMPLES = 2000 };
static const double p_z0[CLASSES][K] = {{0.5, 0.25, 0.15, 0.1}, {0.05, 0.15, 0.3, 0.5}};
static const PriorTrainConfig training = {.steps = 300, .lr = 5e-3f, .rampup_steps = 30, .seed = 11};

static PriorConfig config(int m) {
    return (PriorConfig){.m = m, .k = K, .classes = CLASSES, .width = 16, .depth = 1, .heads = 2, .mlp_ratio = 2};
}

/* Exact quotas rather than draws: the data's distribution is the true one,
   so the loss can approach the entropy itself. */
static void make_data(int m, int32_t *latents, int32_t *labels) {
    int row = 0;
    for (int c = 0; c < CLASSES; c++)
        for (int v = 0; v < K; v++)
            for (int j = 0; j < (int)lround(p_z0[c][v] * PER_CLASS); j++, row++) {
                labels[row] = c;
                latents[row * m] = v;
                if (m > 1) latents[row * m + 1] = (v + c) % K;
            }
    ck_assert_int_eq(row, CLASSES * PER_CLASS);
}

static double entropy(const double *p, int n) {
    double h = 0;
    for (int i = 0; i < n; i++) h -= p[i] * log(p[i]);
    return h;
}

static Prior trained(int m, double *loss) {
    PriorConfig c = config(m);
    Prior p = prior_create(backend_cpu(), &c, 128, 5);
    int32_t *latents = malloc(sizeof(int32_t) * CLASSES * PER_CLASS * m), labels[CLASSES * PER_CLASS];
    make_data(m, latents, labels);
    *loss = prior_train(&p, latents, labels, CLASSES * PER_CLASS, &training);
    free(latents);
    return p;
}

/* SAMPLES draws per class, labels alternating. */
static int32_t *sample_both_classes(Prior *p, float temperature, int32_t *labels) {
    for (int i = 0; i < CLASSES * SAMPLES; i++) labels[i] = i % CLASSES;
    int32_t *z = malloc(sizeof(int32_t) * CLASSES * SAMPLES * p->config.m);
    prior_sample(p, labels, CLASSES * SAMPLES, temperature, 99, 0, z);
    return z;
}

/* Total variation between the sampled joint of class c and the true one. */
static double total_variation(const int32_t *z, const int32_t *labels, int m, int c) {
    double freq[K * K] = {0};
    for (int i = 0; i < CLASSES * SAMPLES; i++)
        if (labels[i] == c) freq[z[i * m] * K + (m > 1 ? z[i * m + 1] : 0)] += 1.0 / SAMPLES;
    double tv = 0;
    for (int v = 0; v < K; v++)
        for (int w = 0; w < K; w++) {
            double truth = (m == 1 ? w == 0 : w == (v + c) % K) ? p_z0[c][v] : 0;
            tv += 0.5 * fabs(freq[v * K + w] - truth);
        }
    return tv;
}

static void check_learns(int m) {
    double loss;
    Prior p = trained(m, &loss);
    /* z_1 is determined, so it adds nothing: H(z_0 | c) over m latents. */
    double best = (entropy(p_z0[0], K) + entropy(p_z0[1], K)) / CLASSES / m;
    ck_assert_msg(fabs(loss - best) < 0.015, "m = %d: final loss %.4f, entropy %.4f", m, loss, best);
    int32_t labels[CLASSES * SAMPLES];
    int32_t *z = sample_both_classes(&p, 1.0f, labels);
    for (int c = 0; c < CLASSES; c++) {
        double tv = total_variation(z, labels, m, c);
        ck_assert_msg(tv < 0.05, "m = %d, class %d: total variation %.4f", m, c, tv);
    }
    free(z);

    /* Near zero temperature every draw is the mode: z_0 = 0 for class 0
       and 3 for class 1. */
    z = sample_both_classes(&p, 1e-4f, labels);
    for (int i = 0; i < CLASSES * SAMPLES; i++) {
        int mode = labels[i] == 0 ? 0 : 3;
        ck_assert_msg(z[i * m] == mode, "m = %d: sample %d of class %d drew z_0 = %d, the mode is %d", m, i,
                      labels[i], z[i * m], mode);
        if (m > 1) ck_assert_int_eq(z[i * m + 1], (mode + labels[i]) % K);
    }
    free(z);
    prior_destroy(&p);
}

START_TEST(learns_joint_distribution) { check_learns(2); }
END_TEST

START_TEST(one_latent_is_a_categorical) { check_learns(1); }
END_TEST

/* Seven draws from a batch-4 graph (chunks of 4 and 3), from a batch-3
   graph with the same weights, and one at a time through first_sample all
   agree, and a second call repeats the first. */
START_TEST(sampling_independent_of_chunking) {
    enum { N = 7, M = 2 };
    PriorConfig c = config(M);
    Prior four = prior_create(backend_cpu(), &c, 4, 1), three = prior_create(backend_cpu(), &c, 3, 2);
    /* Random weights everywhere (the head starts at zero), so that rows and
       positions have logits of their own. */
    size_t n;
    float *w = graph_params(four.g, &n);
    fill_normal(w, n, 3, 0.5f);
    ck_assert_int_eq(graph_copy_params(three.g, four.g), graph_param_count(four.g));
    const int32_t labels[N] = {0, 1, 1, 0, 1, 0, 0};
    int32_t whole[N * M], again[N * M], other[N * M], single[N * M];
    prior_sample(&four, labels, N, 1.0f, 42, 100, whole);
    prior_sample(&four, labels, N, 1.0f, 42, 100, again);
    prior_sample(&three, labels, N, 1.0f, 42, 100, other);
    for (int r = 0; r < N; r++) prior_sample(&four, labels + r, 1, 1.0f, 42, 100 + (uint32_t)r, single + r * M);
    ck_assert_mem_eq(again, whole, sizeof whole);
    ck_assert_mem_eq(other, whole, sizeof whole);
    ck_assert_mem_eq(single, whole, sizeof whole);
    /* Another seed draws other samples. */
    prior_sample(&four, labels, N, 1.0f, 43, 100, other);
    ck_assert_msg(memcmp(other, whole, sizeof whole) != 0, "the seed does not matter");
    prior_destroy(&four);
    prior_destroy(&three);
}
END_TEST

int main(void) {
    Suite *s = suite_create("prior_train");
    TCase *tc = tcase_create("prior_train");
    tcase_add_test(tc, learns_joint_distribution);
    tcase_add_test(tc, one_latent_is_a_categorical);
    tcase_add_test(tc, sampling_independent_of_chunking);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
