/* The 2D toy's networks; see include/disco/toy_model.h for the forms. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "disco/edm.h"
#include "disco/error.h"
#include "disco/toy_model.h"

/* c_noise = ln(sigma)/4 spans about [-1.6, 1.1] here: frequencies from 1
   down to 1/100 cover that range without near-constant features. */
#define TOY_NOISE_MAX_POSITIONS 100.0f

static int input(Graph *g, const char *name, int rows, int cols) {
    return graph_input(g, name, DTYPE_F32, 2, (int[]){rows, cols}, false);
}

static int linear(Graph *g, const char *scope, int x, int in, int out, bool bias) {
    graph_push_scope(g, scope);
    int w = graph_param(g, "weight", 2, (int[]){out, in}, (Init){INIT_UNIFORM_FAN_IN, 1.0f, in});
    int b = bias ? graph_param(g, "bias", 1, (int[]){out}, (Init){INIT_ZERO, 0, 0}) : -1;
    graph_pop_scope(g);
    return graph_linear(g, x, w, b);
}

/* An MLP of `layers` linears with SiLU between them, named fc0, fc1, ... */
static int mlp(Graph *g, int x, int in, int hidden, int out, int layers) {
    char name[16];
    for (int i = 0; i < layers; i++) {
        snprintf(name, sizeof name, "fc%d", i);
        int width = i == layers - 1 ? out : hidden;
        x = linear(g, name, x, i == 0 ? in : hidden, width, true);
        if (i < layers - 1) x = graph_silu(g, x);
    }
    return x;
}

static int latent_width(const ToyModelConfig *c) { return c->latents * c->codebook + 1; }

/* Fills the noise inputs and the output: D = skip + c_out F (+ mean term). */
static void build_denoiser(Graph *g, const ToyModelConfig *c, ToyNet *net, int batch) {
    DISCO_CHECK(c->layers >= 2 && c->hidden > 0 && c->embed > 0 && c->embed % 2 == 0,
                "toy denoiser: needs at least 2 layers and an even embedding width");
    net->x_in = input(g, "x_in", batch, 2);
    net->c_noise = graph_input(g, "c_noise", DTYPE_F32, 1, (int[]){batch}, false);
    net->skip = input(g, "skip", batch, 2);
    net->out_scale = input(g, "out_scale", batch, 4);

    graph_push_scope(g, "denoiser");
    int emb = graph_positional_embedding(g, net->c_noise, c->embed, TOY_NOISE_MAX_POSITIONS, false);
    emb = graph_silu(g, linear(g, "map_noise", emb, c->embed, c->embed, true));
    int h = graph_concat(g, net->x_in, emb);
    int width = 2 + c->embed;
    if (c->latents > 0) {
        int z = graph_silu(g, linear(g, "map_latent", net->latent, latent_width(c), c->embed, true));
        h = graph_concat(g, h, z);
        width += c->embed;
    }
    graph_push_scope(g, "net");
    int f = mlp(g, h, width, c->hidden, 2, c->layers);
    graph_pop_scope(g);
    int d = graph_add(g, net->skip, graph_modulate(g, f, net->out_scale), 1.0f);
    net->mean_scale = -1;
    if (c->latents > 0 && c->latent_mean) {
        net->mean_scale = input(g, "mean_scale", batch, 4);
        int mean = linear(g, "latent_mean", net->latent, latent_width(c), 2, false);
        d = graph_add(g, d, graph_modulate(g, mean, net->mean_scale), 1.0f);
    }
    graph_pop_scope(g);
    net->denoised = d;
}

/* clean -> logits [B, m, k] -> Gumbel-softmax one-hot [B, m, k]. */
static int build_encoder(Graph *g, const ToyModelConfig *c, ToyNet *net, int batch, float tau, bool hard) {
    DISCO_CHECK(c->latents > 0 && c->codebook > 1 && c->encoder_layers >= 2,
                "toy encoder: needs latents, a codebook of at least 2 and at least 2 layers");
    net->clean = input(g, "clean", batch, 2);
    graph_push_scope(g, "encoder");
    int logits = mlp(g, net->clean, 2, c->encoder_hidden, c->latents * c->codebook, c->encoder_layers);
    graph_pop_scope(g);
    logits = graph_reshape(g, logits, 3, (int[]){batch, c->latents, c->codebook});
    net->one_hot = graph_gumbel_softmax(g, logits, tau, hard);
    return graph_reshape(g, net->one_hot, 2, (int[]){batch, c->latents * c->codebook});
}

static ToyNet empty_net(int batch) {
    return (ToyNet){.batch = batch, .latent = -1, .mean_scale = -1, .clean = -1, .keep = -1, .null_flag = -1,
                    .weight = -1, .loss = -1, .one_hot = -1};
}

ToyNet toy_build_training(Graph *g, const ToyModelConfig *c, int batch, float tau, bool hard) {
    ToyNet net = empty_net(batch);
    if (c->latents > 0) {
        int z = build_encoder(g, c, &net, batch, tau, hard);
        net.keep = input(g, "keep", batch, 2 * c->latents * c->codebook);
        net.null_flag = input(g, "null_flag", batch, 1);
        net.latent = graph_concat(g, graph_modulate(g, z, net.keep), net.null_flag);
    } else {
        net.clean = input(g, "clean", batch, 2);
    }
    build_denoiser(g, c, &net, batch);
    net.weight = graph_input(g, "weight", DTYPE_F32, 1, (int[]){batch}, false);
    net.loss = graph_weighted_mse(g, net.denoised, net.clean, net.weight);
    graph_set_loss(g, net.loss);
    return net;
}

ToyNet toy_build_denoiser(Graph *g, const ToyModelConfig *c, int batch) {
    ToyNet net = empty_net(batch);
    if (c->latents > 0) net.latent = input(g, "latent", batch, latent_width(c));
    build_denoiser(g, c, &net, batch);
    return net;
}

ToyNet toy_build_encoder(Graph *g, const ToyModelConfig *c, int batch, float tau) {
    ToyNet net = empty_net(batch);
    build_encoder(g, c, &net, batch, tau, true);
    return net;
}

/* Modulation inputs are [scale..., shift...] per row: a per-row factor on
   every channel, no shift. */
static void fill_row_scale(float *ss, int row, int channels, double factor) {
    float *r = ss + (size_t)row * 2 * channels;
    for (int j = 0; j < channels; j++) r[j] = (float)(factor - 1.0), r[channels + j] = 0.0f;
}

void toy_feed_noise(Graph *g, const ToyNet *net, const ToyModelConfig *c, const float *x, const double *sigma,
                    int count) {
    DISCO_CHECK(graph_backend(g)->device == DEVICE_CPU, "the toy model runs on the CPU backend");
    DISCO_CHECK(count <= net->batch, "toy: %d rows fed to a batch of %d", count, net->batch);
    float *x_in = graph_data(g, net->x_in), *c_noise = graph_data(g, net->c_noise), *skip = graph_data(g, net->skip);
    float *out_scale = graph_data(g, net->out_scale);
    float *mean_scale = net->mean_scale >= 0 ? graph_data(g, net->mean_scale) : NULL;
    double s1 = c->sigma_1 * c->sigma_1;
    for (int r = 0; r < count; r++) {
        EdmPrecond p = edm_precond(sigma[r], c->sigma_data);
        double s2 = sigma[r] * sigma[r];
        double x_factor = mean_scale ? s1 / (s2 + s1) : p.c_skip;
        for (int j = 0; j < 2; j++) {
            x_in[2 * r + j] = (float)(p.c_in * x[2 * r + j]);
            skip[2 * r + j] = (float)(x_factor * x[2 * r + j]);
        }
        c_noise[r] = (float)p.c_noise;
        fill_row_scale(out_scale, r, 2, p.c_out);
        if (mean_scale) fill_row_scale(mean_scale, r, 2, s2 / (s2 + s1));
    }
}

void toy_feed_latents(Graph *g, const ToyNet *net, const ToyModelConfig *c, const int32_t *z, int count) {
    DISCO_CHECK(net->latent >= 0 && net->keep < 0, "toy: latents are fed only to a denoiser built alone");
    int width = latent_width(c);
    float *latent = graph_data(g, net->latent);
    memset(latent, 0, (size_t)count * (size_t)width * sizeof(float));
    for (int r = 0; r < count; r++) {
        float *row = latent + (size_t)r * width;
        if (!z) {
            row[width - 1] = 1.0f;
            continue;
        }
        for (int i = 0; i < c->latents; i++) {
            int32_t v = z[(size_t)r * c->latents + i];
            DISCO_CHECK(v >= 0 && v < c->codebook, "toy: latent %d of row %d is %d, outside [0, %d)", i, r, v,
                        c->codebook);
            row[i * c->codebook + v] = 1.0f;
        }
    }
}
