/* The CUDA backend: one device, one stream that every op runs on in call
   order, one cuBLAS handle bound to that stream. Ops must be called from a
   thread whose current device is this backend's (the creating thread is). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cuda_ops.h"

static const OpTable cuda_table = {
    .alloc = cuda_alloc,
    .free = cuda_free,
    .upload = cuda_upload,
    .download = cuda_download,
    .copy = cuda_copy,
    .zero = cuda_zero,
    .synchronize = cuda_synchronize,
    .rng_u32 = cuda_rng_u32,
    .rng_uniform = cuda_rng_uniform,
    .rng_normal = cuda_rng_normal,
    .linear_forward = cuda_linear_forward,
    .linear_backward = cuda_linear_backward,
    .conv2d_workspace = cuda_conv2d_workspace,
    .conv2d_forward = cuda_conv2d_forward,
    .conv2d_backward = cuda_conv2d_backward,
    .downsample2x_forward = cuda_downsample2x_forward,
    .downsample2x_backward = cuda_downsample2x_backward,
    .upsample2x_forward = cuda_upsample2x_forward,
    .upsample2x_backward = cuda_upsample2x_backward,
    .group_norm_forward = cuda_group_norm_forward,
    .group_norm_backward = cuda_group_norm_backward,
    .layer_norm_forward = cuda_layer_norm_forward,
    .layer_norm_backward = cuda_layer_norm_backward,
    .silu_forward = cuda_silu_forward,
    .silu_backward = cuda_silu_backward,
    .gelu_forward = cuda_gelu_forward,
    .gelu_backward = cuda_gelu_backward,
    .dropout_forward = cuda_dropout_forward,
    .dropout_backward = cuda_dropout_backward,
    .modulate_forward = cuda_modulate_forward,
    .modulate_backward = cuda_modulate_backward,
    .add_forward = cuda_add_forward,
    .add_backward = cuda_add_backward,
    .concat_forward = cuda_concat_forward,
    .concat_backward = cuda_concat_backward,
    .split_forward = cuda_split_forward,
    .split_backward = cuda_split_backward,
    .attention_forward = cuda_attention_forward,
    .attention_backward = cuda_attention_backward,
    .embedding_forward = cuda_embedding_forward,
    .embedding_backward = cuda_embedding_backward,
    .positional_embedding_forward = cuda_positional_embedding_forward,
    .positional_embedding_backward = cuda_positional_embedding_backward,
    .softmax_xent_forward = cuda_softmax_xent_forward,
    .softmax_xent_backward = cuda_softmax_xent_backward,
    .gumbel_softmax_forward = cuda_gumbel_softmax_forward,
    .gumbel_softmax_backward = cuda_gumbel_softmax_backward,
    .weighted_mse_forward = cuda_weighted_mse_forward,
    .weighted_mse_backward = cuda_weighted_mse_backward,
};

int backend_cuda_device_count(void) {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

bool backend_cuda_available(void) { return backend_cuda_device_count() > 0; }

/* Sets *why to a formatted reason and returns NULL. The reason lives in a
   static buffer: backends are created once, at start-up, on one thread. */
__attribute__((format(printf, 2, 3))) static Backend *refuse(const char **why, const char *fmt, ...) {
    static char reason[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(reason, sizeof reason, fmt, args);
    va_end(args);
    *why = reason;
    return NULL;
}

Backend *backend_cuda_create(int device_index, Precision precision, const char **why) {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) return refuse(why, "cudaGetDeviceCount failed: %s", cudaGetErrorString(err));
    if (count == 0) return refuse(why, "the driver reports no CUDA device");
    if (device_index < 0 || device_index >= count)
        return refuse(why, "device %d was asked for, but this machine has %d", device_index, count);
    /* Creating the context is the first point where a present device can
       still be unusable (exclusive mode, out of memory): not fatal either. */
    err = cudaSetDevice(device_index);
    if (err != cudaSuccess) return refuse(why, "cudaSetDevice(%d) failed: %s", device_index, cudaGetErrorString(err));

    CudaState *state = (CudaState *)disco_calloc(1, sizeof(CudaState), "CUDA backend state");
    state->device = device_index;
    /* Non-blocking: the stream never waits on work queued by other code on
       the legacy default stream. */
    CUDA_CHECK(cudaStreamCreateWithFlags(&state->stream, cudaStreamNonBlocking));
    CUBLAS_CHECK(cublasCreate(&state->cublas));
    CUBLAS_CHECK(cublasSetStream(state->cublas, state->stream));

    Backend *be = (Backend *)disco_calloc(1, sizeof(Backend), "CUDA backend");
    be->device = DEVICE_CUDA;
    be->precision = precision;
    be->ops = &cuda_table;
    be->impl = state;
    return be;
}

void *backend_cuda_stream(const Backend *be) {
    return be->device == DEVICE_CUDA ? (void *)((const CudaState *)be->impl)->stream : NULL;
}

void backend_cuda_destroy(Backend *be) {
    if (!be) return;
    CudaState *state = cuda_state(be);
    CUDA_CHECK(cudaSetDevice(state->device)); /* the handle and stream belong to it */
    CUDA_CHECK(cudaStreamSynchronize(state->stream));
    CUBLAS_CHECK(cublasDestroy(state->cublas));
    CUDA_CHECK(cudaStreamDestroy(state->stream));
    free(state);
    free(be);
}
