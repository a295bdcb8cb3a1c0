/* The ViT encoder (see include/disco/vit_encoder.h). Blocks come from
 * transformer.h; the patch embedding and the head are linears with PyTorch's
 * default scale, position table and class tokens start at N(0, 0.02^2). */
#include "disco/vit_encoder.h"

#include <math.h>
#include <string.h>

#include "disco/error.h"
#include "transformer.h"

VitEncoderConfig vit_encoder_imagenet64(void) {
    return (VitEncoderConfig){.image_size = 64, .channels = 3, .patch = 8, .width = 768, .depth = 12, .heads = 12,
                              .mlp_ratio = 4, .m = 10, .k = 100};
}

VitEncoderConfig vit_encoder_imagenet128(void) {
    VitEncoderConfig c = vit_encoder_imagenet64();
    c.image_size = 128;
    c.patch = 16;
    return c;
}

VitEncoderConfig vit_encoder_imagenet64_hierarchical(void) {
    VitEncoderConfig c = vit_encoder_imagenet64();
    c.m = 30;
    return c;
}

VitEncoderConfig vit_encoder_fmnist(void) {
    return (VitEncoderConfig){.image_size = 32, .channels = 1, .patch = 8, .width = 96, .depth = 4, .heads = 3,
                              .mlp_ratio = 4, .m = 10, .k = 32};
}

VitEncoderConfig vit_encoder_tiny(void) {
    return (VitEncoderConfig){.image_size = 8, .channels = 2, .patch = 4, .width = 16, .depth = 2, .heads = 2,
                              .mlp_ratio = 2, .m = 4, .k = 5};
}

int vit_encoder_patch_count(const VitEncoderConfig *c) {
    int side = c->image_size / c->patch;
    return side * side;
}

VitEncoder vit_encoder_build(Graph *g, const VitEncoderConfig *c, int batch, float tau, bool hard) {
    DISCO_CHECK(batch > 0 && c->channels > 0 && c->patch > 0 && c->image_size % c->patch == 0,
                "vit encoder: batch %d, %d channels, image size %d must be a multiple of patch %d", batch,
                c->channels, c->image_size, c->patch);
    DISCO_CHECK(c->m > 0 && c->k > 1, "vit encoder: m %d must be positive and k %d above 1", c->m, c->k);
    /* The class tokens are learned queries: only attention carries the
       image to them, so the blocks start as GPT-2's (residual branches
       scaled by 1/sqrt(2 depth)), not as the identity, and the head as a
       plain linear, so that from the first step the latents depend on the
       image and the denoiser's gradient reaches the encoder. Started at
       zero, the encoder's output ignores the image and each zero layer
       blocks the other's gradient: on Fashion-MNIST the latents then still
       carried nothing after 500 steps. */
    const TransformerShape shape = {.width = c->width, .heads = c->heads, .mlp_ratio = c->mlp_ratio,
                                    .residual_init = 1.0f / sqrtf(2.0f * (float)(c->depth > 0 ? c->depth : 1))};
    transformer_check_shape(&shape, c->depth, "vit encoder");
    const int patches = vit_encoder_patch_count(c), w = c->width;
    VitEncoder e;
    e.patches = graph_input(g, "patches", DTYPE_F32, 3, (int[]){batch, patches, c->patch * c->patch * c->channels},
                            false);
    e.class_slots = graph_input(g, "class_slots", DTYPE_F32, 3, (int[]){batch, c->m, w}, false);

    graph_push_scope(g, "encoder");
    int x = transformer_linear(g, "patch_embed", e.patches, w, 1.0f);
    int positions = graph_param(g, "pos_embed", 2, (int[]){patches, w}, TRANSFORMER_EMBED_INIT);
    x = graph_add(g, x, positions, 1.0f);
    int class_tokens = graph_param(g, "cls_token", 2, (int[]){c->m, w}, TRANSFORMER_EMBED_INIT);
    int cls = graph_add(g, e.class_slots, class_tokens, 1.0f);
    /* Concatenation is along the last dimension only: as [B, tokens * width]
       rows, appending the class tokens' columns appends them to the sequence. */
    x = graph_concat(g, graph_reshape(g, x, 2, (int[]){batch, patches * w}),
                     graph_reshape(g, cls, 2, (int[]){batch, c->m * w}));
    x = graph_reshape(g, x, 3, (int[]){batch, patches + c->m, w});
    x = transformer_blocks(g, x, &shape, c->depth);

    /* Only the class tokens go on; ln_f acts per token, so it may follow the split. */
    cls = graph_split(g, graph_reshape(g, x, 2, (int[]){batch, (patches + c->m) * w}), patches * w, c->m * w);
    cls = transformer_layer_norm(g, "ln_f", graph_reshape(g, cls, 3, (int[]){batch, c->m, w}));
    e.logits = transformer_linear(g, "head", cls, c->k, 1.0f);
    graph_pop_scope(g);
    e.one_hot = graph_gumbel_softmax(g, e.logits, tau, hard);
    return e;
}

void vit_patchify(const float *images_nhwc, int batch, int height, int width, int channels, int patch,
                  float *patches) {
    DISCO_CHECK(patch > 0 && height % patch == 0 && width % patch == 0,
                "vit_patchify: %dx%d images do not split into %dx%d patches", height, width, patch, patch);
    const int across = width / patch, down = height / patch;
    /* Each patch row is a contiguous run of patch*channels floats in NHWC. */
    const size_t run = (size_t)patch * (size_t)channels;
    float *out = patches;
    for (int b = 0; b < batch; b++) {
        const float *image = images_nhwc + (size_t)b * height * width * channels;
        for (int pj = 0; pj < down * across; pj++) {
            int top = pj / across * patch, left = pj % across * patch;
            for (int py = 0; py < patch; py++, out += run)
                memcpy(out, image + ((size_t)(top + py) * width + left) * channels, run * sizeof(float));
        }
    }
}
