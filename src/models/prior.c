/* The autoregressive prior (see include/disco/prior.h): a pre-LN GPT-style
 * decoder over [c, z_0, ..., z_{m-2}] predicting z_0, ..., z_{m-1}, built
 * from the blocks shared with the encoder (transformer.h, which gives the
 * blocks' initialisation).
 *
 * Token and position embeddings start at N(0, 0.02^2), as GPT-2; the head
 * at zero, so the untrained prior is uniform and the first loss is exactly
 * log k: a known starting point, no random initial bias. */
#include "disco/prior.h"

#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "transformer.h"

/* Dropout 0.1 (GPT-2's) on every residual branch: the paper gives none. */
PriorConfig prior_imagenet(void) {
    return (PriorConfig){.m = 10, .k = 100, .classes = 1000, .width = 512, .depth = 12, .heads = 8,
                         .mlp_ratio = 4, .dropout = 0.1f};
}

PriorConfig prior_imagenet64_hierarchical(void) {
    PriorConfig c = prior_imagenet();
    c.m = 30;
    return c;
}

PriorConfig prior_fmnist(void) {
    return (PriorConfig){.m = 10, .k = 32, .classes = 10, .width = 128, .depth = 4, .heads = 4, .mlp_ratio = 4,
                         .dropout = 0.1f};
}

PriorConfig prior_tiny(void) {
    return (PriorConfig){.m = 4, .k = 5, .classes = 3, .width = 16, .depth = 2, .heads = 2, .mlp_ratio = 2,
                         .dropout = 0.1f};
}

PriorConfig prior_preset(const char *name) {
    if (strcmp(name, "fmnist") == 0) return prior_fmnist();
    if (strcmp(name, "tiny") == 0) return prior_tiny();
    if (strcmp(name, "imagenet64") == 0 || strcmp(name, "imagenet128") == 0) return prior_imagenet();
    if (strcmp(name, "imagenet64-hierarchical") == 0) return prior_imagenet64_hierarchical();
    DISCO_FATAL("unknown model preset '%s' (tiny, fmnist, imagenet64, imagenet64-hierarchical, imagenet128)", name);
}

/* Class tokens follow the k latent values; an unconditional prior has one
   start token there instead. */
static int class_tokens(const PriorConfig *c) { return c->classes > 0 ? c->classes : 1; }

Prior prior_build(Backend *be, const PriorConfig *config, int batch, uint64_t seed) {
    const PriorConfig *c = config;
    DISCO_CHECK(batch > 0 && c->m > 0 && c->k > 1 && c->classes >= 0,
                "prior: batch %d, m %d, k %d and classes %d must be positive (k > 1, classes may be 0)", batch,
                c->m, c->k, c->classes);
    const TransformerShape shape = {.width = c->width, .heads = c->heads, .mlp_ratio = c->mlp_ratio,
                                    .dropout = c->dropout, .causal = true};
    transformer_check_shape(&shape, c->depth, "prior");
    Prior p = {.g = graph_create(be, seed), .config = *c, .batch = batch};
    Graph *g = p.g;
    p.tokens = graph_input(g, "tokens", DTYPE_I32, 2, (int[]){batch, c->m}, false);
    p.targets = graph_input(g, "targets", DTYPE_I32, 2, (int[]){batch, c->m}, false);

    graph_push_scope(g, "tok_embed");
    int table = graph_param(g, "weight", 2, (int[]){c->k + class_tokens(c), c->width}, TRANSFORMER_EMBED_INIT);
    graph_pop_scope(g);
    /* [m, width] repeats over the batch in the broadcasting add. */
    int positions = graph_param(g, "pos_embed", 2, (int[]){c->m, c->width}, TRANSFORMER_EMBED_INIT);
    int x = graph_add(g, graph_embedding(g, p.tokens, table), positions, 1.0f);
    x = transformer_blocks(g, x, &shape, c->depth);

    p.logits = transformer_linear(g, "head", transformer_layer_norm(g, "ln_f", x), c->k, 0.0f);
    p.loss = graph_softmax_xent(g, p.logits, p.targets);
    graph_set_loss(g, p.loss);
    return p;
}

Prior prior_create(Backend *be, const PriorConfig *config, int batch, uint64_t seed) {
    Prior p = prior_build(be, config, batch, seed);
    graph_compile(p.g);
    p.staging = disco_malloc(2 * (size_t)batch * (size_t)config->m * sizeof(int32_t), "prior tokens");
    return p;
}

void prior_destroy(Prior *p) {
    graph_destroy(p->g);
    free(p->staging);
    *p = (Prior){0};
}

void prior_feed(Prior *p, const int32_t *latents, const int32_t *labels, int count) {
    const PriorConfig *c = &p->config;
    const int m = c->m;
    DISCO_CHECK(count >= 1 && count <= p->batch, "prior: %d rows fed to a batch of %d", count, p->batch);
    DISCO_CHECK(labels || c->classes == 0, "prior: a class-conditional prior needs labels");
    int32_t *tokens = p->staging, *targets = p->staging + (size_t)p->batch * (size_t)m;
    for (int r = 0; r < p->batch; r++) {
        int src = r < count ? r : 0;
        const int32_t *z = latents + (size_t)src * (size_t)m;
        int label = c->classes > 0 ? labels[src] : 0;
        DISCO_CHECK(label >= 0 && label < class_tokens(c), "prior: row %d has class %d, outside [0, %d)", src, label,
                    class_tokens(c));
        tokens[(size_t)r * m] = c->k + label;
        for (int i = 0; i < m; i++) {
            DISCO_CHECK(z[i] >= 0 && z[i] < c->k, "prior: latent %d of row %d is %d, outside [0, %d)", i, src, z[i],
                        c->k);
            targets[(size_t)r * m + i] = z[i];
            if (i + 1 < m) tokens[(size_t)r * m + i + 1] = z[i];
        }
    }
    Backend *be = graph_backend(p->g);
    size_t bytes = (size_t)p->batch * (size_t)m * sizeof(int32_t);
    be->ops->upload(be, graph_data(p->g, p->tokens), tokens, bytes);
    be->ops->upload(be, graph_data(p->g, p->targets), targets, bytes);
}
