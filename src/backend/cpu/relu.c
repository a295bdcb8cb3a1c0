/* ReLU, forward only (the FID Inception network is never trained). */
#include "cpu_ops.h"

void cpu_relu_forward(Backend *be, float *y, const float *x, size_t n) {
    /* "x < 0 ? 0 : x" rather than fmaxf: a NaN passes through, as in
       PyTorch, instead of hiding as 0 in the features. */
#pragma omp parallel for schedule(static) if (n >= PARALLEL_MIN_FLOATS)
    for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}
