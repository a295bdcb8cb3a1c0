/* Feature statistics of images for FID and FD; see fid_run.h. */
#include "fid_run.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disco/checkpoint.h"
#include "disco/dataset.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/import.h"
#include "disco/inception.h"
#include "disco/models.h"
#include "disco/npz.h"
#include "disco/progress.h"

/* Inception keeps ~100 MiB of activations per image (docs/fid_inception.md);
   the classifier, a few hundred KiB. */
#define INCEPTION_BATCH 8
#define FMNIST_BATCH 100

struct FidNetwork {
    Graph *g;
    bool inception; /* else the Fashion-MNIST classifier */
    const char *name;
    int batch, height, width, channels, dim;
    int input, features; /* graph tensors */
    uint8_t *grey;       /* the classifier's one image made grey */
};

FidNetwork *fid_network_open(const FidOptions *options, int height, int width, int channels, const char *images) {
    DISCO_CHECK(channels == 1 || channels == 3,
                "'%s' holds images of %d channels; features are computed on grey (1) or RGB (3) images", images,
                channels);
    DISCO_CHECK(height > 0 && width > 0, "'%s' holds empty %dx%d images", images, height, width);
    DISCO_CHECK(options->batch >= 0, "feature network: batch %d", options->batch);
    FidNetwork *n = disco_malloc(sizeof *n, "feature network");
    *n = (FidNetwork){.g = graph_create(backend_cpu(), 0), .height = height, .width = width, .channels = channels};
    if (strcmp(options->network, "inception") == 0) {
        n->inception = true, n->name = "inception-2015-12-05", n->dim = INCEPTION_FEATURES;
        n->batch = options->batch ? options->batch : INCEPTION_BATCH;
        Inception net = inception_build(n->g, n->batch, height, width);
        graph_compile(n->g);
        inception_load_weights(n->g, options->weights);
        n->input = net.images, n->features = net.features;
    } else if (strcmp(options->network, "fmnist") == 0) {
        DISCO_CHECK(height <= CLASSIFIER_SIZE && width <= CLASSIFIER_SIZE,
                    "'%s' holds %dx%d images; the Fashion-MNIST classifier reads at most %dx%d", images, height,
                    width, CLASSIFIER_SIZE, CLASSIFIER_SIZE);
        n->name = "fmnist-classifier";
        n->batch = options->batch ? options->batch : FMNIST_BATCH;
        ClassifierConfig config = classifier_default_config(n->batch);
        Classifier net = classifier_build(n->g, &config);
        graph_compile(n->g);
        graph_set_training(n->g, false);
        checkpoint_load(options->weights, n->g, NULL, 0);
        n->input = net.images, n->features = net.features, n->dim = config.features;
        n->grey = disco_malloc((size_t)height * width, "grey image");
    } else {
        DISCO_FATAL("unknown feature network '%s' (inception or fmnist)", options->network);
    }
    return n;
}

void fid_network_close(FidNetwork *n) {
    if (!n) return;
    graph_destroy(n->g);
    free(n->grey);
    free(n);
}

int fid_network_dim(const FidNetwork *n) { return n->dim; }
const char *fid_network_name(const FidNetwork *n) { return n->name; }

/* The classifier reads grey: RGB becomes L = (19595 R + 38470 G + 7471 B +
   2^15) >> 16, PIL's convert('L'), whose weights sum to 2^16 so that grey
   repeated into RGB (disco data import --rgb) comes back exactly. */
static const uint8_t *grey_image(FidNetwork *n, const uint8_t *image) {
    if (n->channels == 1) return image;
    size_t pixels = (size_t)n->height * n->width;
    for (size_t i = 0; i < pixels; i++) {
        const uint8_t *p = image + 3 * i;
        n->grey[i] = (uint8_t)((19595u * p[0] + 38470u * p[1] + 7471u * p[2] + 0x8000u) >> 16);
    }
    return n->grey;
}

void fid_network_add(FidNetwork *n, FeatureStats *stats, const uint8_t *images, int64_t count) {
    size_t image_bytes = (size_t)n->height * n->width * n->channels;
    float *input = graph_data(n->g, n->input);
    for (int64_t first = 0; first < count; first += n->batch) {
        int rows = count - first < n->batch ? (int)(count - first) : n->batch;
        const uint8_t *batch = images + (size_t)first * image_bytes;
        if (n->inception) {
            inception_pack_images(input, batch, rows, n->height, n->width, n->channels);
        } else {
            for (int r = 0; r < rows; r++)
                classifier_pack_image(input + (size_t)r * CLASSIFIER_SIZE * CLASSIFIER_SIZE,
                                      grey_image(n, batch + r * image_bytes), n->height, n->width);
        }
        graph_forward(n->g);
        /* Rows past `rows` hold the previous batch's images: not counted. */
        feature_stats_add(stats, graph_data(n->g, n->features), rows);
    }
}

static FrechetStats reduce_and_finish(const FidNetwork *n, FeatureStats *s) {
    feature_stats_reduce(s);
    FrechetStats stats = feature_stats_finish(s);
    snprintf(stats.network, sizeof stats.network, "%s", n->name);
    feature_stats_free(s);
    return stats;
}

FrechetStats fid_stats_of_images(FidNetwork *n, const uint8_t *images, int64_t count) {
    FeatureStats *s = feature_stats_create(n->dim);
    fid_network_add(n, s, images, count);
    return reduce_and_finish(n, s);
}

/* ---- inputs: each read through an ImportSource (import.h), one image at a time ---- */

static void load_dataset_image(void *state, int64_t index, uint8_t *image, int32_t *label) {
    dataset_read(state, index, image, label);
}
static void close_dataset(void *state) { dataset_close(state); }

static ImportSource dataset_images(const char *path) {
    Dataset *d = dataset_open(path);
    const ShardInfo *info = dataset_info(d);
    return (ImportSource){.count = info->count, .height = info->height, .width = info->width,
                          .channels = info->channels, .state = d, .load = load_dataset_image, .close = close_dataset};
}

static void load_npz_image(void *state, int64_t index, uint8_t *image, int32_t *label) {
    npz_array_read_rows(state, index, 1, image);
    *label = 0;
}
static void close_npz(void *state) { npz_array_close(state); }

static ImportSource npz_images(const char *path) {
    NpzArray *a = npz_open_array(path, "arr_0");
    const NpyInfo *info = npz_array_info(a);
    DISCO_CHECK(info->type == NPY_U8 && info->ndim == 4,
                "'%s': arr_0 must be uint8 [N, H, W, C] (the ADM evaluator's form); it has %d dimensions of %d bytes",
                path, info->ndim, info->item_size);
    DISCO_CHECK(info->shape[1] <= INT32_MAX && info->shape[2] <= INT32_MAX && info->shape[3] <= INT32_MAX,
                "'%s': arr_0's images are too large", path);
    return (ImportSource){.count = info->shape[0], .height = (int)info->shape[1], .width = (int)info->shape[2],
                          .channels = (int)info->shape[3], .state = a, .load = load_npz_image, .close = close_npz};
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static ImportSource open_images(const char *path) {
    struct stat st;
    DISCO_CHECK(stat(path, &st) == 0, "cannot read the images '%s': %s", path, strerror(errno));
    if (ends_with(path, ".npz")) return npz_images(path);
    char index[4096];
    snprintf(index, sizeof index, "%s/%s", path, DATASET_INDEX_NAME);
    if (S_ISDIR(st.st_mode) && access(index, F_OK) != 0) return import_source_png_folder(path, NULL, NULL, 0);
    return dataset_images(path);
}

FrechetStats fid_stats_of_path(const char *path, const FidOptions *options) {
    ImportSource source = open_images(path);
    DISCO_CHECK(source.count >= 2, "'%s' holds %lld images; statistics need at least 2", path,
                (long long)source.count);
    FidNetwork *n = fid_network_open(options, source.height, source.width, source.channels, path);
    int rank = dist_rank(), world = dist_world();
    int64_t first = source.count * rank / world, end = source.count * (rank + 1) / world;
    size_t image_bytes = (size_t)source.height * source.width * source.channels;
    uint8_t *images = disco_malloc((size_t)n->batch * image_bytes, "image batch");
    FeatureStats *s = feature_stats_create(n->dim);
    Progress progress;
    if (rank == 0) progress_begin(&progress, stderr, "fid", "img", (uint64_t)(end - first));
    for (int64_t start = first; start < end; start += n->batch) {
        int rows = end - start < n->batch ? (int)(end - start) : n->batch;
        int32_t label;
        for (int r = 0; r < rows; r++) source.load(source.state, start + r, images + r * image_bytes, &label);
        fid_network_add(n, s, images, rows);
        if (rank == 0) progress_update(&progress, (uint64_t)(start + rows - first), NULL);
    }
    if (rank == 0) progress_end(&progress, NULL);
    free(images);
    source.close(source.state);
    FrechetStats stats = reduce_and_finish(n, s);
    fid_network_close(n);
    return stats;
}

void fid_stats_check_name(const char *path) {
    DISCO_CHECK(ends_with(path, ".npz") || ends_with(path, ".h5") || ends_with(path, ".hdf5"),
                "'%s': a statistics file's name ends in .npz (EDM's reference form) or .h5", path);
}

void fid_stats_save(const char *path, const FrechetStats *stats) {
    fid_stats_check_name(path);
    if (ends_with(path, ".npz"))
        stats_write_npz(path, stats);
    else
        stats_write_h5(path, stats);
}

FrechetStats fid_stats_load(const char *path) {
    fid_stats_check_name(path);
    return ends_with(path, ".npz") ? stats_read_npz(path) : stats_read_h5(path);
}

double fid_distance(const FrechetStats *stats, const FrechetStats *ref, const char *ref_path) {
    DISCO_CHECK(ref->dim == stats->dim, "'%s' holds statistics of %d features; %s gives %d", ref_path, ref->dim,
                stats->network, stats->dim);
    DISCO_CHECK(!ref->network[0] || strcmp(ref->network, stats->network) == 0,
                "'%s' holds statistics of %s features, not of %s", ref_path, ref->network, stats->network);
    return frechet_distance(stats->mu, stats->sigma, ref->mu, ref->sigma, stats->dim);
}

double fid_distance_of_path(const char *path, const FidOptions *options, const FrechetStats *ref,
                            const char *ref_path, int64_t *count) {
    FrechetStats stats = fid_stats_of_path(path, options);
    double distance = fid_distance(&stats, ref, ref_path);
    *count = stats.count;
    frechet_stats_free(&stats);
    return distance;
}
