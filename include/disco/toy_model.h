/* The networks of the 2D toy (DisCo-Diff App. F): an MLP denoiser
 * conditioned on the noise level and on the latents, an MLP encoder that
 * emits m x k logits, and the same denoiser without latents as the baseline.
 *
 * With `latent_mean` the denoiser has the paper's form
 *   D(x, sigma, z) = (sigma_1^2 x + sigma^2 M(z)) / (sigma^2 + sigma_1^2) + c_out F(c_in x, c_noise, z)
 * (the exact denoiser of one Gaussian N(M(z), sigma_1^2 I) plus a learned
 * residual, M(z) a learned mean per latent value); otherwise, and always for
 * the baseline, EDM's D = c_skip x + c_out F. The x terms depend on sigma
 * alone, so the host computes them and feeds them in (toy_feed_noise).
 *
 * Latents enter as a [B, m*k + 1] vector: the (relaxed) one-hot latents and
 * a null flag. Latent dropout zeroes the one-hot part and sets the flag, so
 * the flag's column of every linear that reads the vector is the learned
 * null embedding. */
#ifndef DISCO_TOY_MODEL_H
#define DISCO_TOY_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int latents;  /* m; 0 is the baseline without latents */
    int codebook; /* k */
    int hidden, layers;
    int encoder_hidden, encoder_layers;
    int embed; /* width of the noise and latent embeddings */
    bool latent_mean;
    double sigma_1;
    double sigma_data;
} ToyModelConfig;

typedef struct {
    int batch;
    int x_in;       /* f32 [B, 2]: c_in x */
    int c_noise;    /* f32 [B] */
    int skip;       /* f32 [B, 2]: the x term of D */
    int out_scale;  /* f32 [B, 4]: modulation (c_out - 1, 0) of F */
    int mean_scale; /* f32 [B, 4]: modulation of M(z), or -1 */
    int latent;     /* f32 [B, m*k + 1]: fed when sampling, computed in training; -1 for the baseline */
    int denoised;   /* f32 [B, 2] */
    /* training and encoding only (-1 otherwise) */
    int clean;     /* f32 [B, 2]: y */
    int keep;      /* f32 [B, 2*m*k]: modulation (keep - 1, 0) of the latents */
    int null_flag; /* f32 [B, 1]: 1 - keep */
    int weight;    /* f32 [B]: lambda(sigma) */
    int loss;      /* f32 [B] */
    int one_hot;   /* f32 [B, m, k]: the encoder's Gumbel-softmax output */
} ToyNet;

/* Encoder, Gumbel-softmax (tau, hard), latent dropout and denoiser with the
   EDM loss, in one graph so the loss trains both networks. The graph's loss
   is set; the caller compiles. */
ToyNet toy_build_training(Graph *g, const ToyModelConfig *c, int batch, float tau, bool hard);
/* The denoiser alone, latents fed in. */
ToyNet toy_build_denoiser(Graph *g, const ToyModelConfig *c, int batch);
/* The encoder alone: clean -> one_hot (hard Gumbel-softmax at tau). */
ToyNet toy_build_encoder(Graph *g, const ToyModelConfig *c, int batch, float tau);

/* Feeds the noise-level inputs for count rows (count <= batch) of noisy x at
   per-row sigma; rows past count are left as they are. */
void toy_feed_noise(Graph *g, const ToyNet *net, const ToyModelConfig *c, const float *x, const double *sigma,
                    int count);
/* Feeds latents z [count, m] as one-hot (flag 0), or the null latent when z is NULL. */
void toy_feed_latents(Graph *g, const ToyNet *net, const ToyModelConfig *c, const int32_t *z, int count);

#ifdef __cplusplus
}
#endif

#endif
