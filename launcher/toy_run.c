/* One toy model end to end; see toy_run.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/image.h"
#include "disco/prior.h"
#include "disco/timer.h"
#include "toy_run.h"

#define CHUNK 1000

typedef struct {
    Graph *g;
    ToyNet net;
    const ToyModelConfig *model;
    const int32_t *latents; /* of the current chunk, or NULL */
    double guidance;
    float *uncond;          /* [CHUNK, 2] */
} Denoiser;

static void denoise(void *ctx, const float *x, double sigma, float *out, int n, int dim) {
    Denoiser *d = ctx;
    double sigmas[CHUNK];
    for (int r = 0; r < n; r++) sigmas[r] = sigma;
    toy_feed_noise(d->g, &d->net, d->model, x, sigmas, n);
    if (d->model->latents > 0) toy_feed_latents(d->g, &d->net, d->model, d->latents, n);
    graph_forward(d->g);
    memcpy(out, graph_data(d->g, d->net.denoised), (size_t)n * (size_t)dim * sizeof(float));
    if (d->model->latents == 0 || d->guidance == 0) return;
    toy_feed_latents(d->g, &d->net, d->model, NULL, n);
    graph_forward(d->g);
    memcpy(d->uncond, graph_data(d->g, d->net.denoised), (size_t)n * (size_t)dim * sizeof(float));
    edm_guide(out, out, d->uncond, (size_t)n * (size_t)dim, d->guidance);
}

/* The EMA weights are what gets sampled, as in EDM. */
static Graph *ema_graph(const ToyTrained *t, const ToyModelConfig *model, ToyNet *net, bool encoder) {
    size_t n;
    float *params = graph_params(t->graph, &n);
    memcpy(params, t->ema->weights, n * sizeof(float));
    Graph *g = graph_create(backend_cpu(), 0);
    *net = encoder ? toy_build_encoder(g, model, CHUNK, 0.01f) : toy_build_denoiser(g, model, CHUNK);
    graph_compile(g);
    graph_set_training(g, false);
    graph_copy_params(g, t->graph);
    return g;
}

/* Latents of the training set at tau = 0.01; returns the entropy in bits of
   their histogram (m = 1) or of the first latent. */
static int32_t *encode(const ToyTrained *t, const ToyModelConfig *model, const float *data, int n, double *entropy,
                       int *used) {
    ToyNet net;
    Graph *g = ema_graph(t, model, &net, true);
    int m = model->latents, k = model->codebook;
    int32_t *z = disco_malloc((size_t)n * (size_t)m * sizeof(int32_t), "latents");
    for (int start = 0; start < n; start += CHUNK) {
        int count = n - start < CHUNK ? n - start : CHUNK;
        memcpy(graph_data(g, net.clean), data + 2 * (size_t)start, 2 * (size_t)count * sizeof(float));
        graph_set_step(g, 0, (uint32_t)start);
        graph_forward(g);
        const float *one_hot = graph_data(g, net.one_hot);
        for (int r = 0; r < count * m; r++)
            for (int v = 0; v < k; v++)
                if (one_hot[(size_t)r * k + v] > 0.5f) z[(size_t)start * m + r] = v;
    }
    graph_destroy(g);
    int *counts = calloc((size_t)k, sizeof(int));
    for (int i = 0; i < n; i++) counts[z[(size_t)i * m]]++;
    *entropy = 0, *used = 0;
    for (int v = 0; v < k; v++) {
        if (!counts[v]) continue;
        double p = (double)counts[v] / n;
        *entropy -= p * log2(p);
        (*used)++;
    }
    free(counts);
    return z;
}

static int32_t *sample_prior(const int32_t *z, const ToyModelConfig *model, const ToyTrainConfig *tc, int n_data,
                             int n_samples, uint64_t seed) {
    PriorConfig pc = {.m = model->latents, .k = model->codebook, .classes = 0, .width = 32, .depth = 2, .heads = 2,
                      .mlp_ratio = 4, .dropout = 0};
    Prior prior = prior_create(backend_cpu(), &pc, 256, tc->seed + 1);
    PriorTrainConfig ptc = {.steps = 1500, .lr = 1e-3f, .rampup_steps = 100, .seed = tc->seed + 1};
    prior_train(&prior, z, NULL, n_data, &ptc);
    int32_t *out = disco_malloc((size_t)n_samples * (size_t)model->latents * sizeof(int32_t), "sampled latents");
    prior_sample(&prior, NULL, n_samples, 1.0f, seed, 0, out);
    prior_destroy(&prior);
    return out;
}

typedef struct {
    Denoiser *d;
    double *curvature_sum;
    long *curvature_count;
    float *trajectories;
    int n_traj;
} Observer;

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Curvature at every grid point, over the first samples of the first chunk.
   Near t = 0 a trajectory has arrived and its direction turns freely over a
   tiny step, so a few samples reach huge values there: the median over
   samples at each t, averaged over the grid, is the robust summary. */
static void observe(void *ctx, int step, double t_next, const double *x, int n, int dim) {
    Observer *o = ctx;
    int traj = n < o->n_traj ? n : o->n_traj;
    for (int r = 0; r < traj * dim; r++) o->trajectories[(size_t)(step + 1) * o->n_traj * dim + r] = (float)x[r];
    if (t_next <= 0) return;
    int count = n < TOY_CURVATURE_SAMPLES ? n : TOY_CURVATURE_SAMPLES;
    float xf[TOY_CURVATURE_SAMPLES * 2];
    double kappa[TOY_CURVATURE_SAMPLES];
    for (int r = 0; r < count * dim; r++) xf[r] = (float)x[r];
    edm_curvature(denoise, o->d, xf, t_next, 1e-3, count, dim, kappa);
    qsort(kappa, (size_t)count, sizeof(double), compare_doubles);
    *o->curvature_sum += count % 2 ? kappa[count / 2] : 0.5 * (kappa[count / 2 - 1] + kappa[count / 2]);
    (*o->curvature_count)++;
}

ToyRunResult toy_run(const ToyRunSpec *spec, const float *data, const float *reference, int n, FILE *metrics) {
    double start = time_now();
    ToyRunResult r = {0};
    const ToyModelConfig *model = &spec->model;
    ToyTrained t = toy_train(model, &spec->train, data, n, metrics);
    r.train_loss = t.final_loss, r.train_seconds = t.seconds;

    int m = model->latents;
    const int32_t *latents = NULL;
    if (m > 0) {
        int32_t *z = encode(&t, model, data, n, &r.latent_entropy, &r.latents_used);
        r.sample_latents = sample_prior(z, model, &spec->train, n, spec->samples, spec->sample_seed);
        latents = r.sample_latents;
        free(z);
    }

    Denoiser d = {.model = model, .guidance = spec->guidance};
    d.g = ema_graph(&t, model, &d.net, false);
    d.uncond = disco_malloc(CHUNK * 2 * sizeof(float), "guidance buffer");
    int steps = spec->sampler.steps;
    r.trajectories = disco_calloc((size_t)(steps + 1) * TOY_TRAJECTORIES * 2, sizeof(float), "trajectories");
    r.samples = disco_malloc((size_t)spec->samples * 2 * sizeof(float), "samples");
    double *x = disco_malloc(CHUNK * 2 * sizeof(double), "sampler state");
    double curvature_sum = 0;
    long curvature_count = 0;
    RngKey noise = {.seed = spec->sample_seed, .stream = RNG_STREAM_NOISE, .row_len = 2};
    RngKey churn = {.seed = spec->sample_seed, .stream = RNG_STREAM_SAMPLER, .row_len = 2};
    for (int first = 0; first < spec->samples; first += CHUNK) {
        int count = spec->samples - first < CHUNK ? spec->samples - first : CHUNK;
        for (int i = 0; i < 2 * count; i++)
            x[i] = spec->sampler.sigma_max * rng_normal(&noise, 2 * (uint64_t)first + (uint64_t)i);
        d.latents = latents ? latents + (size_t)first * m : NULL;
        Observer o = {&d, &curvature_sum, &curvature_count, r.trajectories, TOY_TRAJECTORIES};
        if (first == 0)
            for (int i = 0; i < 2 * TOY_TRAJECTORIES; i++) r.trajectories[i] = (float)x[i];
        churn.index = (uint32_t)first;
        edm_sample(&spec->sampler, denoise, &d, x, count, 2, &churn, first == 0 ? observe : NULL, &o);
        for (int i = 0; i < 2 * count; i++) r.samples[2 * (size_t)first + i] = (float)x[i];
    }
    r.curvature = curvature_count ? curvature_sum / curvature_count : 0;
    ToyMixture mixture = toy_default();
    r.scores = toy_score(&mixture, r.samples, reference, n);
    free(x), free(d.uncond);
    graph_destroy(d.g);
    toy_trained_free(&t);
    r.total_seconds = time_now() - start;
    return r;
}

void toy_run_free(ToyRunResult *r) {
    free(r->samples), free(r->sample_latents), free(r->trajectories);
    memset(r, 0, sizeof *r);
}

static void draw_samples(Canvas *c, const ToyRunResult *r, int n, int codebook) {
    canvas_frame(c);
    Color grey = {90, 90, 90};
    for (int i = 0; i < n; i++) {
        Color color = r->sample_latents ? palette_color(r->sample_latents[i] % codebook) : grey;
        canvas_point(c, r->samples[2 * i], r->samples[2 * i + 1], 1, color);
    }
}

static void draw_trajectories(Canvas *c, const ToyRunResult *r, int steps) {
    canvas_frame(c);
    for (int j = 0; j < TOY_TRAJECTORIES; j++) {
        Color color = r->sample_latents ? palette_color(r->sample_latents[j]) : palette_color(j % 16);
        for (int s = 0; s < steps; s++) {
            const float *a = r->trajectories + ((size_t)s * TOY_TRAJECTORIES + j) * 2;
            const float *b = r->trajectories + ((size_t)(s + 1) * TOY_TRAJECTORIES + j) * 2;
            canvas_line(c, a[0], a[1], b[0], b[1], color);
        }
        const float *end = r->trajectories + ((size_t)steps * TOY_TRAJECTORIES + j) * 2;
        canvas_point(c, end[0], end[1], 2, color);
    }
}

void toy_draw(const char *path, const ToyRunResult *baseline, const ToyRunResult *disco, int n, int steps,
              int codebook) {
    Canvas c[4];
    for (int i = 0; i < 4; i++) c[i] = canvas_create(360, 360, -5, 5, -5, 5);
    draw_samples(&c[0], baseline, n, codebook);
    draw_samples(&c[1], disco, n, codebook);
    draw_trajectories(&c[2], baseline, steps);
    draw_trajectories(&c[3], disco, steps);
    canvas_save_row(path, c, 4);
    for (int i = 0; i < 4; i++) canvas_free(&c[i]);
}
