/* The ADM U-Net (EDM's DhariwalUNet, SPEC Part 3 §3.3) as a graph builder,
 * with DisCo-Diff's cross-attention to latent tokens (SPEC §1.4).
 *
 * F_theta(x, c_noise, class, latents) -> [B, H, W, out_channels]. The
 * builder takes the tensors it reads from the caller, who creates them as
 * graph inputs or computes them in the same graph (the latent tokens come
 * from the latent transformer during training), and adds parameters under the
 * current scope with the names of EDM's state_dict ("map_layer0.weight",
 * "enc.64x64_conv.weight", "dec.8x8_in0.qkv.weight", ...). Where our layout
 * differs from PyTorch's (conv weights, the fused qkv rows) docs/architecture.md
 * says how a converter maps them.
 *
 * With latent_dim > 0 every self-attention layer is followed, inside its
 * block, by a cross-attention layer whose keys and values come from latent
 * tokens; its output projection starts at zero, so at initialisation the
 * network computes exactly what the baseline does. latent_groups 1 feeds all
 * tokens to every such layer (encoder and decoder); more groups is the
 * group-hierarchical variant: group g feeds only the decoder's layers at its
 * g-th lowest attention resolution, and the encoder has no cross-attention. */
#ifndef DISCO_ADM_UNET_H
#define DISCO_ADM_UNET_H

#include <stdbool.h>

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ADM_UNET_MAX_LEVELS 5

typedef struct {
    int resolution; /* square images, divisible by 2^(levels - 1) */
    int in_channels, out_channels;
    int label_dim; /* 0: unconditional */
    int model_channels;
    int levels; /* entries of channel_mult in use */
    int channel_mult[ADM_UNET_MAX_LEVELS];
    int channel_mult_emb; /* embedding width = model_channels * channel_mult_emb */
    int num_blocks;       /* residual blocks per encoder level (decoder: num_blocks + 1) */
    int attn_resolution_count;
    int attn_resolutions[ADM_UNET_MAX_LEVELS];
    int channels_per_head; /* EDM: 64; heads = channels / channels_per_head */
    float dropout;
    int latent_dim;    /* width of the latent tokens; 0: the baseline, no cross-attention */
    int latent_groups; /* 1, or the number of decoder resolutions with attention */
    /* The cross-attention output projections start at zero (false: EDM's
       fine-tuning, the network starts as the baseline) or at EDM's uniform
       init (true: training from scratch, docs/architecture.md). */
    bool cross_attention_random_proj;
} AdmUnetConfig;

/* SPEC §3.3: 64x64x3, 1000 classes, 192 x 1-2-3-4, 3 blocks, attention at
   32/16/8, dropout 0.1: 295,899,267 parameters without latents. */
AdmUnetConfig adm_unet_imagenet64(void);
/* 128x128x3, 1000 classes, 128 x 1-2-4-16, 3 blocks, attention at 64/32/16:
   DisCo-Diff's channels and attention resolutions on the ADM U-Net, where the
   paper used a U-ViT. */
AdmUnetConfig adm_unet_imagenet128(void);
/* 32x32, 10 classes, 16 x 1-2-2, 1 block, attention at 16/8 (one head of
   32), no dropout: a training step at batch 64 takes well under a second on
   2 CPU cores; in_channels = out_channels = channels (1 or 3). */
AdmUnetConfig adm_unet_fmnist(int channels);
/* 8x8x3, 3 classes, 8 x 1-2, 1 block, attention at 4 with 8 channels per
   head: for whole-graph gradient checks. */
AdmUnetConfig adm_unet_tiny(void);

typedef struct {
    int x;            /* f32 [B, H, W, in_channels]: the c_in-scaled noisy image */
    int c_noise;      /* f32 [B] */
    int class_labels; /* f32 [B, label_dim]: one-hot, zeros for none; -1 when label_dim is 0 */
    /* f32 [B, m_g, latent_dim] for each group g < latent_groups; unread when latent_dim is 0 */
    int latent_tokens[ADM_UNET_MAX_LEVELS];
} AdmUnetInputs;

typedef struct {
    int output; /* f32 [B, H, W, out_channels]: F_theta */
    int self_attention_layers;
    int cross_attention_layers;
} AdmUnet;

/* Checks the configuration and the inputs' shapes, then adds the network. */
AdmUnet adm_unet_build(Graph *g, const AdmUnetConfig *config, const AdmUnetInputs *inputs);

#ifdef __cplusplus
}
#endif

#endif
