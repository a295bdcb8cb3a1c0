/* The encoder E_phi of DisCo-Diff's image models (§3.3, App. D.1): a ViT
 * over the clean image with m learned class tokens, one per discrete
 * latent, whose outputs give k logits each, then the Gumbel-softmax.
 *
 *   patches [B, P, p*p*C] -> linear (patch_embed) + pos_embed [P, width]
 *   -> append cls_token [m, width] after the P patch tokens -> [B, P+m, width]
 *   -> depth pre-LN blocks (bidirectional) -> the m class tokens -> ln_f
 *   -> head, one linear width -> k shared by all class tokens -> logits [B, m, k]
 *   -> Gumbel-softmax (tau, hard) -> one_hot [B, m, k]
 *
 * The graph has no patchify op: the caller cuts images into patches on the
 * host with vit_patchify and feeds them.
 *
 * Class tokens come after the patches, so patch token j is row j as
 * vit_patchify writes it, and the class tokens are the tail of the sequence.
 * They carry no position embedding: each is a learned vector already, which
 * is all a position would add. The graph has no op that repeats a parameter
 * over the batch except a broadcasting add onto a tensor of the batch's
 * shape, so the class tokens are added onto `class_slots`, an input that
 * stays at the zeros graph_compile puts in every input: never feed it.
 *
 * The head is shared: the class tokens are distinct learned queries, so one
 * linear tells the latents apart as well as m would, in one GEMM.
 *
 * Weights from PyTorch: a Conv2d patch embedding [width, C, p, p] flattens
 * its input patch in (c, py, px) order; here it is (py, px, c), so a
 * converter permutes the weight to [width, p, p, C] (this project's conv
 * layout, the same transposition as every conv import) and flattens it to
 * [width, p*p*C]. */
#ifndef DISCO_VIT_ENCODER_H
#define DISCO_VIT_ENCODER_H

#include <stdbool.h>

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int image_size; /* square images */
    int channels;
    int patch; /* image_size is a multiple of it */
    int width, depth, heads;
    int mlp_ratio; /* MLP hidden width = mlp_ratio * width */
    int m, k;      /* latents and values per latent */
} VitEncoderConfig;

/* The paper's ViT-B geometry (12 layers, width 768, 12 heads), m = 10,
   k = 100: patch 8 at 64x64 and 16 at 128x128, 64 patches either way. */
VitEncoderConfig vit_encoder_imagenet64(void);
VitEncoderConfig vit_encoder_imagenet128(void);
/* The group-hierarchical variant: the 64x64 encoder with m = 30. */
VitEncoderConfig vit_encoder_imagenet64_hierarchical(void);
/* Fashion-MNIST padded to 32x32 (one channel): 16 patches of 8x8, width 96,
   depth 4, 3 heads: a fifth of the U-Net's step time on two CPU cores. */
VitEncoderConfig vit_encoder_fmnist(void);
/* A few parameters per tensor, for gradient checks. */
VitEncoderConfig vit_encoder_tiny(void);

/* Patches per image: (image_size / patch)^2. */
int vit_encoder_patch_count(const VitEncoderConfig *c);

typedef struct {
    int patches;     /* input f32 [B, P, patch*patch*channels], from vit_patchify */
    int class_slots; /* input f32 [B, m, width]: left at zero, see above */
    int logits;      /* f32 [B, m, k] */
    int one_hot;     /* f32 [B, m, k]: the Gumbel-softmax of the logits */
} VitEncoder;

/* Adds the encoder under scope "encoder" (encoder.patch_embed.weight,
   encoder.blocks.0.attn.qkv.weight, ..., encoder.head.bias); the caller
   sets a loss and compiles. hard: straight-through one-hot forward. */
VitEncoder vit_encoder_build(Graph *g, const VitEncoderConfig *c, int batch, float tau, bool hard);

/* Images NHWC [batch, height, width, channels] into patches
   [batch, (height/patch) * (width/patch), patch*patch*channels]. Patches
   are in row-major order: patch j has its top-left pixel at row
   (j / (width/patch)) * patch, column (j % (width/patch)) * patch. Each is
   flattened in (py, px, c) order: pixel (py, px) of the patch, channel c, is
   element py*patch*channels + px*channels + c. height and width are
   multiples of patch. */
void vit_patchify(const float *images_nhwc, int batch, int height, int width, int channels, int patch,
                  float *patches);

#ifdef __cplusplus
}
#endif

#endif
