/* The latent transformer of DisCo-Diff's image models (§3.3, App. D.1): it
 * maps the encoder's relaxed one-hot latents [B, m, k] to one token per
 * latent [B, m, width], the keys and values of the U-Net's cross-attention.
 *
 *   one_hot [B, m, k] -> embed (a linear k -> width without bias: an
 *   embedding table applied to a soft one-hot) + pos_embed [m, width]
 *   -> latent dropout -> depth pre-LN bidirectional blocks -> ln_f
 *   -> tokens, split into `groups` tensors [B, m/groups, width]
 *
 * Latent dropout (classifier-free guidance on the latents): a dropped
 * sample's embedded sequence is replaced by a learned null sequence [m, width]
 * before the blocks, so its tokens are the transformer's image of the null
 * sequence whatever its one-hot says. The graph has no per-sample select, so
 * two inputs do it, filled from one keep mask [B] by latent_transformer_feed_keep:
 *   x = modulate(embedded, (keep - 1, 0)) + null_embed(drop),
 * the modulation zeroing a dropped sample's sequence and null_embed a linear
 * without bias from the flag drop = 1 - keep, whose one column
 * (null_embed.weight [m*width, 1]) is the null sequence. Both inputs left
 * at the zeros graph_compile puts there keep every sample.
 *
 * The group-hierarchical variant (m = 30 in 3 groups of 10, one group per
 * decoder level of the U-Net) attends within each group only: the blocks
 * see the batch as [B*groups, m/groups, width], sharing their weights, while
 * the position table keeps all m positions apart. So a level's tokens depend
 * on its own group's latents alone, as the paper's hierarchy needs (changing
 * z[20:30] changes only colour and texture). */
#ifndef DISCO_LATENT_TRANSFORMER_H
#define DISCO_LATENT_TRANSFORMER_H

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LATENT_MAX_GROUPS 3

typedef struct {
    int m, k;
    int groups; /* 1, or more for the group-hierarchical variant; m is a multiple */
    int width, depth, heads;
    int mlp_ratio; /* MLP hidden width = mlp_ratio * width */
} LatentTransformerConfig;

/* The paper's: 6 layers of width 192, 3 heads of 64 channels; m = 10, k = 100. */
LatentTransformerConfig latent_transformer_imagenet(void);
/* m = 30 in 3 groups of 10, for the 64x64 decoder's 8x8, 16x16 and 32x32 levels. */
LatentTransformerConfig latent_transformer_imagenet64_hierarchical(void);
/* Fashion-MNIST, matching vit_encoder_fmnist(): width 64, 2 layers. */
LatentTransformerConfig latent_transformer_fmnist(void);
/* A few parameters per tensor, for gradient checks. */
LatentTransformerConfig latent_transformer_tiny(void);

typedef struct {
    int groups;
    int keep;   /* input f32 [B, 2*width]: modulation (keep - 1, 0) per sample */
    int drop;   /* input f32 [B, 1]: 1 - keep */
    int tokens; /* f32 [B, m, width]: all latents' tokens */
    /* f32 [B, m/groups, width] each, -1 past `groups`; [0] is `tokens` when groups == 1 */
    int group_tokens[LATENT_MAX_GROUPS];
} LatentTransformer;

/* Adds the latent transformer under scope "latent_transformer" on one_hot
   [B, m, k] (the encoder's output, or an input when sampling). The caller
   sets a loss and compiles. */
LatentTransformer latent_transformer_build(Graph *g, const LatentTransformerConfig *c, int one_hot);

/* keep [B] on the host: 1 keeps a sample's latents, 0 replaces them by the
   null sequence. Uploads the two dropout inputs. */
void latent_transformer_feed_keep(Graph *g, const LatentTransformer *lt, const float *keep);

#ifdef __cplusplus
}
#endif

#endif
