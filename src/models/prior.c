/* The autoregressive prior (see include/disco/prior.h): a pre-LN GPT-style
 * decoder over [c, z_0, ..., z_{m-2}] predicting z_0, ..., z_{m-1}.
 *
 * Initialisation, and why:
 *  - linear weights U(-b, b) with variance 1/fan_in (PyTorch's default
 *    scale), biases 0; layer norms gamma 1, beta 0;
 *  - token and position embeddings N(0, 0.02^2), as GPT-2: small next to
 *    the unit scale the first layer norm brings them to;
 *  - the last linear of each residual branch (attn.proj, mlp.fc2) at zero,
 *    so every block starts as the identity and depth does not change the
 *    initial signal (GPT-2's 1/sqrt(2 depth) scaling taken to its limit);
 *  - the head at zero, so the untrained prior is uniform and the first loss
 *    is exactly log k: a known starting point, no random initial bias. */
#include "disco/prior.h"

#include <stdio.h>
#include <stdlib.h>

#include "disco/error.h"

static int linear(Graph *g, const char *scope, int x, int out, bool zero_weight) {
    graph_push_scope(g, scope);
    Tensor t = graph_tensor(g, x);
    int in = t.shape[t.ndim - 1];
    Init init = zero_weight ? (Init){INIT_ZERO, 0, 0} : (Init){INIT_UNIFORM_FAN_IN, 1.0f, in};
    int w = graph_param(g, "weight", 2, (int[]){out, in}, init);
    int b = graph_param(g, "bias", 1, (int[]){out}, (Init){INIT_ZERO, 0, 0});
    graph_pop_scope(g);
    return graph_linear(g, x, w, b);
}

static int layer_norm(Graph *g, const char *scope, int x, int width) {
    graph_push_scope(g, scope);
    int gamma = graph_param(g, "weight", 1, (int[]){width}, (Init){INIT_CONSTANT, 1.0f, 0});
    int beta = graph_param(g, "bias", 1, (int[]){width}, (Init){INIT_ZERO, 0, 0});
    graph_pop_scope(g);
    return graph_layer_norm(g, x, gamma, beta, 1e-5f);
}

static int dropout(Graph *g, int x, float p) { return p > 0 ? graph_dropout(g, x, p) : x; }

/* x + dropout(attn(LN(x))), then x + dropout(MLP(LN(x))), on [B, m, width]. */
static int block(Graph *g, int x, const PriorConfig *c) {
    int h = layer_norm(g, "ln_1", x, c->width);
    graph_push_scope(g, "attn");
    h = linear(g, "qkv", h, 3 * c->width, false);
    h = linear(g, "proj", graph_self_attention(g, h, c->heads, true), c->width, true);
    graph_pop_scope(g);
    x = graph_add(g, x, dropout(g, h, c->dropout), 1.0f);

    h = layer_norm(g, "ln_2", x, c->width);
    graph_push_scope(g, "mlp");
    h = graph_gelu(g, linear(g, "fc1", h, c->mlp_ratio * c->width, false));
    h = linear(g, "fc2", h, c->width, true);
    graph_pop_scope(g);
    return graph_add(g, x, dropout(g, h, c->dropout), 1.0f);
}

/* Class tokens follow the k latent values; an unconditional prior has one
   start token there instead. */
static int class_tokens(const PriorConfig *c) { return c->classes > 0 ? c->classes : 1; }

Prior prior_create(Backend *be, const PriorConfig *config, int batch, uint64_t seed) {
    const PriorConfig *c = config;
    DISCO_CHECK(batch > 0 && c->m > 0 && c->k > 1 && c->classes >= 0,
                "prior: batch %d, m %d, k %d and classes %d must be positive (k > 1, classes may be 0)", batch,
                c->m, c->k, c->classes);
    DISCO_CHECK(c->depth >= 0 && c->heads > 0 && c->width > 0 && c->width % c->heads == 0 && c->mlp_ratio > 0,
                "prior: width %d must split into %d heads; depth %d and mlp_ratio %d must not be negative",
                c->width, c->heads, c->depth, c->mlp_ratio);
    DISCO_CHECK(c->dropout >= 0 && c->dropout < 1, "prior: dropout %g is outside [0, 1)", c->dropout);
    Prior p = {.g = graph_create(be, seed), .config = *c, .batch = batch};
    Graph *g = p.g;
    p.tokens = graph_input(g, "tokens", DTYPE_I32, 2, (int[]){batch, c->m}, false);
    p.targets = graph_input(g, "targets", DTYPE_I32, 2, (int[]){batch, c->m}, false);

    const Init embed = {INIT_NORMAL, 0.02f, 0};
    graph_push_scope(g, "tok_embed");
    int table = graph_param(g, "weight", 2, (int[]){c->k + class_tokens(c), c->width}, embed);
    graph_pop_scope(g);
    /* [m, width] repeats over the batch in the broadcasting add. */
    int positions = graph_param(g, "pos_embed", 2, (int[]){c->m, c->width}, embed);
    int x = graph_add(g, graph_embedding(g, p.tokens, table), positions, 1.0f);

    graph_push_scope(g, "blocks");
    for (int d = 0; d < c->depth; d++) {
        char index[16];
        snprintf(index, sizeof index, "%d", d);
        graph_push_scope(g, index);
        x = block(g, x, c);
        graph_pop_scope(g);
    }
    graph_pop_scope(g);

    p.logits = linear(g, "head", layer_norm(g, "ln_f", x, c->width), c->k, true);
    p.loss = graph_softmax_xent(g, p.logits, p.targets);
    graph_set_loss(g, p.loss);
    graph_compile(g);
    p.staging = disco_malloc(2 * (size_t)batch * (size_t)c->m * sizeof(int32_t), "prior tokens");
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
