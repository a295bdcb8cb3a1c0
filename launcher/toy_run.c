/* The toy experiment's stages; see toy_run.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disco/arrays.h"
#include "disco/checkpoint.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/image.h"
#include "disco/prior.h"
#include "disco/sharding.h"
#include "disco/timer.h"
#include "run_config.h"
#include "toy_run.h"


#define CHUNK 1000

static PriorConfig prior_config(const ToyModelConfig *model) {
    return (PriorConfig){.m = model->latents, .k = model->codebook, .classes = 0, .width = 32, .depth = 2,
                         .heads = 2, .mlp_ratio = 4, .dropout = 0};
}

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

/* A network of stage 1 with its EMA weights, which is what gets sampled and
   encoded with, as in EDM. */
static Graph *stage1_graph(const char *dir, const ToyModelConfig *model, ToyNet *net, bool encoder) {
    char path[1024];
    run_path(path, sizeof path, dir, "checkpoints/stage1.h5");
    Graph *g = graph_create(backend_cpu(), 0);
    *net = encoder ? toy_build_encoder(g, model, CHUNK, 0.01f) : toy_build_denoiser(g, model, CHUNK);
    graph_compile(g);
    graph_set_training(g, false);
    checkpoint_load(path, g, NULL, 1);
    return g;
}

/* Latents of the training set at tau = 0.01, and the entropy in bits of the
   first latent's histogram. */
void toy_stage_encode(const ToyRunSpec *spec, const char *dir, const float *data, ToyRunResult *r) {
    const ToyModelConfig *model = &spec->model;
    if (model->latents == 0) return;
    ToyNet net;
    Graph *g = stage1_graph(dir, model, &net, true);
    int n = spec->points, m = model->latents, k = model->codebook;
    int32_t *z = disco_malloc((size_t)n * (size_t)m * sizeof(int32_t), "latents");
    for (int start = 0; start < n; start += CHUNK) {
        int count = n - start < CHUNK ? n - start : CHUNK;
        memcpy(graph_data(g, net.clean), data + 2 * (size_t)start, 2 * (size_t)count * sizeof(float));
        graph_set_step(g, 0, (uint32_t)start);
        graph_forward(g);
        const float *one_hot = graph_data(g, net.one_hot);
        for (int i = 0; i < count * m; i++)
            for (int v = 0; v < k; v++)
                if (one_hot[(size_t)i * k + v] > 0.5f) z[(size_t)start * m + i] = v;
    }
    graph_destroy(g);

    int *counts = disco_calloc((size_t)k, sizeof(int), "latent histogram");
    for (int i = 0; i < n; i++) counts[z[(size_t)i * m]]++;
    r->latent_entropy = 0, r->latents_used = 0;
    for (int v = 0; v < k; v++) {
        if (!counts[v]) continue;
        double p = (double)counts[v] / n;
        r->latent_entropy -= p * log2(p);
        r->latents_used++;
    }
    free(counts);
    char path[1024];
    run_path(path, sizeof path, dir, "latents.h5");
    NamedArray a = {"latents", DTYPE_I32, 2, {n, m}, z};
    arrays_save(path, &a, 1);
    free(z);
}

void toy_stage_prior(const ToyRunSpec *spec, const char *dir) {
    const ToyModelConfig *model = &spec->model;
    if (model->latents == 0) return;
    char path[1024];
    run_path(path, sizeof path, dir, "latents.h5");
    int shape[2];
    int32_t *z = arrays_load(path, "latents", DTYPE_I32, 2, shape);
    DISCO_CHECK(shape[1] == model->latents, "'%s' holds %d latents per point, the config says %d", path, shape[1],
                model->latents);
    PriorConfig pc = prior_config(model);
    Prior prior = prior_create(backend_cpu(), &pc, 256, spec->train.seed + 1);
    PriorTrainConfig ptc = {.steps = spec->prior_steps, .lr = (float)spec->prior_lr,
                            .rampup_steps = spec->prior_steps / 15, .seed = spec->train.seed + 1};
    prior_train(&prior, z, NULL, shape[0], &ptc);
    run_path(path, sizeof path, dir, "checkpoints/prior.h5");
    checkpoint_save(path, prior.g, NULL, &(CheckpointInfo){.step = (uint64_t)ptc.steps});
    prior_destroy(&prior);
    free(z);
}

/* Exact counts round(n p_v) of each latent value (largest remainders), with
   p the prior's distribution of a single latent: iid draws would add the
   multinomial noise of the counts to W2, which measures nothing about the
   model (SPEC 1.4's measurement notes). */
static void stratify(Prior *prior, int k, int n, uint64_t seed, int32_t *out) {
    int32_t *zero = disco_calloc((size_t)prior->batch, sizeof(int32_t), "prior input");
    prior_feed(prior, zero, NULL, prior->batch);
    free(zero);
    graph_set_training(prior->g, false);
    graph_forward(prior->g);
    const float *logits = graph_data(prior->g, prior->logits);
    double p[256], total = 0, largest = logits[0];
    for (int v = 1; v < k; v++) largest = fmax(largest, logits[v]);
    for (int v = 0; v < k; v++) total += p[v] = exp(logits[v] - largest);
    int counts[256], assigned = 0;
    for (int v = 0; v < k; v++) assigned += counts[v] = (int)floor(n * p[v] / total);
    while (assigned < n) { /* the largest remainders get the rest */
        int best = 0;
        double best_rest = -1;
        for (int v = 0; v < k; v++) {
            double rest = n * p[v] / total - counts[v];
            if (rest > best_rest) best_rest = rest, best = v;
        }
        counts[best]++, assigned++;
    }
    /* In a shuffled order, so that any slice of the samples (the plotted
       trajectories, say) holds every value in proportion. */
    ShardingPlan order = sharding_create(n, 1, 1, 0, seed, SHARD_WRAP);
    for (int v = 0, i = 0; v < k; v++)
        for (int c = 0; c < counts[v]; c++) out[sharding_at(&order, (uint64_t)i++)] = v;
    sharding_free(&order);
}

static int32_t *sample_prior(const ToyRunSpec *spec, const char *dir) {
    const ToyModelConfig *model = &spec->model;
    char path[1024];
    run_path(path, sizeof path, dir, "checkpoints/prior.h5");
    PriorConfig pc = prior_config(model);
    Prior prior = prior_create(backend_cpu(), &pc, 256, 0);
    checkpoint_load(path, prior.g, NULL, 0);
    int32_t *out = disco_malloc((size_t)spec->samples * (size_t)model->latents * sizeof(int32_t), "latents");
    if (spec->stratified_latents) {
        DISCO_CHECK(model->latents == 1 && model->codebook <= 256,
                    "sample.stratified_latents needs one latent of at most 256 values");
        stratify(&prior, model->codebook, spec->samples, spec->sample_seed, out);
    } else {
        prior_sample(&prior, NULL, spec->samples, 1.0f, spec->sample_seed, 0, out);
    }
    prior_destroy(&prior);
    return out;
}

typedef struct {
    Denoiser *d;
    float *trajectories;
    int n_traj;
    float *curvature_by_step; /* median curvature at each step's end time */
} Observer;

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Curvature at every grid point, over the first samples of the first
   chunk. A few samples reach huge values where a trajectory turns sharply,
   so the median over samples is kept for each t. */
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
    o->curvature_by_step[step] = (float)(count % 2 ? kappa[count / 2] : 0.5 * (kappa[count / 2 - 1] + kappa[count / 2]));
}

/* Below t = 0.1 the tangent (x - D) / t is a difference of nearly equal
   floats divided by a small t, and its direction is rounding noise over a
   step of 1e-3; above, the summary is the mean of the per-t medians. */
#define CURVATURE_MIN_T 0.1

static double summarise_curvature(const float *by_step, const SamplerConfig *sc) {
    double *t = disco_malloc((size_t)(sc->steps + 1) * sizeof(double), "time grid");
    edm_time_steps(sc->steps, sc->sigma_min, sc->sigma_max, sc->rho, t);
    double sum = 0;
    int count = 0;
    for (int i = 0; i < sc->steps; i++)
        if (t[i + 1] > CURVATURE_MIN_T) sum += by_step[i], count++;
    free(t);
    return count ? sum / count : 0;
}

bool toy_stage_train(const ToyRunSpec *spec, const char *dir, const float *data, const char *config_yaml, Comm *comm,
                     ToyRunResult *r) {
    RunFiles files = run_files_open(dir, comm);
    bool writer = !comm || dist_rank() == 0;
    TrainRun run = {.comm = comm, .bucket_bytes = spec->bucket_bytes, .zero1 = spec->zero1,
                    .checkpoint_dir = comm ? files.checkpoints : NULL, .checkpoint_every = spec->checkpoint_every, .keep_checkpoints = spec->keep_checkpoints,
                    .config_yaml = config_yaml};
    ToyTrained t = toy_train(&spec->model, &spec->train, &run, data, spec->points, files.metrics);
    run_files_close(&files);
    r->train_loss = t.final_loss, r->train_seconds = t.seconds;
    if (writer && !t.preempted) {
        CheckpointInfo info = {.step = t.step, .images_seen = t.step * (uint64_t)spec->train.batch,
                               .config_yaml = config_yaml};
        char path[1024];
        run_path(path, sizeof path, dir, "checkpoints/stage1.h5");
        checkpoint_save(path, t.graph, t.ema->weights, &info);
    }
    bool finished = !t.preempted;
    toy_trained_free(&t);
    return finished;
}

void toy_stage_sample(const ToyRunSpec *spec, const char *dir, ToyRunResult *r) {
    const ToyModelConfig *model = &spec->model;
    int m = model->latents;
    if (m > 0) r->sample_latents = sample_prior(spec, dir);
    Denoiser d = {.model = model, .guidance = spec->guidance};
    d.g = stage1_graph(dir, model, &d.net, false);
    d.uncond = disco_malloc(CHUNK * 2 * sizeof(float), "guidance buffer");
    int steps = spec->sampler.steps;
    r->trajectories = disco_calloc((size_t)(steps + 1) * TOY_TRAJECTORIES * 2, sizeof(float), "trajectories");
    r->samples = disco_malloc((size_t)spec->samples * 2 * sizeof(float), "samples");
    double *x = disco_malloc(CHUNK * 2 * sizeof(double), "sampler state");
    r->curvature_by_step = disco_calloc((size_t)steps, sizeof(float), "curvature");
    RngKey noise = {.seed = spec->sample_seed, .stream = RNG_STREAM_NOISE, .row_len = 2};
    RngKey churn = {.seed = spec->sample_seed, .stream = RNG_STREAM_SAMPLER, .row_len = 2};
    for (int first = 0; first < spec->samples; first += CHUNK) {
        int count = spec->samples - first < CHUNK ? spec->samples - first : CHUNK;
        for (int i = 0; i < 2 * count; i++)
            x[i] = spec->sampler.sigma_max * rng_normal(&noise, 2 * (uint64_t)first + (uint64_t)i);
        d.latents = r->sample_latents ? r->sample_latents + (size_t)first * m : NULL;
        Observer o = {&d, r->trajectories, TOY_TRAJECTORIES, r->curvature_by_step};
        if (first == 0)
            for (int i = 0; i < 2 * TOY_TRAJECTORIES; i++) r->trajectories[i] = (float)x[i];
        churn.index = (uint32_t)first;
        edm_sample(&spec->sampler, denoise, &d, x, count, 2, &churn, first == 0 ? observe : NULL, &o);
        for (int i = 0; i < 2 * count; i++) r->samples[2 * (size_t)first + i] = (float)x[i];
    }
    r->curvature = summarise_curvature(r->curvature_by_step, &spec->sampler);
    free(x), free(d.uncond);
    graph_destroy(d.g);

    char path[1024];
    run_path(path, sizeof path, dir, "samples.h5");
    NamedArray arrays[3] = {{"points", DTYPE_F32, 2, {spec->samples, 2}, r->samples},
                            {"curvature_by_step", DTYPE_F32, 1, {steps}, r->curvature_by_step},
                            {"latents", DTYPE_I32, 2, {spec->samples, m > 0 ? m : 1}, r->sample_latents}};
    arrays_save(path, arrays, m > 0 ? 3 : 2);
}

void toy_run_free(ToyRunResult *r) {
    free(r->samples), free(r->sample_latents), free(r->trajectories), free(r->curvature_by_step);
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
