/* Every op the models are built from: one declaration here, one CPU and one
 * CUDA implementation behind the function table below.
 *
 * Conventions (all ops):
 *  - Pointers are device memory of the backend that runs the op; fp32 unless
 *    a name says otherwise; tensors are dense and row-major, feature maps NHWC.
 *  - A backward accumulates (+=) the gradients of parameters: dw and db of
 *    linear and conv2d, dgamma and dbeta of the norms, dtable of embedding.
 *    It writes (=) every other gradient, scale_shift's and add's db
 *    included. A NULL gradient pointer means "not needed". A written
 *    gradient never shares memory with dy.
 *  - "rows" is the product of all leading dimensions (batch x tokens).
 *  - Linear and conv weights are [out, in] and [out, kh, kw, in] in memory
 *    (conv: PyTorch's [out, in, kh, kw] permuted to channels-last, the layout
 *    cuDNN calls NHWC filters); checkpoints convert at the boundary.
 *  - Buffers an op saves for its backward (norm statistics, attention
 *    probabilities, softmax outputs) are passed in by the caller, sized as
 *    each op documents, so the graph plans them with the activations. */
#ifndef DISCO_OPS_H
#define DISCO_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disco/rng.h"
#include "disco/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct Backend Backend;

typedef struct {
    int batch, height, width; /* input = output spatial size (stride 1, pad kernel/2) */
    int in_channels, out_channels;
    int kernel; /* 1 or 3 */
} Conv2dShape;

typedef struct {
    int batch;
    int q_len, kv_len;
    int heads, head_dim;
    /* Floats between consecutive tokens of q, k and v (and their gradients).
       heads*head_dim for separate tensors; 3*heads*head_dim lets q, k and v
       point into one fused [rows, 3C] projection. out is dense [B, q_len, H*D]. */
    int q_stride, k_stride, v_stride;
    bool causal; /* query i sees keys 0..i (q_len == kv_len) */
} AttentionShape;

/* A convolution of any kernel, stride and zero padding (forward only). */
typedef struct {
    int batch, height, width, in_channels; /* the input [B, H, W, in] */
    int out_channels;
    int kernel_h, kernel_w;
    int stride;       /* the same along both axes */
    int pad_h, pad_w; /* zeros above and below, left and right, as PyTorch's padding=(pad_h, pad_w) */
} ConvGeneralShape;

/* Max or average pooling over square windows (forward only). */
typedef struct {
    int batch, height, width, channels; /* the input [B, H, W, C] */
    int kernel, stride;
    int pad; /* at most kernel / 2, so every window holds a pixel of the image */
} PoolShape;

/* Output length of a window op along one axis: PyTorch's rule, rounding down. */
static inline int window_output_size(int in, int kernel, int stride, int pad) {
    return (in + 2 * pad - kernel) / stride + 1;
}

typedef struct {
    /* ---- memory ---- */
    void *(*alloc)(Backend *be, size_t bytes, const char *what);
    void (*free)(Backend *be, void *ptr);
    void (*upload)(Backend *be, void *dst, const void *host_src, size_t bytes);
    void (*download)(Backend *be, void *host_dst, const void *src, size_t bytes);
    void (*copy)(Backend *be, void *dst, const void *src, size_t bytes); /* regions must not overlap */
    void (*zero)(Backend *be, void *dst, size_t bytes);
    void (*synchronize)(Backend *be);

    /* ---- randomness (same numbers as the host functions in rng.h) ---- */
    void (*rng_u32)(Backend *be, uint32_t *out, size_t n, RngKey key);
    void (*rng_uniform)(Backend *be, float *out, size_t n, RngKey key);
    void (*rng_normal)(Backend *be, float *out, size_t n, RngKey key);

    /* ---- linear: y[rows, out] = x[rows, in] w[out, in]^T + b[out] (b may be NULL) ---- */
    void (*linear_forward)(Backend *be, float *y, const float *x, const float *w, const float *b,
                           int rows, int in, int out);
    void (*linear_backward)(Backend *be, float *dx, float *dw, float *db, const float *dy,
                            const float *x, const float *w, int rows, int in, int out);

    /* ---- conv2d, stride 1, zero padding kernel/2, NHWC ----
       Scratch: conv2d_workspace(shape) bytes, passed to forward and backward. */
    size_t (*conv2d_workspace)(Backend *be, const Conv2dShape *s);
    void (*conv2d_forward)(Backend *be, float *y, const float *x, const float *w, const float *b,
                           const Conv2dShape *s, void *workspace);
    void (*conv2d_backward)(Backend *be, float *dx, float *dw, float *db, const float *dy,
                            const float *x, const float *w, const Conv2dShape *s, void *workspace);

    /* ---- resampling: x is [batch, height, width, channels] ----
       downsample: 2x2 box average to [B, H/2, W/2, C] (H, W even);
       upsample: nearest to [B, 2H, 2W, C]. */
    void (*downsample2x_forward)(Backend *be, float *y, const float *x, int batch, int height, int width, int channels);
    void (*downsample2x_backward)(Backend *be, float *dx, const float *dy, int batch, int height, int width, int channels);
    void (*upsample2x_forward)(Backend *be, float *y, const float *x, int batch, int height, int width, int channels);
    void (*upsample2x_backward)(Backend *be, float *dx, const float *dy, int batch, int height, int width, int channels);

    /* ---- group norm over [batch, tokens, channels], channels split into
       `groups` contiguous groups; stats holds [batch, groups] means then
       [batch, groups] reciprocal standard deviations (2*batch*groups floats). ---- */
    void (*group_norm_forward)(Backend *be, float *y, float *stats, const float *x, const float *gamma,
                               const float *beta, int batch, int tokens, int channels, int groups, float eps);
    void (*group_norm_backward)(Backend *be, float *dx, float *dgamma, float *dbeta, const float *dy,
                                const float *x, const float *stats, const float *gamma, int batch, int tokens,
                                int channels, int groups);

    /* ---- layer norm over the last dim of [rows, channels]; stats: rows means
       then rows reciprocal standard deviations (2*rows floats). ---- */
    void (*layer_norm_forward)(Backend *be, float *y, float *stats, const float *x, const float *gamma,
                               const float *beta, int rows, int channels, float eps);
    void (*layer_norm_backward)(Backend *be, float *dx, float *dgamma, float *dbeta, const float *dy,
                                const float *x, const float *stats, const float *gamma, int rows, int channels);

    /* ---- activations (GELU is the exact erf form, as torch.nn.GELU()) ---- */
    void (*silu_forward)(Backend *be, float *y, const float *x, size_t n);
    void (*silu_backward)(Backend *be, float *dx, const float *dy, const float *x, size_t n);
    void (*gelu_forward)(Backend *be, float *y, const float *x, size_t n);
    void (*gelu_backward)(Backend *be, float *dx, const float *dy, const float *x, size_t n);

    /* ---- dropout: element j is kept iff rng_uniform(key, j) >= p, and kept
       values are scaled by 1/(1-p). The mask is recomputed in backward. ---- */
    void (*dropout_forward)(Backend *be, float *y, const float *x, size_t n, float p, RngKey key);
    void (*dropout_backward)(Backend *be, float *dx, const float *dy, size_t n, float p, RngKey key);

    /* ---- modulation: y = x * (1 + scale) + shift with x [batch, tokens, C]
       and scale_shift [batch, 2C] (scale first, as EDM's chunk(2)). ---- */
    void (*modulate_forward)(Backend *be, float *y, const float *x, const float *scale_shift, int batch,
                             int tokens, int channels);
    void (*modulate_backward)(Backend *be, float *dx, float *dscale_shift, const float *dy, const float *x,
                              const float *scale_shift, int batch, int tokens, int channels);

    /* ---- add: y[i] = scale * (a[i] + b[i % nb]); nb divides n (nb == n for
       plain addition, smaller to broadcast b over leading dims). ---- */
    void (*add_forward)(Backend *be, float *y, const float *a, const float *b, size_t n, size_t nb, float scale);
    void (*add_backward)(Backend *be, float *da, float *db, const float *dy, size_t n, size_t nb, float scale);

    /* ---- channel concat [rows, ca] ++ [rows, cb] -> [rows, ca+cb], and
       split: y[rows, count] = x[rows, offset .. offset+count) of [rows, channels]
       (its backward writes zeros outside the slice). ---- */
    void (*concat_forward)(Backend *be, float *y, const float *a, const float *b, int rows, int ca, int cb);
    void (*concat_backward)(Backend *be, float *da, float *db, const float *dy, int rows, int ca, int cb);
    void (*split_forward)(Backend *be, float *y, const float *x, int rows, int channels, int offset, int count);
    void (*split_backward)(Backend *be, float *dx, const float *dy, int rows, int channels, int offset, int count);

    /* ---- multi-head scaled dot-product attention, logits scaled by
       1/sqrt(head_dim), softmax over keys in fp32.
       probs: [batch, heads, q_len, kv_len] softmax saved for backward. ---- */
    void (*attention_forward)(Backend *be, float *out, float *probs, const float *q, const float *k,
                              const float *v, const AttentionShape *s);
    void (*attention_backward)(Backend *be, float *dq, float *dk, float *dv, const float *dout, const float *q,
                               const float *k, const float *v, const float *probs, const AttentionShape *s);

    /* ---- embedding: y[r] = table[idx[r]] with table [vocab, dim]; an index
       outside [0, vocab) is a fatal error naming the row. ---- */
    void (*embedding_forward)(Backend *be, float *y, const int32_t *idx, const float *table, int rows, int vocab,
                              int dim);
    void (*embedding_backward)(Backend *be, float *dtable, const float *dy, const int32_t *idx, int rows,
                               int vocab, int dim);

    /* ---- sinusoidal embedding of scalars x[rows] into [rows, channels]:
       f_j = (1/max_positions)^(j / (channels/2 - endpoint)), j < channels/2;
       y = [cos(x f), sin(x f)] (EDM's PositionalEmbedding). ---- */
    void (*positional_embedding_forward)(Backend *be, float *y, const float *x, int rows, int channels,
                                         float max_positions, bool endpoint);
    void (*positional_embedding_backward)(Backend *be, float *dx, const float *dy, const float *x, int rows,
                                          int channels, float max_positions, bool endpoint);

    /* ---- softmax cross-entropy per row: loss[r] = -log softmax(logits[r])[target[r]];
       probs [rows, vocab] saved for backward; a target outside [0, vocab) is fatal. ---- */
    void (*softmax_xent_forward)(Backend *be, float *loss, float *probs, const float *logits,
                                 const int32_t *targets, int rows, int vocab);
    void (*softmax_xent_backward)(Backend *be, float *dlogits, const float *dloss, const float *probs,
                                  const int32_t *targets, int rows, int vocab);

    /* ---- Gumbel-softmax over [rows, k]: soft = softmax((logits + g) / tau),
       g[j] = rng_gumbel(key, j). Output is soft, or with `hard` the one-hot of
       its argmax (straight-through: the backward is the soft one's). ---- */
    void (*gumbel_softmax_forward)(Backend *be, float *y, float *soft, const float *logits, int rows, int k,
                                   float tau, bool hard, RngKey key);
    void (*gumbel_softmax_backward)(Backend *be, float *dlogits, const float *dy, const float *soft, int rows,
                                    int k, float tau);

    /* ---- weighted MSE per row: loss[r] = weight[r] * sum_d (pred - target)^2 ---- */
    void (*weighted_mse_forward)(Backend *be, float *loss, const float *pred, const float *target,
                                 const float *weight, int rows, int dim);
    void (*weighted_mse_backward)(Backend *be, float *dpred, float *dtarget, const float *dloss, const float *pred,
                                  const float *target, const float *weight, int rows, int dim);

    /* ==== Forward only: ops of the FID Inception network (docs/fid_inception.md),
       which is never trained, so they have no backward; no CUDA kernel yet
       either (a table without them leaves them NULL, and the graph refuses
       to build such a node). ==== */

    /* ---- conv2d of any kh x kw kernel, stride and zero padding, NHWC,
       weights [out, kh, kw, in]; y is [B, OH, OW, out] with OH =
       window_output_size(H, kh, stride, pad_h) and OW likewise.
       Scratch: conv_general_workspace(shape) bytes. ---- */
    size_t (*conv_general_workspace)(Backend *be, const ConvGeneralShape *s);
    void (*conv_general_forward)(Backend *be, float *y, const float *x, const float *w, const float *b,
                                 const ConvGeneralShape *s, void *workspace);

    /* ---- pooling to [B, OH, OW, C] (window_output_size per axis). Padding
       never counts: max takes the largest pixel of the window inside the
       image, average divides by how many pixels of the window lie inside it
       (PyTorch's count_include_pad=False, TensorFlow's average pool). ---- */
    void (*max_pool_forward)(Backend *be, float *y, const float *x, const PoolShape *s);
    void (*avg_pool_forward)(Backend *be, float *y, const float *x, const PoolShape *s);

    /* ---- bilinear resize [B, H, W, C] -> [B, OH, OW, C]: output pixel (i, j)
       interpolates the input at row i*H/OH and column j*W/OW, coordinates
       clamped to the last row and column (no half-pixel offset; the grid of
       EDM's Inception, SPEC 3.9). ---- */
    void (*resize_bilinear_forward)(Backend *be, float *y, const float *x, int batch, int height, int width,
                                    int channels, int out_height, int out_width);

    /* ---- y = max(x, 0); a NaN stays NaN ---- */
    void (*relu_forward)(Backend *be, float *y, const float *x, size_t n);
} OpTable;

#ifdef __cplusplus
}
#endif

#endif
