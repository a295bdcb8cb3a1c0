/* Op builders: each checks its inputs' shapes, creates the output tensor
   (and any buffer the backward needs) and appends one node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "graph_internal.h"

static const char *node_names[] = {
    "linear", "conv2d", "downsample2x", "upsample2x", "group_norm", "layer_norm", "silu", "gelu",
    "dropout", "modulate", "add", "concat", "split", "attention", "embedding", "positional_embedding",
    "softmax_xent", "gumbel_softmax", "weighted_mse", "conv_general", "max_pool", "avg_pool", "resize_bilinear",
    "relu",
};

GraphNode *graph_new_node(Graph *g, NodeKind kind, int output, int a, int b, int c) {
    if (g->n_nodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? 2 * g->cap_nodes : 64;
        g->nodes = realloc(g->nodes, (size_t)g->cap_nodes * sizeof(GraphNode));
        DISCO_CHECK(g->nodes, "out of memory growing the graph's node list");
    }
    GraphNode *n = &g->nodes[g->n_nodes++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->output = output;
    n->saved = -1;
    n->inputs[0] = a, n->inputs[1] = b, n->inputs[2] = c;
    for (int i = 0; i < NODE_MAX_INPUTS; i++)
        if (n->inputs[i] >= 0 && g->tensors[n->inputs[i]].needs_grad) g->tensors[output].needs_grad = true;
    return n;
}

/* A new activation named after its op and position: "conv2d_12". */
static int new_activation(Graph *g, NodeKind kind, DType dtype, int ndim, const int *shape) {
    char name[64];
    snprintf(name, sizeof name, "%s_%d", node_names[kind], g->n_tensors);
    return graph_new_tensor(g, name, ROLE_ACTIVATION, dtype, ndim, shape);
}

static int new_saved(Graph *g, int output, size_t floats) {
    char name[96];
    snprintf(name, sizeof name, "%s.saved", g->tensors[output].name);
    int shape[1] = {(int)floats};
    return graph_new_tensor(g, name, ROLE_SAVED, DTYPE_F32, 1, shape);
}

static const GraphTensor *expect_f32(const Graph *g, int id, const char *op, const char *role) {
    const GraphTensor *t = graph_tensor_at(g, id);
    DISCO_CHECK(t->dtype == DTYPE_F32, "%s: %s '%s' must be float, not %s", op, role, t->name, dtype_name(t->dtype));
    return t;
}

static const GraphTensor *expect_feature_map(const Graph *g, int id, const char *op) {
    const GraphTensor *t = expect_f32(g, id, op, "input");
    DISCO_CHECK(t->ndim == 4, "%s: input '%s' must be a feature map [B, H, W, C], not rank %d", op, t->name, t->ndim);
    return t;
}

static void expect_numel(const Graph *g, int id, size_t numel, const char *op, const char *role) {
    size_t have = graph_numel(g, id);
    DISCO_CHECK(have == numel, "%s: %s '%s' has %zu elements, expected %zu", op, role, g->tensors[id].name, have,
                numel);
}

static int same_shape_as(Graph *g, NodeKind kind, int x) {
    const GraphTensor *t = graph_tensor_at(g, x);
    return new_activation(g, kind, DTYPE_F32, t->ndim, t->shape);
}

/* The shape of x with its last dimension replaced. */
static int with_last_dim(Graph *g, NodeKind kind, int x, int last) {
    const GraphTensor *t = graph_tensor_at(g, x);
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[t->ndim - 1] = last;
    return new_activation(g, kind, DTYPE_F32, t->ndim, shape);
}

int graph_linear(Graph *g, int x, int weight, int bias) {
    expect_f32(g, x, "linear", "input");
    const GraphTensor *w = expect_f32(g, weight, "linear", "weight");
    DISCO_CHECK(w->ndim == 2 && w->shape[1] == graph_last_dim(g, x),
                "linear: weight '%s' must be [out, %d]", w->name, graph_last_dim(g, x));
    int out_features = w->shape[0];
    if (bias >= 0) expect_numel(g, bias, (size_t)out_features, "linear", "bias");
    int y = with_last_dim(g, NODE_LINEAR, x, out_features);
    graph_new_node(g, NODE_LINEAR, y, x, weight, bias);
    return y;
}

int graph_conv2d(Graph *g, int x, int weight, int bias) {
    const GraphTensor *in = expect_feature_map(g, x, "conv2d");
    const GraphTensor *w = expect_f32(g, weight, "conv2d", "weight");
    DISCO_CHECK(w->ndim == 4 && w->shape[1] == w->shape[2] && (w->shape[1] == 1 || w->shape[1] == 3) &&
                    w->shape[3] == in->shape[3],
                "conv2d: weight '%s' must be [out, k, k, %d] with k 1 or 3", w->name, in->shape[3]);
    Conv2dShape s = {in->shape[0], in->shape[1], in->shape[2], in->shape[3], w->shape[0], w->shape[1]};
    if (bias >= 0) expect_numel(g, bias, (size_t)s.out_channels, "conv2d", "bias");
    int y = with_last_dim(g, NODE_CONV2D, x, s.out_channels);
    graph_new_node(g, NODE_CONV2D, y, x, weight, bias)->conv = s;
    return y;
}

static int resample(Graph *g, int x, NodeKind kind, bool down) {
    const GraphTensor *in = expect_feature_map(g, x, node_names[kind]);
    int shape[4] = {in->shape[0], in->shape[1], in->shape[2], in->shape[3]};
    if (down) {
        DISCO_CHECK(shape[1] % 2 == 0 && shape[2] % 2 == 0, "downsample2x: '%s' is %dx%d; both must be even",
                    in->name, shape[1], shape[2]);
        shape[1] /= 2, shape[2] /= 2;
    } else {
        shape[1] *= 2, shape[2] *= 2;
    }
    int y = new_activation(g, kind, DTYPE_F32, 4, shape);
    graph_new_node(g, kind, y, x, -1, -1);
    return y;
}

int graph_downsample2x(Graph *g, int x) { return resample(g, x, NODE_DOWNSAMPLE2X, true); }
int graph_upsample2x(Graph *g, int x) { return resample(g, x, NODE_UPSAMPLE2X, false); }

int graph_group_norm(Graph *g, int x, int gamma, int beta, int groups, float eps) {
    const GraphTensor *in = expect_f32(g, x, "group_norm", "input");
    int channels = graph_last_dim(g, x);
    DISCO_CHECK(in->ndim >= 2 && groups > 0 && channels % groups == 0,
                "group_norm: '%s' has %d channels, not divisible into %d groups", in->name, channels, groups);
    expect_numel(g, gamma, (size_t)channels, "group_norm", "gamma");
    expect_numel(g, beta, (size_t)channels, "group_norm", "beta");
    int y = same_shape_as(g, NODE_GROUP_NORM, x);
    GraphNode *n = graph_new_node(g, NODE_GROUP_NORM, y, x, gamma, beta);
    n->ints[0] = groups;
    n->floats[0] = eps;
    n->saved = new_saved(g, y, 2 * (size_t)g->tensors[x].shape[0] * (size_t)groups);
    return y;
}

int graph_layer_norm(Graph *g, int x, int gamma, int beta, float eps) {
    expect_f32(g, x, "layer_norm", "input");
    int channels = graph_last_dim(g, x);
    expect_numel(g, gamma, (size_t)channels, "layer_norm", "gamma");
    expect_numel(g, beta, (size_t)channels, "layer_norm", "beta");
    int y = same_shape_as(g, NODE_LAYER_NORM, x);
    GraphNode *n = graph_new_node(g, NODE_LAYER_NORM, y, x, gamma, beta);
    n->floats[0] = eps;
    n->saved = new_saved(g, y, 2 * graph_rows(g, x));
    return y;
}

static int unary(Graph *g, NodeKind kind, int x) {
    expect_f32(g, x, node_names[kind], "input");
    int y = same_shape_as(g, kind, x);
    graph_new_node(g, kind, y, x, -1, -1);
    return y;
}

int graph_silu(Graph *g, int x) { return unary(g, NODE_SILU, x); }
int graph_gelu(Graph *g, int x) { return unary(g, NODE_GELU, x); }

int graph_dropout(Graph *g, int x, float p) {
    DISCO_CHECK(p >= 0 && p < 1, "dropout: probability %g is outside [0, 1)", p);
    int y = unary(g, NODE_DROPOUT, x);
    GraphNode *n = &g->nodes[g->n_nodes - 1];
    n->floats[0] = p;
    n->site = g->n_random_sites++;
    return y;
}

int graph_modulate(Graph *g, int x, int scale_shift) {
    const GraphTensor *in = expect_f32(g, x, "modulate", "input");
    int channels = graph_last_dim(g, x);
    expect_numel(g, scale_shift, 2 * (size_t)in->shape[0] * (size_t)channels, "modulate", "scale_shift");
    int y = same_shape_as(g, NODE_MODULATE, x);
    graph_new_node(g, NODE_MODULATE, y, x, scale_shift, -1);
    return y;
}

int graph_add(Graph *g, int a, int b, float scale) {
    expect_f32(g, a, "add", "input");
    expect_f32(g, b, "add", "input");
    size_t na = graph_numel(g, a), nb = graph_numel(g, b);
    DISCO_CHECK(nb > 0 && na % nb == 0, "add: '%s' (%zu elements) cannot be broadcast onto '%s' (%zu)",
                g->tensors[b].name, nb, g->tensors[a].name, na);
    int y = same_shape_as(g, NODE_ADD, a);
    graph_new_node(g, NODE_ADD, y, a, b, -1)->floats[0] = scale;
    return y;
}

int graph_concat(Graph *g, int a, int b) {
    expect_f32(g, a, "concat", "input");
    expect_f32(g, b, "concat", "input");
    DISCO_CHECK(graph_rows(g, a) == graph_rows(g, b), "concat: '%s' and '%s' differ in rows", g->tensors[a].name,
                g->tensors[b].name);
    int y = with_last_dim(g, NODE_CONCAT, a, graph_last_dim(g, a) + graph_last_dim(g, b));
    graph_new_node(g, NODE_CONCAT, y, a, b, -1);
    return y;
}

int graph_split(Graph *g, int x, int offset, int count) {
    expect_f32(g, x, "split", "input");
    DISCO_CHECK(offset >= 0 && count > 0 && offset + count <= graph_last_dim(g, x),
                "split: columns [%d, %d) are outside '%s' (%d channels)", offset, offset + count,
                g->tensors[x].name, graph_last_dim(g, x));
    int y = with_last_dim(g, NODE_SPLIT, x, count);
    GraphNode *n = graph_new_node(g, NODE_SPLIT, y, x, -1, -1);
    n->ints[0] = offset, n->ints[1] = count;
    return y;
}

/* Any [B, ..., C] is a token sequence of rows/B tokens, so a feature map
   attends over its H*W positions without a reshape. */
static int attention_node(Graph *g, int q, int k, int v, int channels, int heads, bool causal, size_t q_col,
                          size_t k_col, size_t v_col) {
    const GraphTensor *tq = expect_f32(g, q, "attention", "query"), *tk = expect_f32(g, k, "attention", "key");
    DISCO_CHECK(tq->ndim >= 3 && tk->ndim >= 3 && tq->shape[0] == tk->shape[0] &&
                    graph_rows(g, k) == graph_rows(g, v),
                "attention: query '%s', key '%s' and value '%s' must be [B, ..., C] with one batch size and "
                "as many keys as values", tq->name, tk->name, g->tensors[v].name);
    DISCO_CHECK(heads > 0 && channels % heads == 0, "attention: %d channels do not split into %d heads", channels,
                heads);
    int batch = tq->shape[0];
    AttentionShape s = {.batch = batch, .q_len = (int)(graph_rows(g, q) / (size_t)batch), 
                        .kv_len = (int)(graph_rows(g, k) / (size_t)batch), .heads = heads,
                        .head_dim = channels / heads, .q_stride = graph_last_dim(g, q),
                        .k_stride = graph_last_dim(g, k), .v_stride = graph_last_dim(g, v), .causal = causal};
    DISCO_CHECK(!causal || s.q_len == s.kv_len, "attention: causal attention needs equal query and key lengths");
    int y = with_last_dim(g, NODE_ATTENTION, q, channels);
    GraphNode *n = graph_new_node(g, NODE_ATTENTION, y, q, k, v);
    n->attention = s;
    n->q_col = q_col, n->k_col = k_col, n->v_col = v_col;
    n->saved = new_saved(g, y, (size_t)batch * (size_t)heads * (size_t)s.q_len * (size_t)s.kv_len);
    return y;
}

int graph_attention(Graph *g, int q, int k, int v, int heads, bool causal) {
    int channels = graph_last_dim(g, q);
    DISCO_CHECK(graph_last_dim(g, k) == channels && graph_last_dim(g, v) == channels,
                "attention: query '%s', key '%s' and value '%s' must have the same channels",
                g->tensors[q].name, g->tensors[k].name, g->tensors[v].name);
    return attention_node(g, q, k, v, channels, heads, causal, 0, 0, 0);
}

int graph_self_attention(Graph *g, int qkv, int heads, bool causal) {
    const GraphTensor *t = graph_tensor_at(g, qkv);
    int fused = graph_last_dim(g, qkv);
    DISCO_CHECK(fused % 3 == 0, "self_attention: '%s' must be [B, ..., 3C]", t->name);
    int c = fused / 3;
    return attention_node(g, qkv, qkv, qkv, c, heads, causal, 0, (size_t)c, 2 * (size_t)c);
}

int graph_embedding(Graph *g, int indices, int table) {
    const GraphTensor *idx = graph_tensor_at(g, indices);
    const GraphTensor *t = expect_f32(g, table, "embedding", "table");
    DISCO_CHECK(idx->dtype == DTYPE_I32, "embedding: indices '%s' must be int32", idx->name);
    DISCO_CHECK(t->ndim == 2, "embedding: table '%s' must be [vocab, dim]", t->name);
    int shape[TENSOR_MAX_DIMS];
    DISCO_CHECK(idx->ndim < TENSOR_MAX_DIMS, "embedding: indices '%s' have too many dimensions", idx->name);
    memcpy(shape, idx->shape, sizeof shape);
    shape[idx->ndim] = t->shape[1];
    int y = new_activation(g, NODE_EMBEDDING, DTYPE_F32, idx->ndim + 1, shape);
    graph_new_node(g, NODE_EMBEDDING, y, indices, table, -1);
    return y;
}

int graph_positional_embedding(Graph *g, int x, int channels, float max_positions, bool endpoint) {
    const GraphTensor *in = expect_f32(g, x, "positional_embedding", "input");
    DISCO_CHECK(in->ndim == 1 && channels % 2 == 0 && channels >= 2 + 2 * endpoint,
                "positional_embedding: '%s' must be a vector and channels (%d) even", in->name, channels);
    int shape[2] = {in->shape[0], channels};
    int y = new_activation(g, NODE_POSITIONAL_EMBEDDING, DTYPE_F32, 2, shape);
    GraphNode *n = graph_new_node(g, NODE_POSITIONAL_EMBEDDING, y, x, -1, -1);
    n->floats[0] = max_positions;
    n->flag = endpoint;
    return y;
}

int graph_softmax_xent(Graph *g, int logits, int targets) {
    expect_f32(g, logits, "softmax_xent", "logits");
    DISCO_CHECK(graph_tensor_at(g, targets)->dtype == DTYPE_I32, "softmax_xent: targets '%s' must be int32",
                g->tensors[targets].name);
    size_t rows = graph_rows(g, logits);
    expect_numel(g, targets, rows, "softmax_xent", "targets");
    int shape[1] = {(int)rows};
    int y = new_activation(g, NODE_SOFTMAX_XENT, DTYPE_F32, 1, shape);
    GraphNode *n = graph_new_node(g, NODE_SOFTMAX_XENT, y, logits, targets, -1);
    n->saved = new_saved(g, y, graph_numel(g, logits));
    return y;
}

int graph_gumbel_softmax(Graph *g, int logits, float tau, bool hard) {
    DISCO_CHECK(tau > 0, "gumbel_softmax: temperature %g must be positive", tau);
    int y = unary(g, NODE_GUMBEL_SOFTMAX, logits);
    GraphNode *n = &g->nodes[g->n_nodes - 1];
    n->floats[0] = tau;
    n->flag = hard;
    n->site = g->n_random_sites++;
    n->saved = new_saved(g, y, graph_numel(g, logits));
    return y;
}

int graph_weighted_mse(Graph *g, int pred, int target, int weight) {
    expect_f32(g, pred, "weighted_mse", "prediction");
    expect_numel(g, target, graph_numel(g, pred), "weighted_mse", "target");
    size_t rows = g->tensors[pred].shape[0];
    expect_numel(g, weight, rows, "weighted_mse", "weight");
    DISCO_CHECK(!g->tensors[weight].needs_grad, "weighted_mse: weight '%s' cannot have a gradient",
                g->tensors[weight].name);
    int shape[1] = {(int)rows};
    int y = new_activation(g, NODE_WEIGHTED_MSE, DTYPE_F32, 1, shape);
    graph_new_node(g, NODE_WEIGHTED_MSE, y, pred, target, weight);
    return y;
}

/* ---- forward only ---- */

/* A backend's table may lack a forward-only op (CUDA does, for now): fail
   here, naming it, rather than call NULL in the forward. */
static void expect_backend_op(const Graph *g, bool present, NodeKind kind) {
    DISCO_CHECK(present, "%s: the %s backend has no kernel for it", node_names[kind], device_name(g->be->device));
}

int graph_conv_general(Graph *g, int x, int weight, int bias, int stride, int pad_h, int pad_w) {
    expect_backend_op(g, g->be->ops->conv_general_forward != NULL, NODE_CONV_GENERAL);
    const GraphTensor *in = expect_feature_map(g, x, "conv_general");
    const GraphTensor *w = expect_f32(g, weight, "conv_general", "weight");
    DISCO_CHECK(w->ndim == 4 && w->shape[3] == in->shape[3], "conv_general: weight '%s' must be [out, kh, kw, %d]",
                w->name, in->shape[3]);
    ConvGeneralShape s = {.batch = in->shape[0], .height = in->shape[1], .width = in->shape[2],
                          .in_channels = in->shape[3], .out_channels = w->shape[0], .kernel_h = w->shape[1],
                          .kernel_w = w->shape[2], .stride = stride, .pad_h = pad_h, .pad_w = pad_w};
    DISCO_CHECK(stride > 0 && pad_h >= 0 && pad_w >= 0 && s.height + 2 * pad_h >= s.kernel_h &&
                    s.width + 2 * pad_w >= s.kernel_w,
                "conv_general: a %dx%d kernel '%s' with stride %d and padding %dx%d does not fit '%s' (%dx%d)",
                s.kernel_h, s.kernel_w, w->name, stride, pad_h, pad_w, in->name, s.height, s.width);
    if (bias >= 0) expect_numel(g, bias, (size_t)s.out_channels, "conv_general", "bias");
    int shape[4] = {s.batch, window_output_size(s.height, s.kernel_h, stride, pad_h),
                    window_output_size(s.width, s.kernel_w, stride, pad_w), s.out_channels};
    int y = new_activation(g, NODE_CONV_GENERAL, DTYPE_F32, 4, shape);
    graph_new_node(g, NODE_CONV_GENERAL, y, x, weight, bias)->conv_general = s;
    return y;
}

static int pool(Graph *g, NodeKind kind, int x, int kernel, int stride, int pad) {
    const GraphTensor *in = expect_feature_map(g, x, node_names[kind]);
    PoolShape s = {in->shape[0], in->shape[1], in->shape[2], in->shape[3], kernel, stride, pad};
    DISCO_CHECK(kernel > 0 && stride > 0 && pad >= 0 && 2 * pad <= kernel && s.height + 2 * pad >= kernel &&
                    s.width + 2 * pad >= kernel,
                "%s: a %dx%d window with stride %d and padding %d does not fit '%s' (%dx%d); padding is at most "
                "half the window", node_names[kind], kernel, kernel, stride, pad, in->name, s.height, s.width);
    int shape[4] = {s.batch, window_output_size(s.height, kernel, stride, pad),
                    window_output_size(s.width, kernel, stride, pad), s.channels};
    int y = new_activation(g, kind, DTYPE_F32, 4, shape);
    graph_new_node(g, kind, y, x, -1, -1)->pool = s;
    return y;
}

int graph_max_pool(Graph *g, int x, int kernel, int stride, int pad) {
    expect_backend_op(g, g->be->ops->max_pool_forward != NULL, NODE_MAX_POOL);
    return pool(g, NODE_MAX_POOL, x, kernel, stride, pad);
}

int graph_avg_pool(Graph *g, int x, int kernel, int stride, int pad) {
    expect_backend_op(g, g->be->ops->avg_pool_forward != NULL, NODE_AVG_POOL);
    return pool(g, NODE_AVG_POOL, x, kernel, stride, pad);
}

int graph_resize_bilinear(Graph *g, int x, int out_height, int out_width) {
    expect_backend_op(g, g->be->ops->resize_bilinear_forward != NULL, NODE_RESIZE_BILINEAR);
    const GraphTensor *in = expect_feature_map(g, x, "resize_bilinear");
    DISCO_CHECK(out_height > 0 && out_width > 0, "resize_bilinear: '%s' cannot become %dx%d", in->name, out_height,
                out_width);
    int shape[4] = {in->shape[0], out_height, out_width, in->shape[3]};
    int y = new_activation(g, NODE_RESIZE_BILINEAR, DTYPE_F32, 4, shape);
    GraphNode *n = graph_new_node(g, NODE_RESIZE_BILINEAR, y, x, -1, -1);
    n->ints[0] = out_height, n->ints[1] = out_width;
    return y;
}

int graph_relu(Graph *g, int x) {
    expect_backend_op(g, g->be->ops->relu_forward != NULL, NODE_RELU);
    return unary(g, NODE_RELU, x);
}
