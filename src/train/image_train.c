/* Stage 1 on images; see include/disco/image_train.h. */
#include "disco/image_train.h"

#include <math.h>
#include <stdlib.h>

#include "disco/checkpoint.h"
#include "disco/dataset.h"
#include "disco/dist.h"
#include "disco/edm.h"
#include "disco/error.h"
#include "disco/log.h"
#include "disco/progress.h"
#include "disco/reader.h"
#include "disco/rng.h"
#include "disco/timer.h"

/* Loss by noise level, as DisCo-Diff's Fig. 7a plots it: the latents help
   most at large sigma, where the image is mostly noise. Band edges in sigma. */
#define SIGMA_BANDS 5
static const double BAND_EDGES[SIGMA_BANDS - 1] = {0.2, 0.8, 3.0, 10.0};

static int band_of(double sigma) {
    int b = 0;
    while (b < SIGMA_BANDS - 1 && sigma >= BAND_EDGES[b]) b++;
    return b;
}

typedef struct {
    float *unit_noise, *keep;
    double *sigma;
    size_t image;
} Draws;

/* Every draw of the sample at global position p is keyed by p. */
static void draw(const ImageTrainConfig *tc, Draws *d, uint64_t first, uint64_t stride, int count) {
    RngKey sigma_key = {.seed = tc->seed, .stream = RNG_STREAM_SIGMA};
    RngKey drop = {.seed = tc->seed, .stream = RNG_STREAM_LATENT_DROP};
    for (int r = 0; r < count; r++) {
        uint64_t p = first + (uint64_t)r * stride;
        RngKey noise = {.seed = tc->seed, .stream = RNG_STREAM_NOISE, .index = (uint32_t)p};
        d->sigma[r] = edm_sample_sigma(&sigma_key, p, tc->p_mean, tc->p_std);
        rng_fill_normal(&noise, d->unit_noise + (size_t)r * d->image, d->image);
        d->keep[r] = rng_uniform(&drop, p) >= tc->latent_dropout;
    }
}

typedef struct {
    double sum[SIGMA_BANDS + 1]; /* per band, then all */
    double count[SIGMA_BANDS + 1];
} LossTally;

/* Per element, as EDM logs it: the graph's loss sums over an image. */
static void tally(LossTally *t, const float *loss, const double *sigma, int count, size_t image) {
    for (int r = 0; r < count; r++) {
        int b = band_of(sigma[r]);
        double per_element = loss[r] / (double)image;
        t->sum[b] += per_element, t->count[b] += 1;
        t->sum[SIGMA_BANDS] += per_element, t->count[SIGMA_BANDS] += 1;
    }
}

static void report(const Trainer *tr, LossTally *t, uint64_t step, FILE *metrics, Progress *progress) {
    double mean[SIGMA_BANDS + 1];
    for (int b = 0; b <= SIGMA_BANDS; b++) {
        double sum = tr->config.comm ? dist_sum_double(t->sum[b]) : t->sum[b];
        double count = tr->config.comm ? dist_sum_double(t->count[b]) : t->count[b];
        mean[b] = count > 0 ? sum / count : NAN;
    }
    if (tr->rank == 0) {
        char extra[48];
        snprintf(extra, sizeof extra, "loss %.4f", mean[SIGMA_BANDS]);
        progress_update(progress, step, extra);
    }
    if (metrics) {
        fprintf(metrics, "{\"step\": %llu, \"images\": %llu, \"loss\": %.6f, \"loss_by_sigma\": [",
                (unsigned long long)step, (unsigned long long)tr->progress.images_seen, mean[SIGMA_BANDS]);
        for (int b = 0; b < SIGMA_BANDS; b++) { /* null: no sample fell in the band */
            if (isnan(mean[b]))
                fprintf(metrics, "%snull", b ? ", " : "");
            else
                fprintf(metrics, "%s%.6f", b ? ", " : "", mean[b]);
        }
        fprintf(metrics, "], \"sigma_band_edges\": [0.2, 0.8, 3, 10]}\n");
        fflush(metrics);
    }
    *t = (LossTally){0};
}

static void check_data(const char *path, const ImageModelConfig *mc) {
    Dataset *d = dataset_open(path);
    const ShardInfo *info = dataset_info(d);
    const AdmUnetConfig *u = &mc->unet;
    DISCO_CHECK(info->height == u->resolution && info->width == u->resolution && info->channels == u->in_channels,
                "data set '%s' holds %dx%dx%d images; the model takes %dx%dx%d", path, info->height, info->width,
                info->channels, u->resolution, u->resolution, u->in_channels);
    DISCO_CHECK(u->label_dim == 0 || info->classes <= u->label_dim,
                "data set '%s' has %d classes; the model's class embedding has %d", path, info->classes,
                u->label_dim);
    dataset_close(d);
}

ImageTrained image_train(const ImageModelConfig *mc, const ImageTrainConfig *tc, const TrainRun *run,
                         const char *data_path, FILE *metrics) {
    check_data(data_path, mc);
    int world = trainer_world(run);
    DISCO_CHECK(tc->batch % world == 0, "batch %d is not divisible by %d ranks", tc->batch, world);
    ImageTrained t = {.graph = graph_create(backend_cpu(), tc->seed)};
    t.net = image_build_training(t.graph, mc, tc->batch / world);
    graph_compile(t.graph);
    /* Rank 0's parameters are what trainer_create broadcasts. */
    if (tc->init_weights && *tc->init_weights && (!run || !run->comm || dist_rank() == 0)) {
        int loaded = checkpoint_load_subset(tc->init_weights, t.graph, tc->init_from_ema);
        LOG_INFO("train: %d of %d parameters from '%s'%s", loaded, graph_param_count(t.graph), tc->init_weights,
                 tc->init_from_ema ? " (its EMA)" : "");
    }
    TrainerConfig config = trainer_config(run, tc->batch, tc->seed, tc->ema_half_life_samples, tc->ema_rampup_ratio);
    Trainer *tr = trainer_create(t.graph, &config);

    ReaderConfig rc = {.global_batch = tc->batch, .world = tr->world, .rank = tr->rank, .seed = tc->seed,
                       .prefetch_batches = 2, .workers = tc->reader_workers > 0 ? tc->reader_workers : 1,
                       .hflip = tc->hflip, .pinned = false};
    BatchReader *reader = reader_open(data_path, &rc, tr->progress.data_cursor);
    int local = tr->local_batch;
    const AdmUnetConfig *u = &mc->unet;
    Draws d = {.image = (size_t)u->resolution * u->resolution * u->in_channels};
    d.unit_noise = disco_malloc((size_t)local * d.image * sizeof(float), "noise images");
    d.keep = disco_malloc((size_t)local * sizeof(float), "latent keep mask");
    d.sigma = disco_malloc((size_t)local * sizeof(double), "noise levels");

    int log_every = tc->steps / 100 > 0 ? tc->steps / 100 : 1;
    uint64_t first_step = tr->progress.step;
    uint64_t tail_from = (uint64_t)(tc->steps - (tc->steps + 9) / 10);
    if (tail_from < first_step) tail_from = first_step;
    double tail = 0;
    LossTally interval = {0};
    Progress progress;
    if (tr->rank == 0) progress_begin(&progress, stderr, u->latent_dim ? "train disco" : "train baseline", "step",
                                      (uint64_t)tc->steps);
    double start = time_now();
    while (tr->progress.step < (uint64_t)tc->steps) {
        if (trainer_preempted(tr)) {
            trainer_save(tr);
            t.preempted = true;
            break;
        }
        const ReaderBatch *b = reader_next(reader);
        uint64_t first = b->cursor + (uint64_t)tr->rank, step = tr->progress.step;
        draw(tc, &d, first, (uint64_t)tr->world, local);
        image_feed(t.graph, &t.net, mc, b->images, d.sigma, d.unit_noise, b->labels, d.keep);
        graph_set_samples(t.graph, (uint32_t)step, (uint32_t)first, (uint32_t)tr->world);
        graph_forward(t.graph);
        trainer_backward(tr);
        uint64_t seen = (step + 1) * (uint64_t)tc->batch;
        trainer_step(tr, lr_at(tc->lr, seen, tc->lr_rampup_samples));

        const float *loss = graph_data(t.graph, t.net.loss);
        tally(&interval, loss, d.sigma, local, d.image);
        if (step >= tail_from)
            for (int r = 0; r < local; r++) tail += loss[r] / (double)d.image;
        if ((step + 1) % (uint64_t)log_every == 0) report(tr, &interval, step + 1, metrics, &progress);
    }
    t.seconds = time_now() - start;
    t.step = tr->progress.step;
    trainer_save_final(tr);
    double tail_steps = (double)(t.step - tail_from);
    t.final_loss = tail_steps > 0 ? trainer_global_mean(tr, tail) / tail_steps : NAN;
    if (tr->rank == 0) {
        char extra[48];
        snprintf(extra, sizeof extra, "loss %.4f", t.final_loss);
        progress_end(&progress, extra);
    }
    reader_close(reader);
    t.ema = tr->ema;
    tr->ema = NULL;
    trainer_destroy(tr);
    free(d.unit_noise), free(d.keep), free(d.sigma);
    return t;
}

void image_trained_free(ImageTrained *t) {
    graph_destroy(t->graph);
    ema_destroy(t->ema);
    t->graph = NULL, t->ema = NULL;
}
