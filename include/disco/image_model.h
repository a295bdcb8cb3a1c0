/* DisCo-Diff on images, stage 1 as one training graph (DisCo-Diff §3.2):
 * the ViT encoder reads the clean image and emits m latents through the
 * Gumbel-softmax, the latent transformer turns them into tokens (a dropped
 * sample's into the null tokens), and the ADM U-Net denoises with
 * cross-attention to them. Without latents it is EDM's baseline.
 *
 * The EDM loss is written in terms of F rather than D: with
 * D = c_skip x + c_out F and lambda = 1 / c_out^2 (EDM's weighting),
 *   lambda |D - y|^2 = |F - (y - c_skip x) / c_out|^2,
 * so the host feeds c_in x, c_noise, the effective target and a weight of
 * lambda c_out^2 (1 up to rounding), and the graph needs no per-sample
 * scaling of whole images. image_feed_noise computes them. */
#ifndef DISCO_IMAGE_MODEL_H
#define DISCO_IMAGE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "disco/adm_unet.h"
#include "disco/graph.h"
#include "disco/latent_transformer.h"
#include "disco/vit_encoder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    AdmUnetConfig unet;            /* unet.latent_dim 0: the baseline, no encoder */
    VitEncoderConfig encoder;
    LatentTransformerConfig latent;
    double sigma_data;
    float gumbel_tau;
    bool gumbel_hard;
} ImageModelConfig;

/* The tiny sizes of every part, with latents: for gradient checks and tests. */
ImageModelConfig image_model_tiny(bool latents);
/* Fashion-MNIST at 32x32 with `channels` channels. */
ImageModelConfig image_model_fmnist(int channels, bool latents);

/* By name: tiny, fmnist (1 or 3 channels), imagenet64,
   imagenet64-hierarchical (30 latents in 3 groups) or imagenet128. */
ImageModelConfig image_model_preset(const char *name, int channels, bool latents);

typedef struct {
    int batch;
    int x_in;    /* f32 [B, H, W, C]: c_in (y + n) */
    int c_noise; /* f32 [B] */
    int labels;  /* f32 [B, classes] one-hot, or -1 */
    int target;  /* f32 [B, H, W, C]: (y - c_skip (y + n)) / c_out */
    int weight;  /* f32 [B]: lambda c_out^2 */
    int output;  /* f32 [B, H, W, C]: F */
    int loss;    /* f32 [B] (the graph's loss) */
    VitEncoder encoder;       /* unused (-1 ids) for the baseline */
    LatentTransformer latent; /* likewise */
} ImageNetwork;

/* Builds the training graph for a fixed batch and sets its loss; the caller compiles. */
ImageNetwork image_build_training(Graph *g, const ImageModelConfig *c, int batch);

/* Feeds one batch: clean images y [B, H, W, C] in [-1, 1], their noise
   levels and unit noise n0 (the noisy image is y + sigma n0), labels [B]
   (ignored without classes), keep [B] (1 keeps a sample's latents). */
void image_feed(Graph *g, const ImageNetwork *net, const ImageModelConfig *c, const float *clean, const double *sigma,
                const float *unit_noise, const int32_t *labels, const float *keep);

/* ---- sampling ---- */

/* The denoiser alone: the training graph without the encoder and the loss.
   The latents come in as a one-hot input [B, m, k] (the prior's draws or an
   encoder's), read by the same latent transformer, whose keep input selects
   the learned null tokens for guidance. Parameters have the training graph's
   names, so stage 1's checkpoint loads into it by name. */
typedef struct {
    int batch;
    int x_in;                 /* f32 [B, H, W, C]: c_in x */
    int c_noise;              /* f32 [B] */
    int labels;               /* f32 [B, classes] one-hot, or -1 */
    int latents;              /* f32 [B, m, k] one-hot, or -1 for the baseline */
    LatentTransformer latent; /* unused (-1 ids) for the baseline */
    int output;               /* f32 [B, H, W, C]: F */
} ImageDenoiser;

/* Builds the denoiser for a fixed batch; the caller compiles. */
ImageDenoiser image_build_denoiser(Graph *g, const ImageModelConfig *c, int batch);

/* D(x; sigma) = c_skip x + c_out F for rows [0, n) of the batch (n <= batch),
   all at one noise level: x [n, H, W, C], labels [n] (ignored without
   classes), latents [n, m] of values in [0, k), or NULL for the null
   latents (ignored by the baseline). Feeds, runs the forward and writes
   denoised [n, H, W, C]; rows past n hold whatever they last held, which no
   row of a U-Net reads. */
void image_denoise(Graph *g, const ImageDenoiser *net, const ImageModelConfig *c, const float *x, double sigma,
                   const int32_t *labels, const int32_t *latents, int n, float *denoised);

#ifdef __cplusplus
}
#endif

#endif
