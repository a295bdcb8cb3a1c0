/* disco sample on an image config; see image_run.h.
 *
 * Every random draw of image s is keyed by s alone (row s of its stream,
 * key seed 0): its class when drawn, the prior's latents, the initial noise
 * and the sampler's churn and restart noise. The seeds are cut into batches
 * of consecutive seeds (seeds.h), so the sampler and the prior, which take
 * one first row per batch, find image s in row s too; rank r takes batches
 * r, r + W, ... A rank count, a batch split or a resume changes who draws an
 * image, never what is drawn. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "disco/checkpoint.h"
#include "disco/dataset.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/progress.h"
#include "disco/timer.h"
#include "image_run.h"
#include "run_config.h"
#include "sample_output.h"

/* D for the sampler, with guidance on the latents. */
typedef struct {
    Graph *g;
    ImageDenoiser net;
    const ImageModelConfig *model;
    const int32_t *labels, *latents; /* the batch's; latents NULL for the baseline */
    double guidance;
    float *uncond;
} Denoiser;

static void denoise(void *ctx, const float *x, double sigma, float *out, int n, int dim) {
    Denoiser *d = ctx;
    image_denoise(d->g, &d->net, d->model, x, sigma, d->labels, d->latents, n, out);
    if (!d->latents || d->guidance == 0) return;
    image_denoise(d->g, &d->net, d->model, x, sigma, d->labels, NULL, n, d->uncond);
    edm_guide(out, out, d->uncond, (size_t)n * (size_t)dim, d->guidance);
}

/* Stage 1's EMA weights, which are what EDM samples and encodes with. */
static void load_stage1(Graph *g, const char *dir) {
    char path[1024];
    run_path(path, sizeof path, dir, "checkpoints/stage1.h5");
    DISCO_CHECK(access(path, R_OK) == 0, "sample: no '%s': run disco train first", path);
    graph_compile(g);
    graph_set_training(g, false);
    checkpoint_load(path, g, NULL, 1);
}

/* The oracle's data set, checked against the model and the seeds. */
static Dataset *oracle_data_open(const ImageSampleSpec *s, const AdmUnetConfig *u, const SeedList *seeds) {
    Dataset *data = dataset_open(s->oracle_path);
    const ShardInfo *info = dataset_info(data);
    DISCO_CHECK(info->height == u->resolution && info->width == u->resolution && info->channels == u->in_channels,
                "sample.oracle_data: '%s' holds %dx%dx%d images; the model takes %dx%dx%d", s->oracle_path,
                info->height, info->width, info->channels, u->resolution, u->resolution, u->in_channels);
    for (int64_t i = 0; i < seeds->count; i++)
        DISCO_CHECK(seeds->seeds[i] < info->count, "sample.seeds: seed %u has no image in '%s' (%lld images)",
                    seeds->seeds[i], s->oracle_path, (long long)info->count);
    return data;
}

/* The oracle's latents: stage 1's encoder on image `seed` of a data set,
   as disco encode draws them, so the oracle of the training set draws what
   latents.h5 holds. */
typedef struct {
    Dataset *data;
    Graph *g; /* NULL for the baseline: the oracle gives labels only */
    VitEncoder encoder;
    uint8_t *pixels;
    float *images;
} Oracle;

static Oracle oracle_open(const ImageRunSpec *spec, const SeedList *seeds, const char *dir, int batch) {
    const ImageModelConfig *model = &spec->model;
    const AdmUnetConfig *u = &model->unet;
    Oracle o = {.data = oracle_data_open(&spec->sample, u, seeds)};
    size_t image = (size_t)u->resolution * u->resolution * u->in_channels;
    o.pixels = disco_malloc(image, "oracle image");
    if (u->latent_dim == 0) return o;
    o.images = disco_malloc((size_t)batch * image * sizeof(float), "oracle images");
    o.g = image_encoder_load(spec, dir, batch, &o.encoder);
    return o;
}

static int32_t image_label(Dataset *data, uint8_t *pixels, uint32_t seed) {
    int32_t label;
    dataset_read(data, seed, pixels, &label);
    return label;
}

/* Latents [n, m] and labels [n] of a run of consecutive seeds. */
static void oracle_batch(Oracle *o, const ImageModelConfig *model, const uint32_t *seeds, int n, int32_t *latents,
                         int32_t *labels) {
    const AdmUnetConfig *u = &model->unet;
    size_t image = (size_t)u->resolution * u->resolution * u->in_channels;
    for (int r = 0; r < n; r++) {
        labels[r] = image_label(o->data, o->pixels, seeds[r]);
        if (o->g)
            for (size_t i = 0; i < image; i++) o->images[r * image + i] = (float)o->pixels[i] / 127.5f - 1.0f;
    }
    if (!o->g) return;
    vit_patchify(o->images, n, u->resolution, u->resolution, u->in_channels, model->encoder.patch,
                 graph_data(o->g, o->encoder.patches));
    graph_set_step(o->g, 0, seeds[0]); /* row r is image seeds[0] + r */
    graph_forward(o->g);
    const float *one_hot = graph_data(o->g, o->encoder.one_hot);
    int m = model->encoder.m, k = model->encoder.k;
    for (int i = 0; i < n * m; i++) {
        latents[i] = 0;
        for (int v = 1; v < k; v++)
            if (one_hot[(size_t)i * k + v] > one_hot[(size_t)i * k + latents[i]]) latents[i] = v;
    }
}

static void oracle_close(Oracle *o) {
    if (o->g) graph_destroy(o->g);
    dataset_close(o->data);
    free(o->pixels), free(o->images);
}

/* A seed's class when not the oracle's: sample.class, or drawn from the seed. */
static int32_t drawn_label(const ImageSampleSpec *s, int classes, uint32_t seed) {
    if (s->label >= 0 || classes == 0) return s->label >= 0 ? s->label : 0;
    RngKey key = {.stream = RNG_STREAM_SAMPLE_CLASS, .index = seed};
    return (int32_t)(((uint64_t)rng_u32(&key, 0) * (uint64_t)classes) >> 32);
}

/* Every seed's class, for samples.npz. */
static int32_t *seed_labels(const ImageRunSpec *spec, const SeedList *seeds) {
    const ImageSampleSpec *s = &spec->sample;
    const AdmUnetConfig *u = &spec->model.unet;
    int32_t *labels = disco_malloc((size_t)seeds->count * sizeof(int32_t), "labels");
    Dataset *data = s->oracle ? oracle_data_open(s, u, seeds) : NULL;
    uint8_t *pixels = data ? disco_malloc((size_t)u->resolution * u->resolution * u->in_channels, "image") : NULL;
    for (int64_t i = 0; i < seeds->count; i++)
        labels[i] = data ? image_label(data, pixels, seeds->seeds[i]) : drawn_label(s, u->label_dim, seeds->seeds[i]);
    if (data) dataset_close(data);
    free(pixels);
    return labels;
}

/* What sampling a batch needs, built by each rank that has batches. */
typedef struct {
    const ImageRunSpec *spec;
    const char *out_dir;
    Denoiser d;
    Prior prior; /* .g NULL: no latents, or the oracle's */
    Oracle oracle;
    int32_t *labels, *latents;
    double *x;
} Sampler;

/* batch: the largest batch of the job, the same on every rank. */
static Sampler sampler_create(const ImageRunSpec *spec, const char *dir, const char *out_dir, const SeedList *seeds,
                              int batch) {
    const ImageSampleSpec *s = &spec->sample;
    const ImageModelConfig *model = &spec->model;
    Sampler sm = {.spec = spec, .out_dir = out_dir};
    bool latents = model->unet.latent_dim > 0;
    if (s->oracle) sm.oracle = oracle_open(spec, seeds, dir, batch);
    if (latents && !s->oracle) {
        char path[1024];
        run_path(path, sizeof path, dir, "checkpoints/prior.h5");
        DISCO_CHECK(access(path, R_OK) == 0, "sample: no '%s': run disco prior first", path);
        sm.prior = prior_create(backend_cpu(), &spec->prior, batch, 0);
        checkpoint_load(path, sm.prior.g, NULL, 0);
    }
    sm.d = (Denoiser){.model = model, .guidance = s->guidance, .g = graph_create(backend_cpu(), 0)};
    sm.d.net = image_build_denoiser(sm.d.g, model, batch);
    load_stage1(sm.d.g, dir);
    size_t image = (size_t)model->unet.resolution * model->unet.resolution * model->unet.in_channels;
    sm.d.uncond = disco_malloc((size_t)batch * image * sizeof(float), "guidance buffer");
    sm.labels = disco_malloc((size_t)batch * sizeof(int32_t), "sample labels");
    sm.latents = latents ? disco_malloc((size_t)batch * model->encoder.m * sizeof(int32_t), "latents") : NULL;
    sm.x = disco_malloc((size_t)batch * image * sizeof(double), "sampler state");
    return sm;
}

static void sampler_destroy(Sampler *sm) {
    if (sm->prior.g) prior_destroy(&sm->prior);
    if (sm->oracle.data) oracle_close(&sm->oracle);
    graph_destroy(sm->d.g);
    free(sm->d.uncond), free(sm->labels), free(sm->latents), free(sm->x);
}

/* Draws and writes the images of n consecutive seeds. */
static void sample_batch(Sampler *sm, const uint32_t *seeds, int n) {
    const ImageSampleSpec *s = &sm->spec->sample;
    const AdmUnetConfig *u = &sm->spec->model.unet;
    int dim = u->resolution * u->resolution * u->in_channels;
    if (s->oracle) {
        oracle_batch(&sm->oracle, &sm->spec->model, seeds, n, sm->latents, sm->labels);
    } else {
        for (int r = 0; r < n; r++) sm->labels[r] = drawn_label(s, u->label_dim, seeds[r]);
        if (sm->latents) prior_sample(&sm->prior, sm->labels, n, s->temperature, 0, seeds[0], sm->latents);
    }
    for (int r = 0; r < n; r++) {
        RngKey noise = {.stream = RNG_STREAM_SAMPLE_NOISE, .index = seeds[r]};
        for (int j = 0; j < dim; j++)
            sm->x[(size_t)r * dim + j] = s->sampler.sigma_max * (double)rng_normal(&noise, (uint64_t)j);
    }
    sm->d.labels = sm->labels, sm->d.latents = sm->latents;
    RngKey churn = {.stream = RNG_STREAM_SAMPLER, .index = seeds[0]};
    edm_sample(&s->sampler, denoise, &sm->d, sm->x, n, dim, &churn, NULL, NULL);
    for (int r = 0; r < n; r++)
        sample_write_png(sm->out_dir, seeds[r], sm->x + (size_t)r * dim, u->resolution, u->in_channels);
}

/* The seeds whose PNG is not there yet: rank 0 looks and tells the others,
   so every rank cuts the same batches even while PNGs appear. */
static SeedList pending_seeds(const SeedList *all, const char *out_dir) {
    uint8_t *done = disco_calloc((size_t)all->count, 1, "finished seeds");
    if (dist_rank() == 0) {
        make_directories(out_dir);
        char path[1024];
        for (int64_t i = 0; i < all->count; i++) {
            sample_png_path(path, sizeof path, out_dir, all->seeds[i]);
            done[i] = access(path, F_OK) == 0;
        }
    }
    dist_broadcast(done, (size_t)all->count, 0);
    SeedList pending = {.seeds = disco_malloc((size_t)all->count * sizeof(uint32_t), "pending seeds")};
    for (int64_t i = 0; i < all->count; i++)
        if (!done[i]) pending.seeds[pending.count++] = all->seeds[i];
    free(done);
    return pending;
}

/* Images in batches [0, end): rank 0's progress stands for the job's, the
   ranks drawing batches round-robin at one pace. */
static uint64_t images_before(const SeedBatch *batches, int64_t count, int64_t end) {
    uint64_t images = 0;
    for (int64_t b = 0; b < end && b < count; b++) images += (uint64_t)batches[b].count;
    return images;
}

void image_samples_dir(const ImageRunSpec *spec, const char *dir, char *out_dir, size_t size) {
    if (*spec->sample.out_dir)
        snprintf(out_dir, size, "%s", spec->sample.out_dir);
    else
        run_path(out_dir, size, dir, "samples");
}

void image_stage_sample(const ImageRunSpec *spec, const char *dir, Comm *comm) {
    (void)comm; /* sampling exchanges no tensors: dist.h's control plane does the rest */
    const ImageSampleSpec *s = &spec->sample;
    char out_dir[1024];
    image_samples_dir(spec, dir, out_dir, sizeof out_dir);
    SeedList seeds = seeds_parse(s->seeds, "sample.seeds");
    SeedList pending = pending_seeds(&seeds, out_dir);
    SeedBatch *batches;
    int64_t batch_count = seeds_batches(pending.seeds, pending.count, s->batch, &batches);
    int rank = dist_rank(), world = dist_world(), largest = 1;
    for (int64_t b = 0; b < batch_count; b++) largest = batches[b].count > largest ? batches[b].count : largest;
    double start = time_now();

    if (rank < batch_count) {
        Sampler sm = sampler_create(spec, dir, out_dir, &seeds, largest);
        Progress progress;
        if (rank == 0)
            progress_begin(&progress, stderr, spec->model.unet.latent_dim ? "sample disco" : "sample baseline",
                           "img", (uint64_t)pending.count);
        for (int64_t b = rank; b < batch_count; b += world) {
            sample_batch(&sm, pending.seeds + batches[b].first, batches[b].count);
            if (rank == 0) progress_update(&progress, images_before(batches, batch_count, b + world), NULL);
        }
        if (rank == 0) progress_end(&progress, NULL);
        sampler_destroy(&sm);
    }
    dist_barrier(); /* every PNG is written */

    if (rank == 0) {
        int32_t *labels = seed_labels(spec, &seeds);
        sample_collect(out_dir, &seeds, labels, s->grid);
        free(labels);
        printf("sample: %lld images (%lld new, %d network evaluations each, guidance %g) in %.1f s; wrote "
               "%s/samples.npz\n",
               (long long)seeds.count, (long long)pending.count,
               sampler_nfe(&s->sampler) * (spec->model.unet.latent_dim && s->guidance != 0 ? 2 : 1), s->guidance,
               time_now() - start, out_dir);
    }
    dist_barrier(); /* the grid and the npz too, before any rank reads them */
    free(batches);
    seeds_free(&pending), seeds_free(&seeds);
}
