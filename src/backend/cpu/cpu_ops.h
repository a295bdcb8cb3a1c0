/* CPU implementations behind the op table; see include/disco/ops.h for
   what each op computes. */
#ifndef DISCO_CPU_OPS_H
#define DISCO_CPU_OPS_H

#include "disco/backend.h"

/* A loop over fewer floats than this runs on one thread: waking the team
   costs more than it saves, and far more on a busy machine, where a woken
   thread can wait a whole time slice for a core. */
enum { PARALLEL_MIN_FLOATS = 1 << 15 };

void *cpu_alloc(Backend *be, size_t bytes, const char *what);
void cpu_free(Backend *be, void *ptr);
void cpu_upload(Backend *be, void *dst, const void *host_src, size_t bytes);
void cpu_download(Backend *be, void *host_dst, const void *src, size_t bytes);
void cpu_copy(Backend *be, void *dst, const void *src, size_t bytes);
void cpu_zero(Backend *be, void *dst, size_t bytes);
void cpu_synchronize(Backend *be);
void cpu_rng_u32(Backend *be, uint32_t *out, size_t n, RngKey key);
void cpu_rng_uniform(Backend *be, float *out, size_t n, RngKey key);
void cpu_rng_normal(Backend *be, float *out, size_t n, RngKey key);
void cpu_linear_forward(Backend *be, float *y, const float *x, const float *w, const float *b, int rows, int in, int out);
void cpu_linear_backward(Backend *be, float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, int rows, int in, int out);
size_t cpu_conv2d_workspace(Backend *be, const Conv2dShape *s);
void cpu_conv2d_forward(Backend *be, float *y, const float *x, const float *w, const float *b, const Conv2dShape *s, void *workspace);
void cpu_conv2d_backward(Backend *be, float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, const Conv2dShape *s, void *workspace);
void cpu_downsample2x_forward(Backend *be, float *y, const float *x, int batch, int height, int width, int channels);
void cpu_downsample2x_backward(Backend *be, float *dx, const float *dy, int batch, int height, int width, int channels);
void cpu_upsample2x_forward(Backend *be, float *y, const float *x, int batch, int height, int width, int channels);
void cpu_upsample2x_backward(Backend *be, float *dx, const float *dy, int batch, int height, int width, int channels);
void cpu_group_norm_forward(Backend *be, float *y, float *stats, const float *x, const float *gamma, const float *beta, int batch, int tokens, int channels, int groups, float eps);
void cpu_group_norm_backward(Backend *be, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *stats, const float *gamma, int batch, int tokens, int channels, int groups);
void cpu_layer_norm_forward(Backend *be, float *y, float *stats, const float *x, const float *gamma, const float *beta, int rows, int channels, float eps);
void cpu_layer_norm_backward(Backend *be, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *stats, const float *gamma, int rows, int channels);
void cpu_silu_forward(Backend *be, float *y, const float *x, size_t n);
void cpu_silu_backward(Backend *be, float *dx, const float *dy, const float *x, size_t n);
void cpu_gelu_forward(Backend *be, float *y, const float *x, size_t n);
void cpu_gelu_backward(Backend *be, float *dx, const float *dy, const float *x, size_t n);
void cpu_dropout_forward(Backend *be, float *y, const float *x, size_t n, float p, RngKey key);
void cpu_dropout_backward(Backend *be, float *dx, const float *dy, size_t n, float p, RngKey key);
void cpu_modulate_forward(Backend *be, float *y, const float *x, const float *scale_shift, int batch, int tokens, int channels);
void cpu_modulate_backward(Backend *be, float *dx, float *dscale_shift, const float *dy, const float *x, const float *scale_shift, int batch, int tokens, int channels);
void cpu_add_forward(Backend *be, float *y, const float *a, const float *b, size_t n, size_t nb, float scale);
void cpu_add_backward(Backend *be, float *da, float *db, const float *dy, size_t n, size_t nb, float scale);
void cpu_concat_forward(Backend *be, float *y, const float *a, const float *b, int rows, int ca, int cb);
void cpu_concat_backward(Backend *be, float *da, float *db, const float *dy, int rows, int ca, int cb);
void cpu_split_forward(Backend *be, float *y, const float *x, int rows, int channels, int offset, int count);
void cpu_split_backward(Backend *be, float *dx, const float *dy, int rows, int channels, int offset, int count);
void cpu_attention_forward(Backend *be, float *out, float *probs, const float *q, const float *k, const float *v, const AttentionShape *s);
void cpu_attention_backward(Backend *be, float *dq, float *dk, float *dv, const float *dout, const float *q, const float *k, const float *v, const float *probs, const AttentionShape *s);
void cpu_embedding_forward(Backend *be, float *y, const int32_t *idx, const float *table, int rows, int vocab, int dim);
void cpu_embedding_backward(Backend *be, float *dtable, const float *dy, const int32_t *idx, int rows, int vocab, int dim);
void cpu_positional_embedding_forward(Backend *be, float *y, const float *x, int rows, int channels, float max_positions, bool endpoint);
void cpu_positional_embedding_backward(Backend *be, float *dx, const float *dy, const float *x, int rows, int channels, float max_positions, bool endpoint);
void cpu_softmax_xent_forward(Backend *be, float *loss, float *probs, const float *logits, const int32_t *targets, int rows, int vocab);
void cpu_softmax_xent_backward(Backend *be, float *dlogits, const float *dloss, const float *probs, const int32_t *targets, int rows, int vocab);
void cpu_gumbel_softmax_forward(Backend *be, float *y, float *soft, const float *logits, int rows, int k, float tau, bool hard, RngKey key);
void cpu_gumbel_softmax_backward(Backend *be, float *dlogits, const float *dy, const float *soft, int rows, int k, float tau);
void cpu_weighted_mse_forward(Backend *be, float *loss, const float *pred, const float *target, const float *weight, int rows, int dim);
void cpu_weighted_mse_backward(Backend *be, float *dpred, float *dtarget, const float *dloss, const float *pred, const float *target, const float *weight, int rows, int dim);
size_t cpu_conv_general_workspace(Backend *be, const ConvGeneralShape *s);
void cpu_conv_general_forward(Backend *be, float *y, const float *x, const float *w, const float *b, const ConvGeneralShape *s, void *workspace);
void cpu_max_pool_forward(Backend *be, float *y, const float *x, const PoolShape *s);
void cpu_avg_pool_forward(Backend *be, float *y, const float *x, const PoolShape *s);
void cpu_resize_bilinear_forward(Backend *be, float *y, const float *x, int batch, int height, int width, int channels, int out_height, int out_width);
void cpu_relu_forward(Backend *be, float *y, const float *x, size_t n);

#endif
