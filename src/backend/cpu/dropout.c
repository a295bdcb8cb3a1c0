/* Dropout: the mask is a pure function of the key, so backward redraws it
   instead of storing it, and forward and backward are the same masking. */
#include <string.h>

#include "cpu_ops.h"
#include "disco/error.h"

static void apply_mask(float *out, const float *in, size_t n, float p, RngKey key) {
    DISCO_CHECK(p >= 0.0f && p <= 1.0f, "dropout probability %g is outside [0, 1]", (double)p);
    if (p == 0.0f) { /* exact identity, and no draws */
        if (out != in) memcpy(out, in, n * sizeof(float));
        return;
    }
    const float keep_scale = 1.0f / (1.0f - p); /* inf at p = 1, but then nothing is kept */
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < n; j++) out[j] = rng_uniform(&key, j) >= p ? in[j] * keep_scale : 0.0f;
}

void cpu_dropout_forward(Backend *be, float *y, const float *x, size_t n, float p, RngKey key) {
    apply_mask(y, x, n, p, key);
}

void cpu_dropout_backward(Backend *be, float *dx, const float *dy, size_t n, float p, RngKey key) {
    apply_mask(dx, dy, n, p, key);
}
