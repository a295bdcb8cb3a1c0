/* Memory planning, parameter initialisation, and the forward and backward
   walks over the node list. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/log.h"
#include "graph_internal.h"

/* Parameters start on 64-byte boundaries so every tensor begins a vector. */
#define PARAM_ALIGN_FLOATS 16
#define ACTIVATION_ALIGN 256

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

static void init_param(const Graph *g, const GraphTensor *t, int ordinal, float *host) {
    size_t n = graph_tensor_numel(t);
    RngKey key = {.seed = g->seed, .stream = RNG_STREAM_INIT, .index = (uint32_t)ordinal};
    switch (t->init.kind) {
    case INIT_ZERO: memset(host, 0, n * sizeof(float)); break;
    case INIT_CONSTANT:
        for (size_t i = 0; i < n; i++) host[i] = t->init.scale;
        break;
    case INIT_UNIFORM_FAN_IN: {
        DISCO_CHECK(t->init.fan_in > 0, "parameter '%s': uniform init needs a fan-in", t->name);
        float bound = t->init.scale * sqrtf(3.0f / (float)t->init.fan_in);
        rng_fill_uniform(&key, host, n);
        for (size_t i = 0; i < n; i++) host[i] = bound * (2 * host[i] - 1);
        break;
    }
    case INIT_NORMAL:
        rng_fill_normal(&key, host, n);
        for (size_t i = 0; i < n; i++) host[i] *= t->init.scale;
        break;
    }
}

static void plan_params(Graph *g) {
    const OpTable *ops = g->be->ops;
    size_t total = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        GraphTensor *t = &g->tensors[i];
        if (t->role != ROLE_PARAM) continue;
        t->offset = total;
        total = round_up(total + graph_tensor_numel(t), PARAM_ALIGN_FLOATS);
    }
    g->n_param_floats = total;
    g->params = ops->alloc(g->be, total * sizeof(float), "parameters");
    g->param_grads = ops->alloc(g->be, total * sizeof(float), "parameter gradients");
    ops->zero(g->be, g->param_grads, total * sizeof(float));

    float *host = disco_calloc(total ? total : 1, sizeof(float), "parameter initialisation");
    int ordinal = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        GraphTensor *t = &g->tensors[i];
        if (t->role != ROLE_PARAM) continue;
        init_param(g, t, ordinal++, host + t->offset);
        t->data = g->params + t->offset;
        t->grad = g->param_grads + t->offset;
    }
    ops->upload(g->be, g->params, host, total * sizeof(float));
    free(host);
}

/* Every activation keeps its own slot: backward needs them all. Gradients of
   activations get a second arena with the same rule. */
static void plan_activations(Graph *g) {
    const OpTable *ops = g->be->ops;
    size_t bytes = 0, grad_bytes = 0, largest_grad = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        GraphTensor *t = &g->tensors[i];
        size_t numel = graph_tensor_numel(t);
        if (t->needs_grad && numel > largest_grad) largest_grad = numel;
        if (t->role == ROLE_PARAM || t->role == ROLE_ALIAS) continue;
        t->offset = bytes;
        bytes = round_up(bytes + numel * dtype_size(t->dtype), ACTIVATION_ALIGN);
        if (t->needs_grad) {
            t->grad_offset = grad_bytes;
            grad_bytes = round_up(grad_bytes + numel * sizeof(float), ACTIVATION_ALIGN);
        }
    }
    g->activation_bytes = bytes;
    g->activation_grad_bytes = grad_bytes;
    g->activations = ops->alloc(g->be, bytes, "activations");
    g->activation_grads = ops->alloc(g->be, grad_bytes, "activation gradients");
    ops->zero(g->be, g->activations, bytes);
    for (int i = 0; i < g->n_tensors; i++) {
        GraphTensor *t = &g->tensors[i];
        if (t->role == ROLE_PARAM || t->role == ROLE_ALIAS) continue;
        t->data = (char *)g->activations + t->offset;
        if (t->needs_grad) t->grad = (float *)((char *)g->activation_grads + t->grad_offset);
    }
    /* Parameters are placed by now too, so every alias can take its base's memory. */
    for (int i = 0; i < g->n_tensors; i++) {
        GraphTensor *t = &g->tensors[i];
        if (t->role != ROLE_ALIAS) continue;
        t->data = g->tensors[t->base].data;
        t->grad = g->tensors[t->base].grad;
    }
    g->scratch_floats = largest_grad;
    for (int s = 0; s < NODE_MAX_INPUTS; s++)
        g->scratch[s] = ops->alloc(g->be, largest_grad * sizeof(float), "gradient scratch");
}

static void plan_workspace(Graph *g) {
    size_t bytes = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const GraphNode *n = &g->nodes[i];
        size_t need = 0;
        if (n->kind == NODE_CONV2D) need = g->be->ops->conv2d_workspace(g->be, &n->conv);
        if (n->kind == NODE_CONV_GENERAL) need = g->be->ops->conv_general_workspace(g->be, &n->conv_general);
        if (need > bytes) bytes = need;
    }
    g->workspace_bytes = bytes;
    g->workspace = g->be->ops->alloc(g->be, bytes, "convolution workspace");
}

void graph_compile(Graph *g) {
    DISCO_CHECK(!g->compiled, "graph compiled twice");
    plan_params(g);
    plan_activations(g);
    plan_workspace(g);
    if (g->loss >= 0) g->loss_seed_host = disco_calloc(graph_numel(g, g->loss), sizeof(float), "loss seed");
    g->compiled = true;
    LOG_DEBUG("graph: %d nodes, %zu parameters, %.1f MiB activations, %.1f MiB activation gradients", g->n_nodes,
              g->n_param_floats, g->activation_bytes / 1048576.0, g->activation_grad_bytes / 1048576.0);
}
