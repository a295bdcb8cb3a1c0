/* Forward and backward over the node list.
 *
 * Ops write input gradients (=) and accumulate parameter gradients (+=). A
 * tensor read by several nodes must end with the sum of their gradients, so
 * the first consumer met in backward writes its gradient in place and every
 * later one writes into a scratch buffer that is then added on. */
#include <stdlib.h>

#include "disco/error.h"
#include "graph_internal.h"

static float *f32(const Graph *g, int id) { return id < 0 ? NULL : (float *)g->tensors[id].data; }

static int rows_of(const Graph *g, int id) { return (int)graph_rows(g, id); }

static RngKey node_key(const Graph *g, const GraphNode *n, RngStream purpose) {
    const GraphTensor *x = &g->tensors[n->inputs[0]];
    return (RngKey){.seed = g->seed, .stream = rng_stream(purpose, (uint32_t)n->site), .step = g->step,
                    .index = g->first_sample, .row_len = graph_tensor_numel(x) / (size_t)x->shape[0],
                    .row_stride = g->sample_stride};
}

static float dropout_probability(const Graph *g, const GraphNode *n) { return g->training ? n->floats[0] : 0.0f; }

static void forward_node(Graph *g, const GraphNode *n) {
    Backend *be = g->be;
    const OpTable *ops = be->ops;
    int x = n->inputs[0], b = n->inputs[1], c = n->inputs[2];
    float *y = f32(g, n->output), *saved = f32(g, n->saved);
    const GraphTensor *tx = &g->tensors[x];
    size_t count = graph_tensor_numel(tx);
    switch (n->kind) {
    case NODE_LINEAR:
        ops->linear_forward(be, y, f32(g, x), f32(g, b), f32(g, c), rows_of(g, x), graph_last_dim(g, x),
                            graph_last_dim(g, n->output));
        break;
    case NODE_CONV2D: ops->conv2d_forward(be, y, f32(g, x), f32(g, b), f32(g, c), &n->conv, g->workspace); break;
    case NODE_DOWNSAMPLE2X:
        ops->downsample2x_forward(be, y, f32(g, x), tx->shape[0], tx->shape[1], tx->shape[2], tx->shape[3]);
        break;
    case NODE_UPSAMPLE2X:
        ops->upsample2x_forward(be, y, f32(g, x), tx->shape[0], tx->shape[1], tx->shape[2], tx->shape[3]);
        break;
    case NODE_GROUP_NORM:
        ops->group_norm_forward(be, y, saved, f32(g, x), f32(g, b), f32(g, c), tx->shape[0],
                                (int)(count / (size_t)tx->shape[0] / (size_t)graph_last_dim(g, x)),
                                graph_last_dim(g, x), n->ints[0], n->floats[0]);
        break;
    case NODE_LAYER_NORM:
        ops->layer_norm_forward(be, y, saved, f32(g, x), f32(g, b), f32(g, c), rows_of(g, x), graph_last_dim(g, x),
                                n->floats[0]);
        break;
    case NODE_SILU: ops->silu_forward(be, y, f32(g, x), count); break;
    case NODE_GELU: ops->gelu_forward(be, y, f32(g, x), count); break;
    case NODE_DROPOUT:
        ops->dropout_forward(be, y, f32(g, x), count, dropout_probability(g, n), node_key(g, n, RNG_STREAM_DROPOUT));
        break;
    case NODE_MODULATE:
        ops->modulate_forward(be, y, f32(g, x), f32(g, b), tx->shape[0],
                              (int)(count / (size_t)tx->shape[0] / (size_t)graph_last_dim(g, x)),
                              graph_last_dim(g, x));
        break;
    case NODE_ADD: ops->add_forward(be, y, f32(g, x), f32(g, b), count, graph_numel(g, b), n->floats[0]); break;
    case NODE_CONCAT:
        ops->concat_forward(be, y, f32(g, x), f32(g, b), rows_of(g, x), graph_last_dim(g, x), graph_last_dim(g, b));
        break;
    case NODE_SPLIT:
        ops->split_forward(be, y, f32(g, x), rows_of(g, x), graph_last_dim(g, x), n->ints[0], n->ints[1]);
        break;
    case NODE_ATTENTION:
        ops->attention_forward(be, y, saved, f32(g, x) + n->q_col, f32(g, b) + n->k_col, f32(g, c) + n->v_col,
                               &n->attention);
        break;
    case NODE_EMBEDDING:
        ops->embedding_forward(be, y, (const int32_t *)g->tensors[x].data, f32(g, b), (int)count,
                               g->tensors[b].shape[0], g->tensors[b].shape[1]);
        break;
    case NODE_POSITIONAL_EMBEDDING:
        ops->positional_embedding_forward(be, y, f32(g, x), (int)count, graph_last_dim(g, n->output), n->floats[0],
                                          n->flag);
        break;
    case NODE_SOFTMAX_XENT:
        ops->softmax_xent_forward(be, y, saved, f32(g, x), (const int32_t *)g->tensors[b].data, rows_of(g, x),
                                  graph_last_dim(g, x));
        break;
    case NODE_GUMBEL_SOFTMAX:
        ops->gumbel_softmax_forward(be, y, saved, f32(g, x), rows_of(g, x), graph_last_dim(g, x), n->floats[0],
                                    n->flag, node_key(g, n, RNG_STREAM_GUMBEL));
        break;
    case NODE_WEIGHTED_MSE:
        ops->weighted_mse_forward(be, y, f32(g, x), f32(g, b), f32(g, c), tx->shape[0],
                                  (int)(count / (size_t)tx->shape[0]));
        break;
    case NODE_CONV_GENERAL:
        ops->conv_general_forward(be, y, f32(g, x), f32(g, b), f32(g, c), &n->conv_general, g->workspace);
        break;
    case NODE_MAX_POOL: ops->max_pool_forward(be, y, f32(g, x), &n->pool); break;
    case NODE_AVG_POOL: ops->avg_pool_forward(be, y, f32(g, x), &n->pool); break;
    case NODE_RESIZE_BILINEAR:
        ops->resize_bilinear_forward(be, y, f32(g, x), tx->shape[0], tx->shape[1], tx->shape[2], tx->shape[3],
                                     n->ints[0], n->ints[1]);
        break;
    case NODE_RELU: ops->relu_forward(be, y, f32(g, x), count); break;
    }
}

void graph_forward(Graph *g) {
    DISCO_CHECK(g->compiled, "graph_forward before graph_compile");
    for (int i = 0; i < g->n_nodes; i++) forward_node(g, &g->nodes[i]);
}

void graph_zero_param_grads(Graph *g) {
    g->be->ops->zero(g->be, g->param_grads, g->n_param_floats * sizeof(float));
}

/* Which inputs of a node receive an accumulated (+=) gradient from the op. */
static bool slot_accumulates(NodeKind kind, int slot) {
    switch (kind) {
    case NODE_LINEAR:
    case NODE_CONV2D:
    case NODE_GROUP_NORM:
    case NODE_LAYER_NORM: return slot >= 1;
    case NODE_EMBEDDING: return slot == 1;
    default: return false;
    }
}

typedef struct {
    float *target[NODE_MAX_INPUTS];   /* where the op's gradient goes */
    float *add_into[NODE_MAX_INPUTS]; /* when set, target is scratch to be added here */
} GradRouting;

static GradRouting route_gradients(Graph *g, const GraphNode *n) {
    GradRouting r = {{0}, {0}};
    for (int s = 0; s < NODE_MAX_INPUTS; s++) {
        int id = n->inputs[s];
        if (id < 0 || !g->tensors[id].needs_grad) continue;
        GraphTensor *t = graph_storage(g, id);
        size_t bytes = graph_tensor_numel(t) * sizeof(float);
        if (slot_accumulates(n->kind, s)) {
            /* Parameter gradients start at zero each step; an activation in
               a parameter's place starts at zero the first time it is met. */
            if (t->role != ROLE_PARAM && !t->grad_written) g->be->ops->zero(g->be, t->grad, bytes);
            t->grad_written = true;
            r.target[s] = t->grad;
        } else if (t->role != ROLE_PARAM && !t->grad_written) {
            t->grad_written = true;
            r.target[s] = t->grad;
        } else {
            r.target[s] = g->scratch[s];
            r.add_into[s] = t->grad;
        }
    }
    return r;
}

static void backward_node(Graph *g, const GraphNode *n) {
    Backend *be = g->be;
    const OpTable *ops = be->ops;
    int x = n->inputs[0], b = n->inputs[1], c = n->inputs[2];
    const float *dy = g->tensors[n->output].grad, *y_saved = f32(g, n->saved);
    const GraphTensor *tx = &g->tensors[x];
    size_t count = graph_tensor_numel(tx);
    GradRouting r = route_gradients(g, n);
    float *dx = r.target[0], *db = r.target[1], *dc = r.target[2];
    switch (n->kind) {
    case NODE_LINEAR:
        ops->linear_backward(be, dx, db, dc, dy, f32(g, x), f32(g, b), rows_of(g, x), graph_last_dim(g, x),
                             graph_last_dim(g, n->output));
        break;
    case NODE_CONV2D:
        ops->conv2d_backward(be, dx, db, dc, dy, f32(g, x), f32(g, b), &n->conv, g->workspace);
        break;
    case NODE_DOWNSAMPLE2X:
        ops->downsample2x_backward(be, dx, dy, tx->shape[0], tx->shape[1], tx->shape[2], tx->shape[3]);
        break;
    case NODE_UPSAMPLE2X:
        ops->upsample2x_backward(be, dx, dy, tx->shape[0], tx->shape[1], tx->shape[2], tx->shape[3]);
        break;
    case NODE_GROUP_NORM:
        ops->group_norm_backward(be, dx, db, dc, dy, f32(g, x), y_saved, f32(g, b), tx->shape[0],
                                 (int)(count / (size_t)tx->shape[0] / (size_t)graph_last_dim(g, x)),
                                 graph_last_dim(g, x), n->ints[0]);
        break;
    case NODE_LAYER_NORM:
        ops->layer_norm_backward(be, dx, db, dc, dy, f32(g, x), y_saved, f32(g, b), rows_of(g, x),
                                 graph_last_dim(g, x));
        break;
    case NODE_SILU: ops->silu_backward(be, dx, dy, f32(g, x), count); break;
    case NODE_GELU: ops->gelu_backward(be, dx, dy, f32(g, x), count); break;
    case NODE_DROPOUT:
        ops->dropout_backward(be, dx, dy, count, dropout_probability(g, n), node_key(g, n, RNG_STREAM_DROPOUT));
        break;
    case NODE_MODULATE:
        ops->modulate_backward(be, dx, db, dy, f32(g, x), f32(g, b), tx->shape[0],
                               (int)(count / (size_t)tx->shape[0] / (size_t)graph_last_dim(g, x)),
                               graph_last_dim(g, x));
        break;
    case NODE_ADD: ops->add_backward(be, dx, db, dy, count, graph_numel(g, b), n->floats[0]); break;
    case NODE_CONCAT:
        ops->concat_backward(be, dx, db, dy, rows_of(g, x), graph_last_dim(g, x), graph_last_dim(g, b));
        break;
    case NODE_SPLIT:
        ops->split_backward(be, dx, dy, rows_of(g, x), graph_last_dim(g, x), n->ints[0], n->ints[1]);
        break;
    case NODE_ATTENTION:
        /* q, k and v may be one fused tensor: then all three gradients must
           land in one buffer, each in its own columns. */
        if (x == b && b == c) db = dc = dx;
        ops->attention_backward(be, dx ? dx + n->q_col : NULL, db ? db + n->k_col : NULL, dc ? dc + n->v_col : NULL,
                                dy, f32(g, x) + n->q_col, f32(g, b) + n->k_col, f32(g, c) + n->v_col, y_saved,
                                &n->attention);
        r.add_into[1] = r.add_into[2] = NULL;
        break;
    case NODE_EMBEDDING:
        ops->embedding_backward(be, db, dy, (const int32_t *)g->tensors[x].data, (int)count,
                                g->tensors[b].shape[0], g->tensors[b].shape[1]);
        break;
    case NODE_POSITIONAL_EMBEDDING:
        ops->positional_embedding_backward(be, dx, dy, f32(g, x), (int)count, graph_last_dim(g, n->output),
                                           n->floats[0], n->flag);
        break;
    case NODE_SOFTMAX_XENT:
        ops->softmax_xent_backward(be, dx, dy, y_saved, (const int32_t *)g->tensors[b].data, rows_of(g, x),
                                   graph_last_dim(g, x));
        break;
    case NODE_GUMBEL_SOFTMAX:
        ops->gumbel_softmax_backward(be, dx, dy, y_saved, rows_of(g, x), graph_last_dim(g, x), n->floats[0]);
        break;
    case NODE_WEIGHTED_MSE:
        ops->weighted_mse_backward(be, dx, db, dy, f32(g, x), f32(g, b), f32(g, c), tx->shape[0],
                                   (int)(count / (size_t)tx->shape[0]));
        break;
    case NODE_CONV_GENERAL:
    case NODE_MAX_POOL:
    case NODE_AVG_POOL:
    case NODE_RESIZE_BILINEAR:
    case NODE_RELU:
        DISCO_FATAL("graph_backward: '%s' comes from a forward-only op (ops.h), which has no backward",
                    g->tensors[n->output].name);
    }
    for (int s = 0; s < NODE_MAX_INPUTS; s++) {
        if (!r.add_into[s]) continue;
        size_t numel = graph_numel(g, n->inputs[s]);
        ops->add_forward(be, r.add_into[s], r.add_into[s], r.target[s], numel, numel, 1.0f);
    }
}

void graph_backward(Graph *g, float loss_seed) {
    DISCO_CHECK(g->compiled, "graph_backward before graph_compile");
    DISCO_CHECK(g->loss >= 0, "graph_backward needs graph_set_loss first");
    GraphTensor *loss = graph_storage(g, g->loss);
    DISCO_CHECK(loss->needs_grad, "the loss '%s' depends on nothing that has a gradient", loss->name);
    for (int i = 0; i < g->n_tensors; i++) g->tensors[i].grad_written = false;

    size_t n = graph_tensor_numel(loss);
    for (size_t i = 0; i < n; i++) g->loss_seed_host[i] = loss_seed;
    g->be->ops->upload(g->be, loss->grad, g->loss_seed_host, n * sizeof(float));
    loss->grad_written = true;

    size_t reported = g->n_param_floats + 1;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const GraphNode *node = &g->nodes[i];
        const GraphTensor *out = &g->tensors[node->output];
        /* Nodes the loss does not depend on have no gradient to pass on. */
        if (out->needs_grad && out->grad_written) backward_node(g, node);
        if (g->grads_ready && g->final_from[i] < reported) {
            reported = g->final_from[i];
            g->grads_ready(g->grads_ready_context, reported);
        }
    }
    if (g->grads_ready && reported != 0) g->grads_ready(g->grads_ready_context, 0);
}

/* final_from[i] = the largest end of a parameter first consumed before node
   i: every parameter above it is first consumed at i or later, so its
   gradient is complete once backward has passed node i. */
void graph_on_grads_ready(Graph *g, GraphGradsReady hook, void *context) {
    DISCO_CHECK(g->compiled, "graph_on_grads_ready before graph_compile");
    g->grads_ready = hook;
    g->grads_ready_context = context;
    if (!hook || g->final_from) return;
    size_t *end_first_used_at = disco_calloc((size_t)g->n_nodes + 1, sizeof(size_t), "gradient readiness");
    bool *seen = disco_calloc((size_t)g->n_tensors, sizeof(bool), "gradient readiness");
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < NODE_MAX_INPUTS; k++) {
            int input = g->nodes[i].inputs[k];
            if (input < 0) continue;
            const GraphTensor *t = graph_storage(g, input);
            int id = (int)(t - g->tensors);
            if (t->role != ROLE_PARAM || seen[id]) continue;
            seen[id] = true;
            size_t end = t->offset + graph_tensor_numel(t);
            if (end > end_first_used_at[i]) end_first_used_at[i] = end;
        }
    g->final_from = disco_calloc((size_t)g->n_nodes, sizeof(size_t), "gradient readiness");
    size_t highest = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        g->final_from[i] = highest; /* parameters first consumed before node i */
        if (end_first_used_at[i] > highest) highest = end_first_used_at[i];
    }
    free(seen);
    free(end_first_used_at);
}
