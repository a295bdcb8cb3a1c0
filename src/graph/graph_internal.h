/* What a graph holds; shared by the builder, the planner and the runner. */
#ifndef DISCO_GRAPH_INTERNAL_H
#define DISCO_GRAPH_INTERNAL_H

#include "disco/graph.h"

/* An alias is another shape for the memory (and gradient) of its base. */
typedef enum { ROLE_PARAM, ROLE_INPUT, ROLE_ACTIVATION, ROLE_SAVED, ROLE_ALIAS } TensorRole;

typedef struct {
    char *name;
    TensorRole role;
    DType dtype;
    int ndim;
    int shape[TENSOR_MAX_DIMS];
    bool needs_grad;
    Init init;
    size_t offset;      /* floats into the parameter buffer, or bytes into the activation arena */
    size_t grad_offset; /* floats into the gradient buffer (params) or bytes into the gradient arena */
    void *data;
    float *grad;
    bool grad_written; /* during backward: a consumer has already written grad (=) */
    int base;          /* ROLE_ALIAS: the tensor whose memory this one views */
} GraphTensor;

typedef enum {
    NODE_LINEAR, NODE_CONV2D, NODE_DOWNSAMPLE2X, NODE_UPSAMPLE2X, NODE_GROUP_NORM, NODE_LAYER_NORM,
    NODE_SILU, NODE_GELU, NODE_DROPOUT, NODE_MODULATE, NODE_ADD, NODE_CONCAT, NODE_SPLIT, NODE_ATTENTION,
    NODE_EMBEDDING, NODE_POSITIONAL_EMBEDDING, NODE_SOFTMAX_XENT, NODE_GUMBEL_SOFTMAX, NODE_WEIGHTED_MSE,
    /* forward only */
    NODE_CONV_GENERAL, NODE_MAX_POOL, NODE_AVG_POOL, NODE_RESIZE_BILINEAR, NODE_RELU,
} NodeKind;

#define NODE_MAX_INPUTS 3

typedef struct {
    NodeKind kind;
    int inputs[NODE_MAX_INPUTS]; /* -1 when unused */
    int output;
    int saved;   /* tensor the forward keeps for the backward, or -1 */
    int site;    /* distinguishes the random streams of nodes of one kind */
    int ints[4]; /* per kind: groups; offset, count; heads; output height, width */
    float floats[2]; /* per kind: eps; p; scale; tau; max_positions */
    bool flag;       /* per kind: causal; hard; endpoint */
    Conv2dShape conv;
    ConvGeneralShape conv_general;
    PoolShape pool;
    AttentionShape attention;
    size_t q_col, k_col, v_col; /* attention: first column of q, k, v in their tensors */
} GraphNode;

struct Graph {
    Backend *be;
    uint64_t seed;
    GraphTensor *tensors;
    int n_tensors, cap_tensors;
    GraphNode *nodes;
    int n_nodes, cap_nodes;
    char scope[512];
    int loss;
    bool compiled, training;
    uint32_t step, first_sample, sample_stride;
    int n_random_sites;

    float *params, *param_grads;
    size_t n_param_floats;
    void *activations, *activation_grads;
    size_t activation_bytes, activation_grad_bytes;
    float *scratch[NODE_MAX_INPUTS]; /* input gradients that must be added, not written */
    size_t scratch_floats;
    void *workspace;
    size_t workspace_bytes;
    float *loss_seed_host;
    GraphGradsReady grads_ready;
    void *grads_ready_context;
    size_t *final_from; /* per node: graph_on_grads_ready's offset once that node's backward has run */
};

int graph_new_tensor(Graph *g, const char *name, TensorRole role, DType dtype, int ndim, const int *shape);
GraphTensor *graph_tensor_at(const Graph *g, int id);
/* The tensor that owns id's memory: id itself unless id is an alias. */
GraphTensor *graph_storage(const Graph *g, int id);
GraphNode *graph_new_node(Graph *g, NodeKind kind, int output, int a, int b, int c);
size_t graph_tensor_numel(const GraphTensor *t);
int graph_last_dim(const Graph *g, int id);
size_t graph_rows(const Graph *g, int id);

#endif
