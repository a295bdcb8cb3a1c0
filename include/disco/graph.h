/* The static graph: models are built once into a list of op nodes with fixed
 * shapes; memory for parameters, activations and gradients is planned once by
 * graph_compile; forward walks the nodes in order and backward in reverse.
 *
 * Parameters live in one flat buffer and their gradients in a parallel flat
 * buffer with the same offsets, so an all-reduce bucket is a contiguous slice
 * and the optimizer is one loop. Each parameter has a PyTorch-style dotted
 * name built from the scope stack ("enc.block0" + "conv.weight").
 *
 * Tensors are referred to by integer ids. Shapes follow the op contract in
 * ops.h: feature maps are [B, H, W, C], sequences [B, T, C], and "rows" is the
 * product of all dimensions but the last. */
#ifndef DISCO_GRAPH_H
#define DISCO_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disco/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    INIT_ZERO,
    INIT_CONSTANT,       /* every element = scale */
    INIT_UNIFORM_FAN_IN, /* U(-b, b), b = scale * sqrt(3 / fan_in): variance scale^2 / fan_in */
    INIT_NORMAL,         /* N(0, scale^2) */
} InitKind;

typedef struct {
    InitKind kind;
    float scale;
    int fan_in;
} Init;

typedef struct Graph Graph;

Graph *graph_create(Backend *be, uint64_t seed);
void graph_destroy(Graph *g);

/* ---- building ---- */
void graph_push_scope(Graph *g, const char *name);
void graph_pop_scope(Graph *g);
int graph_param(Graph *g, const char *name, int ndim, const int *shape, Init init);
/* Data fed in before each forward. Float inputs may ask for a gradient. */
int graph_input(Graph *g, const char *name, DType dtype, int ndim, const int *shape, bool needs_grad);

/* Another shape for x's memory and gradient (same element count); no copy,
   no node. */
int graph_reshape(Graph *g, int x, int ndim, const int *shape);

int graph_linear(Graph *g, int x, int weight, int bias); /* bias may be -1 */
int graph_conv2d(Graph *g, int x, int weight, int bias);
int graph_downsample2x(Graph *g, int x);
int graph_upsample2x(Graph *g, int x);
int graph_group_norm(Graph *g, int x, int gamma, int beta, int groups, float eps);
int graph_layer_norm(Graph *g, int x, int gamma, int beta, float eps);
int graph_silu(Graph *g, int x);
int graph_gelu(Graph *g, int x);
int graph_dropout(Graph *g, int x, float p);
int graph_modulate(Graph *g, int x, int scale_shift);
int graph_add(Graph *g, int a, int b, float scale);
int graph_concat(Graph *g, int a, int b);
int graph_split(Graph *g, int x, int offset, int count);
/* q [B, ..., C], k and v [B, ..., C] with C = heads * head_dim: any tensor is
   a sequence of rows/B tokens, so a feature map attends over its H*W positions. */
int graph_attention(Graph *g, int q, int k, int v, int heads, bool causal);
/* qkv [B, ..., 3C] holding q, k and v side by side; no copies are made. */
int graph_self_attention(Graph *g, int qkv, int heads, bool causal);
int graph_embedding(Graph *g, int indices, int table);
int graph_positional_embedding(Graph *g, int x, int channels, float max_positions, bool endpoint);
int graph_softmax_xent(Graph *g, int logits, int targets);
int graph_gumbel_softmax(Graph *g, int logits, float tau, bool hard);
int graph_weighted_mse(Graph *g, int pred, int target, int weight);

/* Forward only (ops.h): graph_backward through one of these is fatal, and
   a backend without the op refuses it here. */
/* weight [out, kh, kw, in]; padding as PyTorch's padding=(pad_h, pad_w). */
int graph_conv_general(Graph *g, int x, int weight, int bias, int stride, int pad_h, int pad_w);
int graph_max_pool(Graph *g, int x, int kernel, int stride, int pad);
/* Averages over the window's pixels inside the image (count_include_pad=False). */
int graph_avg_pool(Graph *g, int x, int kernel, int stride, int pad);
int graph_resize_bilinear(Graph *g, int x, int out_height, int out_width);
int graph_relu(Graph *g, int x);

/* The tensor backward starts from; every element is seeded with the value
   given to graph_backward (1/rows makes a per-row loss a mean). */
void graph_set_loss(Graph *g, int loss);

/* Plans and allocates all memory and initialises the parameters. */
void graph_compile(Graph *g);

/* ---- running ---- */
/* Step and global index of the first sample in this batch: they key every
   random draw inside the graph (dropout, Gumbel noise). Row r of the batch
   is global sample first_sample + r. */
void graph_set_step(Graph *g, uint32_t step, uint32_t first_sample);
/* The same when row r is global sample first_sample + r * sample_stride: a
   rank holding positions r, r + W, ... of each global batch (sharding.h)
   passes its first position and W, so every sample draws what it would
   draw in a world of any size. */
void graph_set_samples(Graph *g, uint32_t step, uint32_t first_sample, uint32_t sample_stride);
void graph_set_training(Graph *g, bool training);
void graph_forward(Graph *g);
void graph_zero_param_grads(Graph *g);
void graph_backward(Graph *g, float loss_seed);

/* Called during graph_backward after each node with the smallest offset (in
   floats of graph_param_grads) from which every parameter gradient is final;
   it never grows between calls, and the last call of a backward passes 0. A
   parameter's gradient is final once the backward of its first consumer in
   forward order has run, so a gradient all-reduce can start on the top of
   the buffer while backward still works on the bottom. NULL removes it. */
typedef void (*GraphGradsReady)(void *context, size_t final_from);
void graph_on_grads_ready(Graph *g, GraphGradsReady hook, void *context);

/* ---- access (pointers are device memory of the graph's backend) ---- */
void *graph_data(const Graph *g, int id);
float *graph_grad(const Graph *g, int id); /* NULL when the tensor has none */
size_t graph_numel(const Graph *g, int id);
Tensor graph_tensor(const Graph *g, int id);
const char *graph_name(const Graph *g, int id);
int graph_find_param(const Graph *g, const char *name); /* -1 when absent */
int graph_param_count(const Graph *g);
int graph_param_id(const Graph *g, int ordinal); /* the ordinal-th parameter */
size_t graph_param_offset(const Graph *g, int id); /* floats into the flat buffer */
float *graph_params(const Graph *g, size_t *n_floats);
/* Copies every parameter of dst that src has under the same name (same
   backend); returns how many. */
int graph_copy_params(Graph *dst, const Graph *src);
float *graph_param_grads(const Graph *g);
size_t graph_activation_bytes(const Graph *g);
Backend *graph_backend(const Graph *g);

#ifdef __cplusplus
}
#endif

#endif
