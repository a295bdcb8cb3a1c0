/* Stage 1 of the 2D toy; see include/disco/toy_train.h. */
#include <math.h>
#include <stdlib.h>

#include "disco/adam.h"
#include "disco/edm.h"
#include "disco/error.h"
#include "disco/progress.h"
#include "disco/rng.h"
#include "disco/timer.h"
#include "disco/toy_train.h"

/* Per-sample draws of one step, keyed by the global sample index. */
static void draw_batch(const ToyTrainConfig *tc, const float *data, int n, uint64_t first_sample, float *clean,
                       float *noisy, double *sigma, float *keep) {
    RngKey pick = {.seed = tc->seed, .stream = RNG_STREAM_DATA_ORDER};
    RngKey sigma_key = {.seed = tc->seed, .stream = RNG_STREAM_SIGMA};
    RngKey noise = {.seed = tc->seed, .stream = RNG_STREAM_NOISE, .row_len = 2};
    RngKey drop = {.seed = tc->seed, .stream = RNG_STREAM_LATENT_DROP};
    for (int r = 0; r < tc->batch; r++) {
        uint64_t s = first_sample + (uint64_t)r;
        int i = (int)(rng_u32(&pick, s) % (uint32_t)n);
        sigma[r] = edm_sample_sigma(&sigma_key, s, tc->p_mean, tc->p_std);
        for (int j = 0; j < 2; j++) {
            clean[2 * r + j] = data[2 * i + j];
            noisy[2 * r + j] = data[2 * i + j] + (float)sigma[r] * rng_normal(&noise, 2 * s + (uint64_t)j);
        }
        keep[r] = rng_uniform(&drop, s) >= tc->latent_dropout;
    }
}

static void feed_step(Graph *g, const ToyNet *net, const ToyModelConfig *mc, const float *clean, const float *noisy,
                      const double *sigma, const float *keep) {
    int batch = net->batch;
    toy_feed_noise(g, net, mc, noisy, sigma, batch);
    float *c = graph_data(g, net->clean), *w = graph_data(g, net->weight);
    for (int r = 0; r < batch; r++) {
        c[2 * r] = clean[2 * r], c[2 * r + 1] = clean[2 * r + 1];
        w[r] = (float)edm_loss_weight(sigma[r], mc->sigma_data);
    }
    if (net->keep < 0) return;
    int mk = mc->latents * mc->codebook;
    float *k = graph_data(g, net->keep), *flag = graph_data(g, net->null_flag);
    for (int r = 0; r < batch; r++) {
        for (int j = 0; j < mk; j++) k[(size_t)r * 2 * mk + j] = keep[r] - 1.0f, k[(size_t)r * 2 * mk + mk + j] = 0;
        flag[r] = 1.0f - keep[r];
    }
}

ToyTrained toy_train(const ToyModelConfig *mc, const ToyTrainConfig *tc, const float *data, int n, FILE *metrics) {
    DISCO_CHECK(n > 0 && tc->batch > 0 && tc->steps > 0, "toy training needs data, a batch and steps");
    ToyTrained t = {.graph = graph_create(backend_cpu(), tc->seed)};
    t.net = toy_build_training(t.graph, mc, tc->batch, tc->gumbel_tau, tc->gumbel_hard);
    graph_compile(t.graph);
    size_t n_params;
    float *params = graph_params(t.graph, &n_params);
    float *grads = graph_param_grads(t.graph);
    Adam *adam = adam_create(n_params);
    t.ema = ema_create(params, n_params, tc->ema_half_life_samples, tc->ema_rampup_ratio);

    int batch = tc->batch;
    float *clean = disco_malloc(2 * (size_t)batch * sizeof(float), "toy batch");
    float *noisy = disco_malloc(2 * (size_t)batch * sizeof(float), "toy batch");
    float *keep = disco_malloc((size_t)batch * sizeof(float), "toy batch");
    double *sigma = disco_malloc((size_t)batch * sizeof(double), "toy batch");

    int log_every = tc->steps / 100 > 0 ? tc->steps / 100 : 1;
    int tail_from = tc->steps - (tc->steps + 9) / 10;
    double tail_loss = 0, interval_loss = 0;
    Progress progress;
    progress_begin(&progress, stderr, mc->latents ? "train disco" : "train baseline", "step", (uint64_t)tc->steps);
    double start = time_now();
    for (int step = 0; step < tc->steps; step++) {
        uint64_t first = (uint64_t)step * (uint64_t)batch;
        draw_batch(tc, data, n, first, clean, noisy, sigma, keep);
        feed_step(t.graph, &t.net, mc, clean, noisy, sigma, keep);
        graph_set_step(t.graph, (uint32_t)step, (uint32_t)first);
        graph_forward(t.graph);
        graph_zero_param_grads(t.graph);
        graph_backward(t.graph, 1.0f / (float)batch);
        uint64_t seen = first + (uint64_t)batch;
        adam_step(adam, params, grads, (float)lr_at(tc->lr, seen, tc->lr_rampup_samples));
        ema_update(t.ema, params, (uint64_t)batch, seen);

        const float *loss = graph_data(t.graph, t.net.loss);
        double mean = 0;
        for (int r = 0; r < batch; r++) mean += loss[r];
        mean /= batch;
        interval_loss += mean;
        if (step >= tail_from) tail_loss += mean;
        if ((step + 1) % log_every == 0) {
            char extra[48];
            snprintf(extra, sizeof extra, "loss %.4f", interval_loss / log_every);
            progress_update(&progress, (uint64_t)step + 1, extra);
            if (metrics)
                fprintf(metrics, "{\"step\": %d, \"samples\": %llu, \"loss\": %.6f}\n", step + 1,
                        (unsigned long long)seen, interval_loss / log_every);
            interval_loss = 0;
        }
    }
    t.seconds = time_now() - start;
    t.final_loss = tail_loss / (tc->steps - tail_from);
    char extra[48];
    snprintf(extra, sizeof extra, "loss %.4f", t.final_loss);
    progress_end(&progress, extra);
    adam_destroy(adam);
    free(clean), free(noisy), free(keep), free(sigma);
    return t;
}

void toy_trained_free(ToyTrained *t) {
    graph_destroy(t->graph);
    ema_destroy(t->ema);
    t->graph = NULL, t->ema = NULL;
}
