/* disco encode on an image config; see image_run.h. Stage 2's data: the
   frozen EMA encoder of stage 1 turns every training image into its m
   latents (DisCo-Diff eq. 4, SPEC 1.3), and rank 0 writes them with the
   labels the prior is conditioned on. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/arrays.h"
#include "disco/checkpoint.h"
#include "disco/dataset.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "image_run.h"
#include "run_config.h"

#define ENCODE_BATCH 64
/* SPEC 1.3: the frozen encoder at Gumbel tau 0.01. The Gumbel noise is added
   before the temperature divides, so the latents are draws from the
   encoder's categorical, not its argmax; each is keyed by the image's index
   in the data set, so any number of ranks draws the same ones. */
#define ENCODE_TAU 0.01f

Graph *image_encoder_load(const ImageRunSpec *spec, const char *dir, int batch, VitEncoder *encoder) {
    char path[1024];
    run_path(path, sizeof path, dir, "checkpoints/stage1.h5");
    Graph *g = graph_create(backend_cpu(), spec->train.seed);
    *encoder = vit_encoder_build(g, &spec->model.encoder, batch, ENCODE_TAU, true);
    graph_compile(g);
    graph_set_training(g, false);
    checkpoint_load(path, g, NULL, 1);
    return g;
}

/* Images [first, end) of the data set into rows of `table` [N, m + 1] at
   their index: the m latent values, then the label. */
static void encode_slice(Graph *g, const VitEncoder *encoder, const VitEncoderConfig *c, Dataset *data, int64_t first,
                         int64_t end, float *table) {
    const int m = c->m, k = c->k, size = c->image_size;
    size_t pixels = (size_t)size * size * c->channels;
    uint8_t *image = disco_malloc(pixels, "image");
    float *batch = disco_calloc(ENCODE_BATCH * pixels, sizeof(float), "encoder batch");
    for (int64_t start = first; start < end; start += ENCODE_BATCH) {
        int count = end - start < ENCODE_BATCH ? (int)(end - start) : ENCODE_BATCH;
        for (int r = 0; r < count; r++) {
            int32_t label;
            dataset_read(data, start + r, image, &label);
            table[(size_t)(start + r) * (m + 1) + m] = (float)label;
            for (size_t i = 0; i < pixels; i++) batch[r * pixels + i] = image[i] / 127.5f - 1.0f; /* as reader.h */
        }
        vit_patchify(batch, ENCODE_BATCH, size, size, c->channels, c->patch, graph_data(g, encoder->patches));
        graph_set_step(g, 0, (uint32_t)start);
        graph_forward(g);
        const float *one_hot = graph_data(g, encoder->one_hot);
        for (int r = 0; r < count; r++)
            for (int j = 0; j < m; j++) {
                const float *row = one_hot + ((size_t)r * m + j) * k;
                int value = 0;
                for (int v = 1; v < k; v++)
                    if (row[v] > row[value]) value = v;
                table[(size_t)(start + r) * (m + 1) + j] = (float)value;
            }
    }
    free(batch), free(image);
}

static double entropy_bits(const int64_t *counts, int n, int64_t total) {
    double h = 0;
    for (int i = 0; i < n; i++)
        if (counts[i]) h -= (double)counts[i] / total * log2((double)counts[i] / total);
    return h;
}

/* How the encoder uses its latents, printed after encoding: for each latent
   the values it takes and the entropy of their histogram, and the mutual
   information with the class, I(z_j; c) = H(z_j) - H(z_j | c), from the
   joint histogram (the plug-in estimate: biased up by about
   (k - 1)(classes - 1) / (2 N ln 2) bits). */
static void report_usage(const int32_t *z, const int32_t *labels, int64_t n, int m, int k, int classes,
                         const char *path) {
    int64_t *joint = disco_calloc((size_t)classes * k, sizeof(int64_t), "latent histogram");
    int64_t *marginal = disco_malloc((size_t)k * sizeof(int64_t), "latent histogram");
    int64_t *class_counts = disco_calloc((size_t)classes, sizeof(int64_t), "class histogram");
    for (int64_t i = 0; i < n; i++) class_counts[labels[i]]++;
    double entropy = 0, information = 0;
    printf("encode: %lld images, %d latents of %d values; values used per latent:", (long long)n, m, k);
    for (int j = 0; j < m; j++) {
        memset(joint, 0, (size_t)classes * k * sizeof(int64_t));
        for (int64_t i = 0; i < n; i++) joint[(size_t)labels[i] * k + z[i * m + j]]++;
        int used = 0;
        for (int v = 0; v < k; v++) {
            marginal[v] = 0;
            for (int y = 0; y < classes; y++) marginal[v] += joint[(size_t)y * k + v];
            used += marginal[v] > 0;
        }
        printf(" %d", used);
        double h = entropy_bits(marginal, k, n), h_given_class = 0;
        for (int y = 0; y < classes; y++)
            if (class_counts[y])
                h_given_class += (double)class_counts[y] / n * entropy_bits(joint + (size_t)y * k, k, class_counts[y]);
        entropy += h / m;
        information += (h - h_given_class) / m;
    }
    printf("\nencode: mean entropy %.3f bits per latent (at most %.3f), mean mutual information with the class "
           "%.3f bits; wrote %s\n",
           entropy, log2(k), information, path);
    free(joint), free(marginal), free(class_counts);
}

void image_stage_encode(const ImageRunSpec *spec, const char *dir, Comm *comm) {
    int rank = comm ? dist_rank() : 0, world = comm ? dist_world() : 1;
    if (spec->model.unet.latent_dim == 0) {
        if (rank == 0) printf("encode: the baseline has no latents; nothing to do\n");
        return;
    }
    const VitEncoderConfig *c = &spec->model.encoder;
    Dataset *data = dataset_open(spec->data_path);
    const ShardInfo *info = dataset_info(data);
    DISCO_CHECK(info->height == c->image_size && info->width == c->image_size && info->channels == c->channels,
                "data set '%s' holds %dx%dx%d images; the encoder reads %dx%dx%d", spec->data_path, info->height,
                info->width, info->channels, c->image_size, c->image_size, c->channels);
    const int64_t n = info->count;
    const int m = c->m, classes = info->classes;
    DISCO_CHECK(n <= INT32_MAX, "data set '%s': %lld images; latents.h5 holds at most 2^31 - 1", spec->data_path,
                (long long)n);

    /* Each rank encodes a contiguous slice into a zeroed table of every
       image's latents and label; the sum over ranks gathers them (small
       integers, exact in float whatever the order of the sum). */
    float *table = disco_calloc((size_t)n * (m + 1), sizeof(float), "latent table");
    VitEncoder encoder;
    Graph *g = image_encoder_load(spec, dir, ENCODE_BATCH, &encoder);
    encode_slice(g, &encoder, c, data, n * rank / world, n * (rank + 1) / world, table);
    graph_destroy(g);
    dataset_close(data);
    if (comm) comm_allreduce_sum(comm, table, (size_t)n * (m + 1));

    if (rank == 0) {
        int32_t *z = disco_malloc((size_t)n * m * sizeof(int32_t), "latents");
        int32_t *labels = disco_malloc((size_t)n * sizeof(int32_t), "labels");
        for (int64_t i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) z[i * m + j] = (int32_t)table[i * (m + 1) + j];
            labels[i] = (int32_t)table[i * (m + 1) + m];
        }
        char path[1024];
        run_path(path, sizeof path, dir, "latents.h5");
        NamedArray arrays[2] = {{"latents", DTYPE_I32, 2, {(int)n, m}, z}, {"labels", DTYPE_I32, 1, {(int)n}, labels}};
        arrays_save(path, arrays, 2);
        report_usage(z, labels, n, m, c->k, classes, path);
        free(z), free(labels);
    }
    free(table);
    dist_barrier(); /* latents.h5 is written before any rank goes on */
}
