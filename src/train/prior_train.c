/* Training the prior by maximum likelihood and sampling from it token by
   token; see include/disco/prior.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/adam.h"
#include "disco/error.h"
#include "disco/prior.h"
#include "disco/progress.h"
#include "disco/rng.h"
#include "disco/sharding.h"
#include "disco/train.h"

/* The mean of the graph's per-token losses, read back from the backend. */
static double mean_loss(const Prior *p, float *host) {
    Backend *be = graph_backend(p->g);
    size_t n = graph_numel(p->g, p->loss);
    be->ops->download(be, host, graph_data(p->g, p->loss), n * sizeof(float));
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += host[i];
    return sum / (double)n;
}

/* EDM's linear ramp (counted in samples, as train.h does), times a half
   cosine that reaches 0 at the last step: with a constant rate Adam leaves
   the logits jittering around the optimum, which shows directly in the
   sampled frequencies (total variation 0.03-0.1 instead of 0.01-0.02 on
   the test problem of tests/train/test_prior_train.c). */
static float learning_rate(const PriorTrainConfig *tc, int step, int batch) {
    uint64_t seen = (uint64_t)(step + 1) * (uint64_t)batch, rampup = (uint64_t)tc->rampup_steps * (uint64_t)batch;
    return (float)(lr_at(tc->lr, seen, rampup) * 0.5 * (1.0 + cos(M_PI * step / tc->steps)));
}

double prior_train(Prior *p, const int32_t *latents, const int32_t *labels, int n, const PriorTrainConfig *tc) {
    Graph *g = p->g;
    const int batch = p->batch, m = p->config.m;
    DISCO_CHECK(graph_backend(g)->device == DEVICE_CPU, "prior: Adam runs on host memory only so far");
    DISCO_CHECK(n > 0 && tc->steps > 0 && tc->rampup_steps >= 0, "prior: training needs data and steps");
    size_t n_params;
    float *params = graph_params(g, &n_params);
    Adam *adam = adam_create(n_params);
    ShardingPlan order = sharding_create(n, p->batch, 1, 0, tc->seed, SHARD_WRAP);
    int32_t *batch_latents = disco_malloc((size_t)batch * (size_t)m * sizeof(int32_t), "prior batch");
    int32_t *batch_labels = disco_calloc((size_t)batch, sizeof(int32_t), "prior batch");
    float *losses = disco_malloc((size_t)batch * (size_t)m * sizeof(float), "prior losses");

    const int tail_from = tc->steps - (tc->steps + 9) / 10;
    double tail = 0, smooth = 0;
    char line[48];
    Progress progress;
    progress_begin(&progress, stderr, "prior", "step", (uint64_t)tc->steps);
    graph_set_training(g, true);
    for (int step = 0; step < tc->steps; step++) {
        uint64_t first = (uint64_t)step * (uint64_t)batch;
        for (int r = 0; r < batch; r++) {
            int i = (int)sharding_at(&order, first + (uint64_t)r);
            memcpy(batch_latents + (size_t)r * m, latents + (size_t)i * m, (size_t)m * sizeof(int32_t));
            if (labels) batch_labels[r] = labels[i];
        }
        prior_feed(p, batch_latents, labels ? batch_labels : NULL, batch);
        graph_set_step(g, (uint32_t)step, (uint32_t)first);
        graph_forward(g);
        graph_zero_param_grads(g);
        graph_backward(g, 1.0f / (float)(batch * m)); /* the mean over tokens: nats per latent */
        adam_step(adam, params, graph_param_grads(g), learning_rate(tc, step, batch));

        double loss = mean_loss(p, losses);
        if (step >= tail_from) tail += loss;
        smooth = step ? 0.98 * smooth + 0.02 * loss : loss; /* ~50 steps, for the progress line only */
        snprintf(line, sizeof line, "loss %.4f", smooth);
        progress_update(&progress, (uint64_t)step + 1, line);
    }
    progress_end(&progress, line);
    free(losses);
    free(batch_labels);
    free(batch_latents);
    sharding_free(&order);
    adam_destroy(adam);
    return tail / (tc->steps - tail_from);
}

/* Gumbel-max: argmax_v (logit_v / T + G_v) is a draw from softmax(logit / T).
   Row r's noise for value v at position i is element i * k + v of its own
   Philox row, so it depends on nothing but (seed, global sample, i, v). */
static int32_t draw(const float *logits, int k, float temperature, const RngKey *row, int position) {
    int32_t best = 0;
    float best_score = -INFINITY;
    for (int v = 0; v < k; v++) {
        float score = logits[v] / temperature + rng_gumbel(row, (uint64_t)position * (uint64_t)k + (uint64_t)v);
        if (score > best_score) best = v, best_score = score;
    }
    return best;
}

void prior_sample(Prior *p, const int32_t *labels, int n, float temperature, uint64_t seed, uint32_t first_sample,
                  int32_t *latents) {
    const int batch = p->batch, m = p->config.m, k = p->config.k;
    DISCO_CHECK(n >= 0 && temperature > 0 && isfinite(temperature),
                "prior: %d samples at temperature %g (it must be positive)", n, temperature);
    Backend *be = graph_backend(p->g);
    /* The chunk's sequences so far. Positions not drawn yet hold 0, a valid
       token that causal attention hides from the positions before it. */
    int32_t *z = disco_malloc((size_t)batch * (size_t)m * sizeof(int32_t), "prior samples");
    float *logits = disco_malloc((size_t)batch * (size_t)m * (size_t)k * sizeof(float), "prior logits");
    graph_set_training(p->g, false);
    for (int first = 0; first < n; first += batch) {
        int rows = n - first < batch ? n - first : batch;
        memset(z, 0, (size_t)batch * (size_t)m * sizeof(int32_t));
        for (int i = 0; i < m; i++) {
            prior_feed(p, z, labels ? labels + first : NULL, rows);
            graph_forward(p->g);
            be->ops->download(be, logits, graph_data(p->g, p->logits),
                              (size_t)batch * (size_t)m * (size_t)k * sizeof(float));
            for (int r = 0; r < rows; r++) {
                RngKey row = {.seed = seed, .stream = RNG_STREAM_PRIOR, .index = first_sample + (uint32_t)(first + r)};
                z[(size_t)r * m + i] = draw(logits + ((size_t)r * m + i) * k, k, temperature, &row, i);
            }
        }
        memcpy(latents + (size_t)first * m, z, (size_t)rows * (size_t)m * sizeof(int32_t));
    }
    free(logits);
    free(z);
}
