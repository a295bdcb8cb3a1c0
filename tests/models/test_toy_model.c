/* The 2D toy's networks: gradients end to end through encoder, Gumbel-softmax,
   latent dropout and denoiser; the fed-in x terms; the null latent. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/edm.h"
#include "disco/toy_model.h"
#include "graph_check.h"
#include "testutil.h"

static ToyModelConfig small_config(int latents, bool latent_mean) {
    return (ToyModelConfig){.latents = latents, .codebook = 3, .hidden = 8, .layers = 3, .encoder_hidden = 6,
                            .encoder_layers = 2, .embed = 4, .latent_mean = latent_mean, .sigma_1 = 0.2,
                            .sigma_data = 1.5};
}

/* Rows alternate kept and dropped latents. */
static void feed_training(Graph *g, const ToyNet *net, const ToyModelConfig *c, int batch) {
    float x[16], *clean = graph_data(g, net->clean), *weight = graph_data(g, net->weight);
    double sigma[8];
    fill_normal(clean, 2 * (size_t)batch, 1, 2.0f);
    fill_normal(x, 2 * (size_t)batch, 2, 1.0f);
    for (int r = 0; r < batch; r++) {
        sigma[r] = 0.1 * pow(4.0, r);
        for (int j = 0; j < 2; j++) x[2 * r + j] = clean[2 * r + j] + (float)sigma[r] * x[2 * r + j];
        weight[r] = (float)edm_loss_weight(sigma[r], c->sigma_data) * 0.01f;
    }
    toy_feed_noise(g, net, c, x, sigma, batch);
    if (net->keep < 0) return;
    int mk = c->latents * c->codebook;
    float *keep = graph_data(g, net->keep), *flag = graph_data(g, net->null_flag);
    for (int r = 0; r < batch; r++) {
        float kept = r % 2 == 0;
        for (int j = 0; j < mk; j++) keep[(size_t)r * 2 * mk + j] = kept - 1, keep[(size_t)r * 2 * mk + mk + j] = 0;
        flag[r] = 1 - kept;
    }
}

static void check_training_gradients(int latents, bool latent_mean) {
    const int batch = 4;
    ToyModelConfig c = small_config(latents, latent_mean);
    Graph *g = graph_create(backend_cpu(), 3);
    /* The soft relaxation, so that finite differences see the gradient the
       backward computes (the hard one passes the same gradient straight through). */
    ToyNet net = toy_build_training(g, &c, batch, 0.8f, false);
    graph_compile(g);
    feed_training(g, &net, &c, batch);
    check_whole_graph(g, net.loss, NULL, 0);
    graph_destroy(g);
}

START_TEST(disco_gradients) { check_training_gradients(2, true); }
END_TEST

START_TEST(disco_concat_only_gradients) { check_training_gradients(2, false); }
END_TEST

START_TEST(baseline_gradients) { check_training_gradients(0, false); }
END_TEST

/* With F's last layer at zero, D is exactly the fed x term: c_skip x for the
   baseline, sigma_1^2 x / (sigma^2 + sigma_1^2) + sigma^2 M(z) / (...) with latents. */
START_TEST(x_terms_are_edm_and_the_paper_form) {
    for (int latents = 0; latents <= 1; latents++) {
        ToyModelConfig c = small_config(latents, true);
        Graph *g = graph_create(backend_cpu(), 4);
        ToyNet net = toy_build_denoiser(g, &c, 2);
        graph_compile(g);
        int last = graph_find_param(g, "denoiser.net.fc2.weight");
        memset(graph_data(g, last), 0, graph_numel(g, last) * sizeof(float));
        memset(graph_data(g, graph_find_param(g, "denoiser.net.fc2.bias")), 0, 2 * sizeof(float));
        float x[4] = {1.0f, -2.0f, 0.5f, 3.0f};
        double sigma[2] = {0.3, 7.0};
        toy_feed_noise(g, &net, &c, x, sigma, 2);
        int32_t z[2] = {2, 0};
        if (latents) toy_feed_latents(g, &net, &c, z, 2);
        graph_forward(g);
        const float *d = graph_data(g, net.denoised);
        const float *mean = latents ? graph_data(g, graph_find_param(g, "denoiser.latent_mean.weight")) : NULL;
        for (int r = 0; r < 2; r++) {
            double s2 = sigma[r] * sigma[r], s1 = c.sigma_1 * c.sigma_1;
            for (int j = 0; j < 2; j++) {
                double want = edm_precond(sigma[r], c.sigma_data).c_skip * x[2 * r + j];
                if (latents) /* M(z) is column z of the mean weight [2, k + 1] */
                    want = (s1 * x[2 * r + j] + s2 * mean[j * (c.codebook + 1) + z[r]]) / (s2 + s1);
                ck_assert_double_eq_tol(d[2 * r + j], want, 1e-5 * fmax(1, fabs(want)));
            }
        }
        graph_destroy(g);
    }
}
END_TEST

/* A dropped row of the training graph is the denoiser fed the null latent. */
START_TEST(dropped_latents_are_the_null_latent) {
    const int batch = 4;
    ToyModelConfig c = small_config(2, true);
    Graph *train = graph_create(backend_cpu(), 5), *alone = graph_create(backend_cpu(), 6);
    ToyNet tn = toy_build_training(train, &c, batch, 1.0f, true);
    ToyNet an = toy_build_denoiser(alone, &c, batch);
    graph_compile(train);
    graph_compile(alone);
    ck_assert_int_gt(graph_copy_params(alone, train), 0);
    feed_training(train, &tn, &c, batch);
    graph_forward(train);
    memcpy(graph_data(alone, an.x_in), graph_data(train, tn.x_in), 2 * batch * sizeof(float));
    memcpy(graph_data(alone, an.c_noise), graph_data(train, tn.c_noise), batch * sizeof(float));
    memcpy(graph_data(alone, an.skip), graph_data(train, tn.skip), 2 * batch * sizeof(float));
    memcpy(graph_data(alone, an.out_scale), graph_data(train, tn.out_scale), 4 * batch * sizeof(float));
    memcpy(graph_data(alone, an.mean_scale), graph_data(train, tn.mean_scale), 4 * batch * sizeof(float));
    toy_feed_latents(alone, &an, &c, NULL, batch);
    graph_forward(alone);
    const float *dt = graph_data(train, tn.denoised), *da = graph_data(alone, an.denoised);
    for (int r = 1; r < batch; r += 2)
        for (int j = 0; j < 2; j++) ck_assert_float_eq_tol(dt[2 * r + j], da[2 * r + j], 1e-6f);
    graph_destroy(train), graph_destroy(alone);
}
END_TEST

int main(void) {
    Suite *s = suite_create("toy_model");
    TCase *tc = tcase_create("toy_model");
    tcase_add_test(tc, disco_gradients);
    tcase_add_test(tc, disco_concat_only_gradients);
    tcase_add_test(tc, baseline_gradients);
    tcase_add_test(tc, x_terms_are_edm_and_the_paper_form);
    tcase_add_test(tc, dropped_latents_are_the_null_latent);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
