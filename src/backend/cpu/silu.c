/* SiLU: y = x * sigmoid(x). */
#include <math.h>

#include "cpu_ops.h"

/* expf(-x) overflows to inf for very negative x, which still gives sigmoid 0. */
static inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

void cpu_silu_forward(Backend *be, float *y, const float *x, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = x[i] * sigmoid(x[i]);
}

void cpu_silu_backward(Backend *be, float *dx, const float *dy, const float *x, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float s = sigmoid(x[i]);
        dx[i] = dy[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}
