#include <math.h>

#include "cpu_ops.h"

void cpu_gumbel_softmax_forward(Backend *be, float *y, float *soft, const float *logits, int rows, int k, float tau,
                                bool hard, RngKey key) {
    float inv_tau = 1.0f / tau;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *logit = logits + (size_t)r * k;
        float *s = soft + (size_t)r * k;
        float max = -INFINITY;
        int argmax = 0;
        for (int j = 0; j < k; j++) {
            s[j] = (logit[j] + rng_gumbel(&key, (uint64_t)r * k + j)) * inv_tau;
            if (s[j] > max) max = s[j], argmax = j;
        }
        float sum = 0.0f;
        for (int j = 0; j < k; j++) {
            s[j] = expf(s[j] - max);
            sum += s[j];
        }
        float inv_sum = 1.0f / sum;
        for (int j = 0; j < k; j++) s[j] *= inv_sum;

        float *y_row = y + (size_t)r * k;
        for (int j = 0; j < k; j++) y_row[j] = hard ? (float)(j == argmax) : s[j];
    }
}

/* Straight-through: a hard forward still backpropagates through the soft sample. */
void cpu_gumbel_softmax_backward(Backend *be, float *dlogits, const float *dy, const float *soft, int rows, int k,
                                 float tau) {
    if (!dlogits) return;
    float inv_tau = 1.0f / tau;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *s = soft + (size_t)r * k, *dy_row = dy + (size_t)r * k;
        float s_dot_dy = 0.0f;
        for (int j = 0; j < k; j++) s_dot_dy += s[j] * dy_row[j];
        float *d = dlogits + (size_t)r * k;
        for (int j = 0; j < k; j++) d[j] = inv_tau * s[j] * (dy_row[j] - s_dot_dy);
    }
}
