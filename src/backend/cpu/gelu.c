/* GELU in its exact form, y = x * Phi(x) with Phi the standard normal CDF,
   as torch.nn.GELU() (not the tanh approximation). */
#include <math.h>

#include "cpu_ops.h"

/* erfc keeps the left tail accurate, where 1 + erf(x) would cancel to nothing. */
static inline float normal_cdf(float x) { return 0.5f * erfcf(-x * (float)M_SQRT1_2); }

void cpu_gelu_forward(Backend *be, float *y, const float *x, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) y[i] = x[i] * normal_cdf(x[i]);
}

/* d/dx x Phi(x) = Phi(x) + x phi(x). */
void cpu_gelu_backward(Backend *be, float *dx, const float *dy, const float *x, size_t n) {
    const float inv_sqrt_2pi = 0.39894228040143268f;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float density = inv_sqrt_2pi * expf(-0.5f * x[i] * x[i]);
        dx[i] = dy[i] * (normal_cdf(x[i]) + x[i] * density);
    }
}
