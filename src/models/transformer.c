/* The shared transformer pieces; see transformer.h. */
#include "transformer.h"

#include <stdio.h>

#include "disco/error.h"

void transformer_check_shape(const TransformerShape *s, int depth, const char *model) {
    DISCO_CHECK(depth >= 0 && s->heads > 0 && s->width > 0 && s->width % s->heads == 0 && s->mlp_ratio > 0,
                "%s: width %d must split into %d heads; depth %d and mlp_ratio %d must not be negative", model,
                s->width, s->heads, depth, s->mlp_ratio);
    DISCO_CHECK(s->dropout >= 0 && s->dropout < 1, "%s: dropout %g is outside [0, 1)", model, s->dropout);
}

int transformer_linear(Graph *g, const char *scope, int x, int out, float weight_scale) {
    graph_push_scope(g, scope);
    Tensor t = graph_tensor(g, x);
    int in = t.shape[t.ndim - 1];
    Init init = weight_scale == 0 ? (Init){INIT_ZERO, 0, 0} : (Init){INIT_UNIFORM_FAN_IN, weight_scale, in};
    int w = graph_param(g, "weight", 2, (int[]){out, in}, init);
    int b = graph_param(g, "bias", 1, (int[]){out}, (Init){INIT_ZERO, 0, 0});
    graph_pop_scope(g);
    return graph_linear(g, x, w, b);
}

int transformer_layer_norm(Graph *g, const char *scope, int x) {
    Tensor t = graph_tensor(g, x);
    int width = t.shape[t.ndim - 1];
    graph_push_scope(g, scope);
    int gamma = graph_param(g, "weight", 1, (int[]){width}, (Init){INIT_CONSTANT, 1.0f, 0});
    int beta = graph_param(g, "bias", 1, (int[]){width}, (Init){INIT_ZERO, 0, 0});
    graph_pop_scope(g);
    return graph_layer_norm(g, x, gamma, beta, 1e-5f);
}

static int dropout(Graph *g, int x, float p) { return p > 0 ? graph_dropout(g, x, p) : x; }

/* x + dropout(attn(LN(x))), then x + dropout(MLP(LN(x))). */
static int block(Graph *g, int x, const TransformerShape *s) {
    int h = transformer_layer_norm(g, "ln_1", x);
    graph_push_scope(g, "attn");
    h = transformer_linear(g, "qkv", h, 3 * s->width, 1.0f);
    h = transformer_linear(g, "proj", graph_self_attention(g, h, s->heads, s->causal), s->width,
                           s->residual_init);
    graph_pop_scope(g);
    x = graph_add(g, x, dropout(g, h, s->dropout), 1.0f);

    h = transformer_layer_norm(g, "ln_2", x);
    graph_push_scope(g, "mlp");
    h = graph_gelu(g, transformer_linear(g, "fc1", h, s->mlp_ratio * s->width, 1.0f));
    h = transformer_linear(g, "fc2", h, s->width, s->residual_init);
    graph_pop_scope(g);
    return graph_add(g, x, dropout(g, h, s->dropout), 1.0f);
}

int transformer_blocks(Graph *g, int x, const TransformerShape *s, int depth) {
    graph_push_scope(g, "blocks");
    for (int d = 0; d < depth; d++) {
        char index[16];
        snprintf(index, sizeof index, "%d", d);
        graph_push_scope(g, index);
        x = block(g, x, s);
        graph_pop_scope(g);
    }
    graph_pop_scope(g);
    return x;
}
