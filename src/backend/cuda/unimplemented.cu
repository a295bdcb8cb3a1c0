/* Table entries that have no CUDA kernel yet. Each stops the program with
   the op's name, so a model that needs one fails with a clear message, not
   a crash. When an op gets its kernel, it moves into its own <op>.cu,
   named as its CPU file. */
#include "cuda_ops.h"

size_t cuda_conv2d_workspace(Backend *be, const Conv2dShape *s) {
    DISCO_FATAL("conv2d_workspace is not implemented on CUDA yet");
}

void cuda_conv2d_forward(Backend *be, float *y, const float *x, const float *w, const float *b, const Conv2dShape *s,
                         void *workspace) {
    DISCO_FATAL("conv2d_forward is not implemented on CUDA yet");
}

void cuda_conv2d_backward(Backend *be, float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                          const Conv2dShape *s, void *workspace) {
    DISCO_FATAL("conv2d_backward is not implemented on CUDA yet");
}

void cuda_downsample2x_forward(Backend *be, float *y, const float *x, int batch, int height, int width, int channels) {
    DISCO_FATAL("downsample2x_forward is not implemented on CUDA yet");
}

void cuda_downsample2x_backward(Backend *be, float *dx, const float *dy, int batch, int height, int width,
                                int channels) {
    DISCO_FATAL("downsample2x_backward is not implemented on CUDA yet");
}

void cuda_upsample2x_forward(Backend *be, float *y, const float *x, int batch, int height, int width, int channels) {
    DISCO_FATAL("upsample2x_forward is not implemented on CUDA yet");
}

void cuda_upsample2x_backward(Backend *be, float *dx, const float *dy, int batch, int height, int width, int channels) {
    DISCO_FATAL("upsample2x_backward is not implemented on CUDA yet");
}

void cuda_layer_norm_forward(Backend *be, float *y, float *stats, const float *x, const float *gamma, const float *beta,
                             int rows, int channels, float eps) {
    DISCO_FATAL("layer_norm_forward is not implemented on CUDA yet");
}

void cuda_layer_norm_backward(Backend *be, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                              const float *stats, const float *gamma, int rows, int channels) {
    DISCO_FATAL("layer_norm_backward is not implemented on CUDA yet");
}

void cuda_attention_forward(Backend *be, float *out, float *probs, const float *q, const float *k, const float *v,
                            const AttentionShape *s) {
    DISCO_FATAL("attention_forward is not implemented on CUDA yet");
}

void cuda_attention_backward(Backend *be, float *dq, float *dk, float *dv, const float *dout, const float *q,
                             const float *k, const float *v, const float *probs, const AttentionShape *s) {
    DISCO_FATAL("attention_backward is not implemented on CUDA yet");
}

void cuda_embedding_forward(Backend *be, float *y, const int32_t *idx, const float *table, int rows, int vocab,
                            int dim) {
    DISCO_FATAL("embedding_forward is not implemented on CUDA yet");
}

void cuda_embedding_backward(Backend *be, float *dtable, const float *dy, const int32_t *idx, int rows, int vocab,
                             int dim) {
    DISCO_FATAL("embedding_backward is not implemented on CUDA yet");
}

void cuda_positional_embedding_forward(Backend *be, float *y, const float *x, int rows, int channels,
                                       float max_positions, bool endpoint) {
    DISCO_FATAL("positional_embedding_forward is not implemented on CUDA yet");
}

void cuda_positional_embedding_backward(Backend *be, float *dx, const float *dy, const float *x, int rows, int channels,
                                        float max_positions, bool endpoint) {
    DISCO_FATAL("positional_embedding_backward is not implemented on CUDA yet");
}

void cuda_softmax_xent_forward(Backend *be, float *loss, float *probs, const float *logits, const int32_t *targets,
                               int rows, int vocab) {
    DISCO_FATAL("softmax_xent_forward is not implemented on CUDA yet");
}

void cuda_softmax_xent_backward(Backend *be, float *dlogits, const float *dloss, const float *probs,
                                const int32_t *targets, int rows, int vocab) {
    DISCO_FATAL("softmax_xent_backward is not implemented on CUDA yet");
}

void cuda_gumbel_softmax_forward(Backend *be, float *y, float *soft, const float *logits, int rows, int k, float tau,
                                 bool hard, RngKey key) {
    DISCO_FATAL("gumbel_softmax_forward is not implemented on CUDA yet");
}

void cuda_gumbel_softmax_backward(Backend *be, float *dlogits, const float *dy, const float *soft, int rows, int k,
                                  float tau) {
    DISCO_FATAL("gumbel_softmax_backward is not implemented on CUDA yet");
}

void cuda_weighted_mse_forward(Backend *be, float *loss, const float *pred, const float *target, const float *weight,
                               int rows, int dim) {
    DISCO_FATAL("weighted_mse_forward is not implemented on CUDA yet");
}

void cuda_weighted_mse_backward(Backend *be, float *dpred, float *dtarget, const float *dloss, const float *pred,
                                const float *target, const float *weight, int rows, int dim) {
    DISCO_FATAL("weighted_mse_backward is not implemented on CUDA yet");
}
