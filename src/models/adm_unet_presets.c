/* Named ADM U-Net configurations; every one starts as the baseline
   (latent_dim 0) with one latent group, for the caller to change. */
#include "disco/adm_unet.h"

AdmUnetConfig adm_unet_imagenet64(void) {
    return (AdmUnetConfig){.resolution = 64, .in_channels = 3, .out_channels = 3, .label_dim = 1000,
                           .model_channels = 192, .levels = 4, .channel_mult = {1, 2, 3, 4}, .channel_mult_emb = 4,
                           .num_blocks = 3, .attn_resolution_count = 3, .attn_resolutions = {32, 16, 8},
                           .channels_per_head = 64, .dropout = 0.10f, .latent_groups = 1};
}

/* EDM's ImageNet-64 settings except for the resolution, the channels and the
   attention resolutions, which DisCo-Diff's Table 5 gives for 128x128. */
AdmUnetConfig adm_unet_imagenet128(void) {
    return (AdmUnetConfig){.resolution = 128, .in_channels = 3, .out_channels = 3, .label_dim = 1000,
                           .model_channels = 128, .levels = 4, .channel_mult = {1, 2, 4, 16}, .channel_mult_emb = 4,
                           .num_blocks = 3, .attn_resolution_count = 3, .attn_resolutions = {64, 32, 16},
                           .channels_per_head = 64, .dropout = 0.10f, .latent_groups = 1};
}

/* Sized for a 2-core CPU: a step at batch 64 is about 0.7 s there, most of
   it in the elementwise ops (GroupNorm, SiLU) rather than the convs, so
   width buys less time than expected; 32 x 1-2-2 with 2 blocks and dropout
   takes about 2.8 s. Dropout is off: a denoiser this small is unlikely to
   overfit 60,000 images, and each dropout regenerates its mask in both
   passes (about a sixth of a step). One head of 32 channels where attention
   runs. Trained from scratch, so the cross-attention projections start
   random rather than at zero. */
AdmUnetConfig adm_unet_fmnist(int channels) {
    return (AdmUnetConfig){.resolution = 32, .in_channels = channels, .out_channels = channels, .label_dim = 10,
                           .model_channels = 16, .levels = 3, .channel_mult = {1, 2, 2}, .channel_mult_emb = 4,
                           .num_blocks = 1, .attn_resolution_count = 2, .attn_resolutions = {16, 8},
                           .channels_per_head = 32, .dropout = 0.0f, .latent_groups = 1,
                           .cross_attention_random_proj = true};
}

/* Every kind of block at the smallest sizes: two heads of 8 channels at 4x4,
   dropout on, GroupNorm with 2 to 8 groups. */
AdmUnetConfig adm_unet_tiny(void) {
    return (AdmUnetConfig){.resolution = 8, .in_channels = 3, .out_channels = 3, .label_dim = 3, .model_channels = 8,
                           .levels = 2, .channel_mult = {1, 2}, .channel_mult_emb = 2, .num_blocks = 1,
                           .attn_resolution_count = 1, .attn_resolutions = {4}, .channels_per_head = 8,
                           .dropout = 0.10f, .latent_groups = 1};
}
