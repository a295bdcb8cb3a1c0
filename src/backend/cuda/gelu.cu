/* Exact GELU, y = x * Phi(x), as src/backend/cpu/gelu.c (torch.nn.GELU()). */
#include "cuda_ops.h"

/* erfc keeps the left tail accurate, where 1 + erf(x) would cancel to nothing. */
static inline __device__ float normal_cdf(float x) { return 0.5f * erfcf(-x * 0.70710678118654752f); }

static __global__ void gelu_forward_kernel(float *y, const float *x, size_t n) {
    CUDA_FOR_EACH(i, n) y[i] = x[i] * normal_cdf(x[i]);
}

/* d/dx x Phi(x) = Phi(x) + x phi(x). */
static __global__ void gelu_backward_kernel(float *dx, const float *dy, const float *x, size_t n) {
    const float inv_sqrt_2pi = 0.39894228040143268f;
    CUDA_FOR_EACH(i, n) {
        float density = inv_sqrt_2pi * expf(-0.5f * x[i] * x[i]);
        dx[i] = dy[i] * (normal_cdf(x[i]) + x[i] * density);
    }
}

void cuda_gelu_forward(Backend *be, float *y, const float *x, size_t n) {
    CUDA_LAUNCH_1D(be, n, gelu_forward_kernel, y, x, n);
}

void cuda_gelu_backward(Backend *be, float *dx, const float *dy, const float *x, size_t n) {
    CUDA_LAUNCH_1D(be, n, gelu_backward_kernel, dx, dy, x, n);
}
