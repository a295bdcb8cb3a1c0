/* The ADM U-Net's layers and its residual block: EDM's UNetBlock with
   adaptive scale/shift, self-attention, and DisCo-Diff's cross-attention. */
#include <math.h>

#include "adm_unet_internal.h"

int adm_channels(const Graph *g, int x) {
    Tensor t = graph_tensor(g, x);
    return t.shape[t.ndim - 1];
}

static Init edm_init(AdmInit init, int fan_in) {
    if (init == ADM_INIT_ZERO) return (Init){INIT_ZERO, 0, 0};
    /* INIT_UNIFORM_FAN_IN's bound is scale * sqrt(3 / fan_in). */
    return (Init){INIT_UNIFORM_FAN_IN, sqrtf(1.0f / 3.0f), fan_in};
}

int adm_linear(Graph *g, const char *scope, int x, int out, AdmBias bias, AdmInit init) {
    int in = adm_channels(g, x);
    graph_push_scope(g, scope);
    int w = graph_param(g, "weight", 2, (int[]){out, in}, edm_init(init, in));
    /* EDM draws biases from the weights' distribution, fan-in included. */
    int b = bias == ADM_WITH_BIAS ? graph_param(g, "bias", 1, (int[]){out}, edm_init(init, in)) : -1;
    graph_pop_scope(g);
    return graph_linear(g, x, w, b);
}

int adm_conv(Graph *g, const char *scope, int x, int out, int kernel, AdmInit init) {
    int in = adm_channels(g, x), fan_in = kernel * kernel * in;
    graph_push_scope(g, scope);
    int w = graph_param(g, "weight", 4, (int[]){out, kernel, kernel, in}, edm_init(init, fan_in));
    int b = graph_param(g, "bias", 1, (int[]){out}, edm_init(init, fan_in));
    graph_pop_scope(g);
    return graph_conv2d(g, x, w, b);
}

int adm_group_norm(Graph *g, const char *scope, int x) {
    int channels = adm_channels(g, x);
    int groups = channels / 4 < 32 ? channels / 4 : 32;
    graph_push_scope(g, scope);
    int gamma = graph_param(g, "weight", 1, (int[]){channels}, (Init){INIT_CONSTANT, 1.0f, 0});
    int beta = graph_param(g, "bias", 1, (int[]){channels}, (Init){INIT_ZERO, 0, 0});
    graph_pop_scope(g);
    return graph_group_norm(g, x, gamma, beta, groups, 1e-5f);
}

/* EDM resamples inside conv0 and on the skip path with the [1, 1] filter:
   a 2x2 box average down, nearest-neighbour up. */
static int resample(Graph *g, int x, AdmResample how) {
    switch (how) {
    case ADM_RESAMPLE_DOWN: return graph_downsample2x(g, x);
    case ADM_RESAMPLE_UP: return graph_upsample2x(g, x);
    case ADM_RESAMPLE_NONE: break;
    }
    return x;
}

/* x + proj(attention(qkv(GN(x)))), the fused qkv rows [q | k | v]. */
static int self_attention(Graph *g, int x, int heads) {
    int channels = adm_channels(g, x);
    int qkv = adm_conv(g, "qkv", adm_group_norm(g, "norm2", x), 3 * channels, 1, ADM_INIT_UNIFORM);
    int attended = graph_self_attention(g, qkv, heads, false);
    return graph_add(g, adm_conv(g, "proj", attended, channels, 1, ADM_INIT_ZERO), x, 1.0f);
}

/* x + proj(attention(q(GN(x)), k(tokens), v(tokens))), mirroring the
   self-attention beside it. k and v have no bias: a key bias adds the same
   logit to every key of a query, which the softmax removes, and a value
   bias passes through the softmax's weights (they sum to 1) as a constant
   that proj's own bias already provides. A zero proj makes the layer start
   as the identity, so a baseline's weights load into the network unchanged;
   from scratch it stalls: the zero proj passes the encoder no gradient and
   the untrained latents give proj none worth having (docs/architecture.md). */
static int cross_attention(Graph *g, int x, int tokens, int heads, bool random_proj) {
    int channels = adm_channels(g, x);
    graph_push_scope(g, "cross_attn");
    int q = adm_conv(g, "q", adm_group_norm(g, "norm", x), channels, 1, ADM_INIT_UNIFORM);
    int k = adm_linear(g, "k", tokens, channels, ADM_WITHOUT_BIAS, ADM_INIT_UNIFORM);
    int v = adm_linear(g, "v", tokens, channels, ADM_WITHOUT_BIAS, ADM_INIT_UNIFORM);
    int attended = graph_attention(g, q, k, v, heads, false);
    int proj = adm_conv(g, "proj", attended, channels, 1, random_proj ? ADM_INIT_UNIFORM : ADM_INIT_ZERO);
    int y = graph_add(g, proj, x, 1.0f);
    graph_pop_scope(g);
    return y;
}

int adm_unet_block(Graph *g, const AdmUnetConfig *c, int x, int emb, const AdmBlockSpec *spec) {
    const int out = spec->out_channels;
    int h = graph_silu(g, adm_group_norm(g, "norm0", x));
    h = adm_conv(g, "conv0", resample(g, h, spec->resample), out, 3, ADM_INIT_UNIFORM);
    /* [scale | shift] per sample; graph_modulate computes GN1(h) * (scale + 1) + shift. */
    int scale_shift = adm_linear(g, "affine", emb, 2 * out, ADM_WITH_BIAS, ADM_INIT_UNIFORM);
    h = graph_silu(g, graph_modulate(g, adm_group_norm(g, "norm1", h), scale_shift));
    if (c->dropout > 0) h = graph_dropout(g, h, c->dropout);
    h = adm_conv(g, "conv1", h, out, 3, ADM_INIT_ZERO);

    /* A pure resample when only the size changes (EDM's resample_proj is off
       for ADM); a 1x1 conv, after the resample, when the channels change. */
    int skip = resample(g, x, spec->resample);
    if (adm_channels(g, x) != out) skip = adm_conv(g, "skip", skip, out, 1, ADM_INIT_UNIFORM);
    x = graph_add(g, h, skip, 1.0f);

    if (!spec->attention) return x;
    int heads = out / c->channels_per_head;
    x = self_attention(g, x, heads);
    if (spec->latent_tokens < 0) return x;
    return cross_attention(g, x, spec->latent_tokens, heads, c->cross_attention_random_proj);
}
