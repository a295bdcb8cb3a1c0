/* Adaptive scale/shift: y[b, t, c] = x[b, t, c] * (1 + scale[b, c]) + shift[b, c],
   where row b of scale_shift is [scale (C) | shift (C)]. */
#include "cuda_ops.h"

static __global__ void modulate_forward_kernel(float *y, const float *x, const float *scale_shift, int tokens,
                                               int channels, size_t n) {
    CUDA_FOR_EACH(i, n) {
        const size_t c = i % channels, b = i / ((size_t)tokens * channels);
        const float *row = scale_shift + b * 2 * channels;
        y[i] = x[i] * (1.0f + row[c]) + row[channels + c];
    }
}

static __global__ void modulate_dx_kernel(float *dx, const float *dy, const float *scale_shift, int tokens,
                                          int channels, size_t n) {
    CUDA_FOR_EACH(i, n) {
        const size_t c = i % channels, b = i / ((size_t)tokens * channels);
        dx[i] = dy[i] * (1.0f + scale_shift[b * 2 * channels + c]);
    }
}

void cuda_modulate_forward(Backend *be, float *y, const float *x, const float *scale_shift, int batch, int tokens,
                           int channels) {
    const size_t n = (size_t)batch * tokens * channels;
    CUDA_LAUNCH_1D(be, n, modulate_forward_kernel, y, x, scale_shift, tokens, channels, n);
}

/* dscale[b, c] = sum_t dy * x and dshift[b, c] = sum_t dy, both written (=):
   scale_shift is an activation (the output of an embedding MLP), not a
   parameter. They are reduced before dx is written, so dx may reuse dy. */
void cuda_modulate_backward(Backend *be, float *dx, float *dscale_shift, const float *dy, const float *x,
                            const float *scale_shift, int batch, int tokens, int channels) {
    const size_t n = (size_t)batch * tokens * channels, row = 2 * (size_t)channels;
    if (dscale_shift) {
        cuda_column_sum(be, dscale_shift, row, dy, x, batch, tokens, channels, 1.0f, 0.0f);
        cuda_column_sum(be, dscale_shift + channels, row, dy, NULL, batch, tokens, channels, 1.0f, 0.0f);
    }
    if (dx) CUDA_LAUNCH_1D(be, n, modulate_dx_kernel, dx, dy, scale_shift, tokens, channels, n);
}
