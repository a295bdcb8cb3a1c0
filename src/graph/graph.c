/* Graph construction: tensors, parameter names and scopes, and access. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "graph_internal.h"

Graph *graph_create(Backend *be, uint64_t seed) {
    Graph *g = disco_calloc(1, sizeof(Graph), "graph");
    g->be = be;
    g->seed = seed;
    g->loss = -1;
    g->training = true;
    return g;
}

void graph_destroy(Graph *g) {
    if (!g) return;
    const OpTable *ops = g->be->ops;
    if (g->compiled) {
        ops->free(g->be, g->params);
        ops->free(g->be, g->param_grads);
        ops->free(g->be, g->activations);
        ops->free(g->be, g->activation_grads);
        ops->free(g->be, g->workspace);
        for (int i = 0; i < NODE_MAX_INPUTS; i++) ops->free(g->be, g->scratch[i]);
    }
    for (int i = 0; i < g->n_tensors; i++) free(g->tensors[i].name);
    free(g->tensors);
    free(g->nodes);
    free(g->loss_seed_host);
    free(g->final_from);
    free(g);
}

void graph_push_scope(Graph *g, const char *name) {
    size_t used = strlen(g->scope);
    int written = snprintf(g->scope + used, sizeof g->scope - used, "%s%s", used ? "." : "", name);
    DISCO_CHECK(written > 0 && (size_t)written < sizeof g->scope - used, "parameter scope too long at '%s'", name);
}

void graph_pop_scope(Graph *g) {
    char *dot = strrchr(g->scope, '.');
    if (dot)
        *dot = '\0';
    else
        g->scope[0] = '\0';
}

GraphTensor *graph_tensor_at(const Graph *g, int id) {
    DISCO_CHECK(id >= 0 && id < g->n_tensors, "tensor id %d is not in this graph (it has %d)", id, g->n_tensors);
    return &g->tensors[id];
}

GraphTensor *graph_storage(const Graph *g, int id) {
    GraphTensor *t = graph_tensor_at(g, id);
    return t->role == ROLE_ALIAS ? &g->tensors[t->base] : t;
}

size_t graph_tensor_numel(const GraphTensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

int graph_new_tensor(Graph *g, const char *name, TensorRole role, DType dtype, int ndim, const int *shape) {
    DISCO_CHECK(!g->compiled, "cannot add '%s' to a graph that is already compiled", name);
    DISCO_CHECK(ndim >= 1 && ndim <= TENSOR_MAX_DIMS, "tensor '%s' has rank %d, outside 1..%d", name, ndim,
                TENSOR_MAX_DIMS);
    /* Copied first: callers pass another tensor's shape, which the realloc
       below may move. */
    int dims[TENSOR_MAX_DIMS];
    memcpy(dims, shape, (size_t)ndim * sizeof *dims);
    shape = dims;
    if (g->n_tensors == g->cap_tensors) {
        g->cap_tensors = g->cap_tensors ? 2 * g->cap_tensors : 64;
        g->tensors = realloc(g->tensors, (size_t)g->cap_tensors * sizeof(GraphTensor));
        DISCO_CHECK(g->tensors, "out of memory growing the graph's tensor list");
    }
    GraphTensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = disco_strdup(name);
    t->role = role;
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        DISCO_CHECK(shape[i] > 0, "tensor '%s': dimension %d is %d", name, i, shape[i]);
        t->shape[i] = shape[i];
    }
    return g->n_tensors++;
}

int graph_param(Graph *g, const char *name, int ndim, const int *shape, Init init) {
    char full[640];
    snprintf(full, sizeof full, "%s%s%s", g->scope, g->scope[0] ? "." : "", name);
    DISCO_CHECK(graph_find_param(g, full) < 0, "parameter '%s' is defined twice", full);
    int id = graph_new_tensor(g, full, ROLE_PARAM, DTYPE_F32, ndim, shape);
    g->tensors[id].init = init;
    g->tensors[id].needs_grad = true;
    return id;
}

int graph_reshape(Graph *g, int x, int ndim, const int *shape) {
    char name[96];
    snprintf(name, sizeof name, "%s.reshaped", graph_tensor_at(g, x)->name);
    int base = graph_storage(g, x) - g->tensors;
    int id = graph_new_tensor(g, name, ROLE_ALIAS, g->tensors[base].dtype, ndim, shape);
    GraphTensor *alias = &g->tensors[id], *owner = &g->tensors[base];
    DISCO_CHECK(graph_tensor_numel(alias) == graph_tensor_numel(owner),
                "reshape: '%s' has %zu elements, the new shape %zu", owner->name, graph_tensor_numel(owner),
                graph_tensor_numel(alias));
    alias->base = base;
    alias->needs_grad = owner->needs_grad;
    return id;
}

int graph_input(Graph *g, const char *name, DType dtype, int ndim, const int *shape, bool needs_grad) {
    DISCO_CHECK(!needs_grad || dtype == DTYPE_F32, "input '%s': only float inputs can have a gradient", name);
    int id = graph_new_tensor(g, name, ROLE_INPUT, dtype, ndim, shape);
    g->tensors[id].needs_grad = needs_grad;
    return id;
}

int graph_last_dim(const Graph *g, int id) {
    const GraphTensor *t = graph_tensor_at(g, id);
    return t->shape[t->ndim - 1];
}

size_t graph_rows(const Graph *g, int id) {
    const GraphTensor *t = graph_tensor_at(g, id);
    return graph_tensor_numel(t) / (size_t)t->shape[t->ndim - 1];
}

void graph_set_loss(Graph *g, int loss) {
    DISCO_CHECK(!g->compiled, "graph_set_loss must come before graph_compile");
    DISCO_CHECK(graph_tensor_at(g, loss)->dtype == DTYPE_F32, "the loss '%s' must be float", g->tensors[loss].name);
    g->loss = loss;
}

void graph_set_step(Graph *g, uint32_t step, uint32_t first_sample) { graph_set_samples(g, step, first_sample, 1); }

void graph_set_samples(Graph *g, uint32_t step, uint32_t first_sample, uint32_t sample_stride) {
    g->step = step;
    g->first_sample = first_sample;
    g->sample_stride = sample_stride;
}

void graph_set_training(Graph *g, bool training) { g->training = training; }

void *graph_data(const Graph *g, int id) { return graph_tensor_at(g, id)->data; }
float *graph_grad(const Graph *g, int id) { return graph_tensor_at(g, id)->grad; }
size_t graph_numel(const Graph *g, int id) { return graph_tensor_numel(graph_tensor_at(g, id)); }
const char *graph_name(const Graph *g, int id) { return graph_tensor_at(g, id)->name; }
Backend *graph_backend(const Graph *g) { return g->be; }
size_t graph_activation_bytes(const Graph *g) { return g->activation_bytes; }

Tensor graph_tensor(const Graph *g, int id) {
    const GraphTensor *t = graph_tensor_at(g, id);
    return tensor_view(t->data, t->dtype, g->be->device, t->ndim, t->shape);
}

int graph_find_param(const Graph *g, const char *name) {
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].role == ROLE_PARAM && strcmp(g->tensors[i].name, name) == 0) return i;
    return -1;
}

int graph_param_count(const Graph *g) {
    int n = 0;
    for (int i = 0; i < g->n_tensors; i++) n += g->tensors[i].role == ROLE_PARAM;
    return n;
}

int graph_param_id(const Graph *g, int ordinal) {
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].role == ROLE_PARAM && ordinal-- == 0) return i;
    DISCO_FATAL("parameter ordinal out of range");
}

size_t graph_param_offset(const Graph *g, int id) {
    const GraphTensor *t = graph_tensor_at(g, id);
    DISCO_CHECK(t->role == ROLE_PARAM, "'%s' is not a parameter", t->name);
    return t->offset;
}

float *graph_params(const Graph *g, size_t *n_floats) {
    if (n_floats) *n_floats = g->n_param_floats;
    return g->params;
}

float *graph_param_grads(const Graph *g) { return g->param_grads; }

int graph_copy_params(Graph *dst, const Graph *src) {
    DISCO_CHECK(dst->compiled && src->compiled, "graph_copy_params needs two compiled graphs");
    int copied = 0;
    for (int i = 0; i < dst->n_tensors; i++) {
        GraphTensor *t = &dst->tensors[i];
        if (t->role != ROLE_PARAM) continue;
        int j = graph_find_param(src, t->name);
        if (j < 0) continue;
        DISCO_CHECK(graph_tensor_numel(t) == graph_numel(src, j), "parameter '%s': %zu elements here, %zu in the source",
                    t->name, graph_tensor_numel(t), graph_numel(src, j));
        dst->be->ops->copy(dst->be, t->data, src->tensors[j].data, graph_tensor_numel(t) * sizeof(float));
        copied++;
    }
    return copied;
}
