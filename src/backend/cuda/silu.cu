/* SiLU: y = x * sigmoid(x), as src/backend/cpu/silu.c. */
#include "cuda_ops.h"

/* expf(-x) overflows to inf for very negative x, which still gives sigmoid 0. */
static inline __device__ float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static __global__ void silu_forward_kernel(float *y, const float *x, size_t n) {
    CUDA_FOR_EACH(i, n) y[i] = x[i] * sigmoid(x[i]);
}

static __global__ void silu_backward_kernel(float *dx, const float *dy, const float *x, size_t n) {
    CUDA_FOR_EACH(i, n) {
        float s = sigmoid(x[i]);
        dx[i] = dy[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}

void cuda_silu_forward(Backend *be, float *y, const float *x, size_t n) {
    CUDA_LAUNCH_1D(be, n, silu_forward_kernel, y, x, n);
}

void cuda_silu_backward(Backend *be, float *dx, const float *dy, const float *x, size_t n) {
    CUDA_LAUNCH_1D(be, n, silu_backward_kernel, dx, dy, x, n);
}
