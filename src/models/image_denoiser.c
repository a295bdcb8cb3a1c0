/* DisCo-Diff's image denoiser for sampling; see include/disco/image_model.h. */
#include <stdlib.h>
#include <string.h>

#include "disco/edm.h"
#include "disco/error.h"
#include "disco/image_model.h"

ImageDenoiser image_build_denoiser(Graph *g, const ImageModelConfig *c, int batch) {
    const AdmUnetConfig *u = &c->unet;
    DISCO_CHECK(u->in_channels == u->out_channels, "a denoiser maps images to images: %d channels in, %d out",
                u->in_channels, u->out_channels);
    ImageDenoiser net = {.batch = batch, .labels = -1, .latents = -1, .latent = {.keep = -1, .drop = -1}};
    const int image_shape[4] = {batch, u->resolution, u->resolution, u->in_channels};
    net.x_in = graph_input(g, "x_in", DTYPE_F32, 4, image_shape, false);
    net.c_noise = graph_input(g, "c_noise", DTYPE_F32, 1, (int[]){batch}, false);
    if (u->label_dim > 0)
        net.labels = graph_input(g, "class_labels", DTYPE_F32, 2, (int[]){batch, u->label_dim}, false);
    AdmUnetInputs in = {.x = net.x_in, .c_noise = net.c_noise, .class_labels = net.labels};
    if (u->latent_dim > 0) {
        net.latents = graph_input(g, "latents", DTYPE_F32, 3, (int[]){batch, c->latent.m, c->latent.k}, false);
        net.latent = latent_transformer_build(g, &c->latent, net.latents);
        for (int k = 0; k < net.latent.groups; k++) in.latent_tokens[k] = net.latent.group_tokens[k];
    }
    graph_push_scope(g, "model"); /* as in image_build_training, so the names match */
    net.output = adm_unet_build(g, u, &in).output;
    graph_pop_scope(g);
    return net;
}

/* Rows [0, n) of a one-hot input [batch, positions, k] from values [n, positions]. */
static void feed_one_hot(Graph *g, int id, const int32_t *values, int n, int positions, int k, const char *what) {
    float *one_hot = graph_data(g, id);
    memset(one_hot, 0, (size_t)n * positions * k * sizeof(float));
    for (int i = 0; i < n * positions; i++) {
        DISCO_CHECK(values[i] >= 0 && values[i] < k, "%s %d of batch row %d is outside [0, %d)", what, values[i],
                    i / positions, k);
        one_hot[(size_t)i * k + values[i]] = 1.0f;
    }
}

void image_denoise(Graph *g, const ImageDenoiser *net, const ImageModelConfig *c, const float *x, double sigma,
                   const int32_t *labels, const int32_t *latents, int n, float *denoised) {
    DISCO_CHECK(n >= 1 && n <= net->batch, "image_denoise: %d rows for a batch of %d", n, net->batch);
    const AdmUnetConfig *u = &c->unet;
    size_t count = (size_t)n * u->resolution * u->resolution * u->in_channels;
    EdmPrecond p = edm_precond(sigma, c->sigma_data);
    float *x_in = graph_data(g, net->x_in), *c_noise = graph_data(g, net->c_noise);
    for (size_t i = 0; i < count; i++) x_in[i] = (float)(p.c_in * x[i]);
    for (int r = 0; r < n; r++) c_noise[r] = (float)p.c_noise;
    if (net->labels >= 0) feed_one_hot(g, net->labels, labels, n, 1, u->label_dim, "label");
    if (net->latents >= 0) {
        /* The null latents replace whatever the one-hot holds, so it is left as it is. */
        if (latents) feed_one_hot(g, net->latents, latents, n, c->latent.m, c->latent.k, "latent");
        float *keep = disco_malloc((size_t)net->batch * sizeof(float), "latent keep mask");
        for (int r = 0; r < net->batch; r++) keep[r] = latents ? 1.0f : 0.0f;
        latent_transformer_feed_keep(g, &net->latent, keep);
        free(keep);
    }
    graph_forward(g);
    const float *f = graph_data(g, net->output);
    for (size_t i = 0; i < count; i++) denoised[i] = (float)(p.c_skip * x[i] + p.c_out * f[i]);
}
