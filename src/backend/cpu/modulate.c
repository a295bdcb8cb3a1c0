/* Adaptive scale/shift: y[b, t, c] = x[b, t, c] * (1 + scale[b, c]) + shift[b, c],
   where row b of scale_shift is [scale (C) | shift (C)]. */
#include "cpu_ops.h"

void cpu_modulate_forward(Backend *be, float *y, const float *x, const float *scale_shift, int batch, int tokens,
                          int channels) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < batch; b++) {
        for (int t = 0; t < tokens; t++) {
            const float *scale = scale_shift + (size_t)b * 2 * channels, *shift = scale + channels;
            const size_t row = ((size_t)b * tokens + t) * channels;
            for (int c = 0; c < channels; c++) y[row + c] = x[row + c] * (1.0f + scale[c]) + shift[c];
        }
    }
}

void cpu_modulate_backward(Backend *be, float *dx, float *dscale_shift, const float *dy, const float *x,
                           const float *scale_shift, int batch, int tokens, int channels) {
    if (dx) {
#pragma omp parallel for collapse(2) schedule(static)
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < tokens; t++) {
                const float *scale = scale_shift + (size_t)b * 2 * channels;
                const size_t row = ((size_t)b * tokens + t) * channels;
                for (int c = 0; c < channels; c++) dx[row + c] = dy[row + c] * (1.0f + scale[c]);
            }
        }
    }
    if (!dscale_shift) return;
    /* One thread per (sample, channel): the sum over tokens needs no reduction across threads. */
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < batch; b++) {
        for (int c = 0; c < channels; c++) {
            double sum_dy_x = 0, sum_dy = 0;
            for (int t = 0; t < tokens; t++) {
                size_t i = ((size_t)b * tokens + t) * channels + c;
                sum_dy_x += (double)dy[i] * x[i];
                sum_dy += dy[i];
            }
            dscale_shift[(size_t)b * 2 * channels + c] = (float)sum_dy_x;
            dscale_shift[(size_t)b * 2 * channels + channels + c] = (float)sum_dy;
        }
    }
}
