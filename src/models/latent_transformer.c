/* The latent transformer (see include/disco/latent_transformer.h). Blocks
 * and their initialisation come from transformer.h; the embedding table, the
 * position table and the null sequence start at N(0, 0.02^2), as the prior's
 * embeddings: tables read by one-hot rows, not fan-in-scaled linears. */
#include "disco/latent_transformer.h"

#include <stdlib.h>

#include "disco/error.h"
#include "transformer.h"

LatentTransformerConfig latent_transformer_imagenet(void) {
    return (LatentTransformerConfig){.m = 10, .k = 100, .groups = 1, .width = 192, .depth = 6, .heads = 3,
                                     .mlp_ratio = 4};
}

LatentTransformerConfig latent_transformer_imagenet64_hierarchical(void) {
    LatentTransformerConfig c = latent_transformer_imagenet();
    c.m = 30;
    c.groups = 3;
    return c;
}

LatentTransformerConfig latent_transformer_fmnist(void) {
    return (LatentTransformerConfig){.m = 10, .k = 32, .groups = 1, .width = 64, .depth = 2, .heads = 2,
                                     .mlp_ratio = 4};
}

LatentTransformerConfig latent_transformer_tiny(void) {
    return (LatentTransformerConfig){.m = 4, .k = 5, .groups = 1, .width = 16, .depth = 2, .heads = 2,
                                     .mlp_ratio = 2};
}

LatentTransformer latent_transformer_build(Graph *g, const LatentTransformerConfig *c, int one_hot) {
    Tensor in = graph_tensor(g, one_hot);
    DISCO_CHECK(in.ndim == 3 && in.shape[1] == c->m && in.shape[2] == c->k,
                "latent transformer: one-hot '%s' must be [B, %d, %d]", graph_name(g, one_hot), c->m, c->k);
    DISCO_CHECK(c->groups >= 1 && c->groups <= LATENT_MAX_GROUPS && c->m % c->groups == 0,
                "latent transformer: %d latents do not split into %d groups (at most %d)", c->m, c->groups,
                LATENT_MAX_GROUPS);
    const TransformerShape shape = {.width = c->width, .heads = c->heads, .mlp_ratio = c->mlp_ratio};
    transformer_check_shape(&shape, c->depth, "latent transformer");
    const int batch = in.shape[0], w = c->width, per_group = c->m / c->groups;
    LatentTransformer lt = {.groups = c->groups};
    for (int i = 0; i < LATENT_MAX_GROUPS; i++) lt.group_tokens[i] = -1;
    lt.keep = graph_input(g, "latent_keep", DTYPE_F32, 2, (int[]){batch, 2 * w}, false);
    lt.drop = graph_input(g, "latent_drop", DTYPE_F32, 2, (int[]){batch, 1}, false);

    graph_push_scope(g, "latent_transformer");
    graph_push_scope(g, "embed");
    int table = graph_param(g, "weight", 2, (int[]){w, c->k}, TRANSFORMER_EMBED_INIT);
    graph_pop_scope(g);
    int x = graph_linear(g, one_hot, table, -1);
    x = graph_add(g, x, graph_param(g, "pos_embed", 2, (int[]){c->m, w}, TRANSFORMER_EMBED_INIT), 1.0f);
    graph_push_scope(g, "null_embed");
    int null = graph_param(g, "weight", 2, (int[]){c->m * w, 1}, TRANSFORMER_EMBED_INIT);
    graph_pop_scope(g);
    int null_if_dropped = graph_reshape(g, graph_linear(g, lt.drop, null, -1), 3, (int[]){batch, c->m, w});
    x = graph_add(g, graph_modulate(g, x, lt.keep), null_if_dropped, 1.0f);

    /* Attention sees batch * groups sequences, so groups never mix. */
    x = graph_reshape(g, x, 3, (int[]){batch * c->groups, per_group, w});
    x = transformer_layer_norm(g, "ln_f", transformer_blocks(g, x, &shape, c->depth));
    graph_pop_scope(g);
    lt.tokens = graph_reshape(g, x, 3, (int[]){batch, c->m, w});
    if (c->groups == 1) {
        lt.group_tokens[0] = lt.tokens;
        return lt;
    }
    int rows = graph_reshape(g, x, 2, (int[]){batch, c->m * w});
    for (int i = 0; i < c->groups; i++) {
        int group = graph_split(g, rows, i * per_group * w, per_group * w);
        lt.group_tokens[i] = graph_reshape(g, group, 3, (int[]){batch, per_group, w});
    }
    return lt;
}

void latent_transformer_feed_keep(Graph *g, const LatentTransformer *lt, const float *keep) {
    const int batch = graph_tensor(g, lt->drop).shape[0], w = graph_tensor(g, lt->keep).shape[1] / 2;
    float *modulation = disco_malloc((size_t)batch * (2 * (size_t)w + 1) * sizeof(float), "latent keep mask");
    float *drop = modulation + (size_t)batch * 2 * w;
    for (int b = 0; b < batch; b++) {
        DISCO_CHECK(keep[b] == 0 || keep[b] == 1, "latent transformer: keep[%d] is %g, not 0 or 1", b, keep[b]);
        float *row = modulation + (size_t)b * 2 * w;
        for (int j = 0; j < w; j++) row[j] = keep[b] - 1, row[w + j] = 0;
        drop[b] = 1 - keep[b];
    }
    Backend *be = graph_backend(g);
    be->ops->upload(be, graph_data(g, lt->keep), modulation, (size_t)batch * 2 * w * sizeof(float));
    be->ops->upload(be, graph_data(g, lt->drop), drop, (size_t)batch * sizeof(float));
    free(modulation);
}
