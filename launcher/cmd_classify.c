/* disco classify: trains the Fashion-MNIST classifier through the graph and
   reports its test accuracy. Its penultimate features define the FD metric
   for Fashion-MNIST (--save writes the weights `disco fid --features fmnist`
   reads); this command is also the first end-to-end check that graph, ops
   and optimizer learn something real together. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "commands.h"
#include "disco/adam.h"
#include "disco/backend.h"
#include "disco/checkpoint.h"
#include "disco/error.h"
#include "disco/idx.h"
#include "disco/log.h"
#include "disco/models.h"
#include "disco/progress.h"
#include "disco/sharding.h"
#include "disco/timer.h"

#define PIXELS (CLASSIFIER_SIZE * CLASSIFIER_SIZE)


/* ---- options ---- */

static bool parse_int(const char *text, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

static bool parse_seed(const char *text, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text || *end || text[0] == '-') return false;
    *out = v;
    return true;
}

static bool parse_rate(const char *text, float *out) {
    char *end;
    float v = strtof(text, &end);
    if (end == text || *end || !isfinite(v) || v <= 0) return false;
    *out = v;
    return true;
}

/* False for an unknown option or a value out of range. */
static bool parse_option(ClassifyOptions *o, const char *name, const char *value) {
    if (strcmp(name, "--steps") == 0) return parse_int(value, 1, INT_MAX, &o->steps);
    if (strcmp(name, "--batch") == 0) return parse_int(value, 1, 1 << 16, &o->batch);
    if (strcmp(name, "--threads") == 0) return parse_int(value, 1, 1024, &o->threads);
    if (strcmp(name, "--seed") == 0) return parse_seed(value, &o->seed);
    if (strcmp(name, "--lr") == 0) return parse_rate(value, &o->lr);
    if (strcmp(name, "--data") == 0) {
        o->data_dir = value;
        return true;
    }
    if (strcmp(name, "--out") == 0) {
        o->out_path = value;
        return true;
    }
    if (strcmp(name, "--save") == 0) {
        o->save_path = value;
        return true;
    }
    return false;
}

static bool parse_options(int argc, char **argv, ClassifyOptions *o) {
    *o = classify_defaults();
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || !parse_option(o, argv[i], argv[i + 1])) {
            fprintf(stderr, "disco classify: bad option '%s%s%s' (see 'disco classify --help')\n", argv[i],
                    i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
            return false;
        }
    }
    return true;
}

/* ---- data ---- */

static IdxDataset load_split(const char *dir, const char *split) {
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, split);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, split);
    IdxDataset d = idx_load(images, labels, CLASSIFIER_CLASSES);
    DISCO_CHECK(d.height <= CLASSIFIER_SIZE && d.width <= CLASSIFIER_SIZE,
                "'%s' holds %dx%d images; the classifier takes at most %dx%d", images, d.height, d.width,
                CLASSIFIER_SIZE, CLASSIFIER_SIZE);
    return d;
}

/* Host staging for one batch: packed images and labels go up to the backend. */
typedef struct {
    float *images;
    int32_t *labels;
    float *loss, *logits; /* downloaded outputs */
} Staging;

static void stage_sample(Staging *st, int row, const IdxDataset *d, int index) {
    classifier_pack_image(st->images + (size_t)row * PIXELS, d->images + (size_t)index * d->height * d->width,
                          d->height, d->width);
    st->labels[row] = d->labels[index];
}

static void upload_batch(Graph *g, const Classifier *m, const Staging *st, int batch) {
    Backend *be = graph_backend(g);
    be->ops->upload(be, graph_data(g, m->images), st->images, (size_t)batch * PIXELS * sizeof(float));
    be->ops->upload(be, graph_data(g, m->labels), st->labels, (size_t)batch * sizeof(int32_t));
}

static double mean_loss(Graph *g, const Classifier *m, Staging *st, int batch, int rows) {
    Backend *be = graph_backend(g);
    be->ops->download(be, st->loss, graph_data(g, m->loss), (size_t)batch * sizeof(float));
    double sum = 0;
    for (int r = 0; r < rows; r++) sum += st->loss[r];
    return sum / rows;
}

/* ---- training and evaluation ---- */

/* Linear warm-up over the first 5% of steps, while Adam's moments are still
   noisy, then cosine decay to zero so a short run ends settled rather than
   at the noise floor of a large final rate. */
static float learning_rate(const ClassifyOptions *o, int step) {
    double warmup = fmax(1.0, 0.05 * o->steps), t = (double)step / o->steps;
    double ramp = fmin(1.0, (step + 1) / warmup);
    return (float)(o->lr * ramp * 0.5 * (1.0 + cos(M_PI * t)));
}

static void train(Graph *g, const Classifier *m, const ClassifyOptions *o, const IdxDataset *train_set,
                  Staging *st, ClassifyResults *res) {
    ShardingPlan order = sharding_create(train_set->count, o->batch, 1, 0, o->seed, SHARD_WRAP);
    DISCO_CHECK(graph_backend(g)->device == DEVICE_CPU, "classify: Adam runs on host memory only so far");
    size_t n_params;
    float *params = graph_params(g, &n_params);
    Adam *adam = adam_create(n_params);

    /* Smoothed over ~50 steps, bias-corrected so early values are not pulled to 0. */
    const double smoothing = 0.98;
    double smooth = 0, weight = 0;
    Progress progress;
    char line[64];
    progress_begin(&progress, stderr, "classify", "img", (uint64_t)o->steps * (uint64_t)o->batch);
    double start = time_now();
    for (int step = 0; step < o->steps; step++) {
        uint64_t first = (uint64_t)step * (uint64_t)o->batch;
        for (int r = 0; r < o->batch; r++)
            stage_sample(st, r, train_set, (int)sharding_at(&order, first + (uint64_t)r));
        upload_batch(g, m, st, o->batch);
        graph_set_step(g, (uint32_t)step, (uint32_t)first);
        graph_forward(g);
        graph_zero_param_grads(g);
        graph_backward(g, 1.0f / (float)o->batch); /* the mean of the per-image losses */
        adam_step(adam, params, graph_param_grads(g), learning_rate(o, step));

        smooth = smoothing * smooth + (1 - smoothing) * mean_loss(g, m, st, o->batch, o->batch);
        weight = smoothing * weight + (1 - smoothing);
        snprintf(line, sizeof line, "loss %.4f", smooth / weight);
        progress_update(&progress, first + (uint64_t)o->batch, line);
    }
    res->seconds = time_now() - start;
    res->train_loss = smooth / weight;
    progress_end(&progress, line);
    adam_destroy(adam);
    sharding_free(&order);
}

static int argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* Whole test set in batches of the training size; the last batch's unused
   rows keep earlier images and are not counted. */
static void evaluate(Graph *g, const Classifier *m, int batch, const IdxDataset *test_set, Staging *st,
                     ClassifyResults *res) {
    Backend *be = graph_backend(g);
    graph_set_training(g, false);
    double loss_sum = 0;
    res->correct = 0;
    res->tested = test_set->count;
    for (int first = 0; first < test_set->count; first += batch) {
        int rows = test_set->count - first < batch ? test_set->count - first : batch;
        for (int r = 0; r < rows; r++) stage_sample(st, r, test_set, first + r);
        upload_batch(g, m, st, batch);
        graph_forward(g);
        loss_sum += mean_loss(g, m, st, batch, rows) * rows;
        be->ops->download(be, st->logits, graph_data(g, m->logits),
                          (size_t)batch * CLASSIFIER_CLASSES * sizeof(float));
        for (int r = 0; r < rows; r++)
            res->correct += argmax(st->logits + (size_t)r * CLASSIFIER_CLASSES, CLASSIFIER_CLASSES) == st->labels[r];
    }
    res->test_loss = loss_sum / test_set->count;
}

/* ---- report ---- */

/* Written under a temporary name and renamed, so a reader never sees half a file. */
static void write_results(const char *path, const ClassifyOptions *o, const ClassifyResults *res) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    DISCO_CHECK(f, "cannot write '%s': %s", tmp, strerror(errno));
    fprintf(f,
            "{\n  \"steps\": %d,\n  \"batch\": %d,\n  \"lr\": %g,\n  \"seed\": %llu,\n  \"threads\": %d,\n"
            "  \"train_seconds\": %.3f,\n  \"images_per_second\": %.1f,\n  \"train_loss\": %.6f,\n"
            "  \"test_loss\": %.6f,\n  \"test_correct\": %d,\n  \"test_images\": %d,\n  \"test_accuracy\": %.6f\n}\n",
            o->steps, o->batch, o->lr, (unsigned long long)o->seed, omp_get_max_threads(), res->seconds,
            (double)o->steps * o->batch / res->seconds, res->train_loss, res->test_loss, res->correct, res->tested,
            (double)res->correct / res->tested);
    DISCO_CHECK(!ferror(f) && fclose(f) == 0, "writing '%s' failed: %s", tmp, strerror(errno));
    DISCO_CHECK(rename(tmp, path) == 0, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
}

ClassifyOptions classify_defaults(void) {
    return (ClassifyOptions){.steps = 4000, .batch = 32, .lr = 3e-3f, .seed = 1,
                             .data_dir = "/usr/share/datasets/fashion-mnist"};
}

ClassifyResults classify_run(const ClassifyOptions *o) {
    if (o->threads) omp_set_num_threads(o->threads);
    IdxDataset train_set = load_split(o->data_dir, "train"), test_set = load_split(o->data_dir, "t10k");

    Graph *g = graph_create(backend_cpu(), o->seed);
    ClassifierConfig config = classifier_default_config(o->batch);
    Classifier model = classifier_build(g, &config);
    graph_compile(g);
    size_t n_params;
    graph_params(g, &n_params);
    LOG_INFO("classify: %d training and %d test images, %zu parameter floats, %d threads, %.1f MiB activations",
             train_set.count, test_set.count, n_params, omp_get_max_threads(),
             graph_activation_bytes(g) / 1048576.0);

    Staging st = {
        .images = disco_calloc((size_t)o->batch * PIXELS, sizeof(float), "batch images"),
        .labels = disco_calloc((size_t)o->batch, sizeof(int32_t), "batch labels"),
        .loss = disco_calloc((size_t)o->batch, sizeof(float), "batch losses"),
        .logits = disco_calloc((size_t)o->batch * CLASSIFIER_CLASSES, sizeof(float), "batch logits"),
    };
    ClassifyResults res;
    train(g, &model, o, &train_set, &st, &res);
    evaluate(g, &model, o->batch, &test_set, &st, &res);
    /* The weights `disco fid --features fmnist` computes FD's features with. */
    if (o->save_path)
        checkpoint_save(o->save_path, g, NULL,
                        &(CheckpointInfo){.step = (uint64_t)o->steps, .images_seen = (uint64_t)o->steps * o->batch});

    free(st.images), free(st.labels), free(st.loss), free(st.logits);
    graph_destroy(g);
    idx_free(&train_set);
    idx_free(&test_set);
    return res;
}

int command_classify(int argc, char **argv) {
    ClassifyOptions o;
    if (!parse_options(argc, argv, &o)) return 2;
    ClassifyResults res = classify_run(&o);
    printf("classify: %d steps of %d images in %.1f s (%.0f images/s)\n", o.steps, o.batch, res.seconds,
           (double)o.steps * o.batch / res.seconds);
    printf("  train loss    %.4f (smoothed over the last ~50 steps)\n", res.train_loss);
    printf("  test loss     %.4f\n", res.test_loss);
    printf("  test accuracy %.2f%% (%d of %d)\n", 100.0 * res.correct / res.tested, res.correct, res.tested);
    if (o.out_path) write_results(o.out_path, &o, &res);
    if (o.save_path) printf("  weights       %s\n", o.save_path);
    return 0;
}
