/* Dropout: element j is kept iff rng_uniform(key, j) >= p, and kept values
   are scaled by 1/(1-p). The mask is a pure function of the key, so backward
   redraws it, and forward and backward are the same masking; the uniforms are
   bit-identical to the host's, so the mask equals the CPU backend's. */
#include "cuda_ops.h"
#include "cuda_common.h"

/* keep_scale is inf at p = 1, but then nothing is kept. */
static __global__ void dropout_kernel(float *out, const float *in, size_t n, float p, float keep_scale, RngKey key) {
    CUDA_FOR_EACH(j, n) out[j] = philox_uniform(&key, j) >= p ? in[j] * keep_scale : 0.0f;
}

static void apply_mask(Backend *be, float *out, const float *in, size_t n, float p, RngKey key) {
    DISCO_CHECK(p >= 0.0f && p <= 1.0f, "dropout probability %g is outside [0, 1]", (double)p);
    if (p == 0.0f) { /* exact identity, and no draws */
        cuda_copy(be, out, in, n * sizeof(float));
        return;
    }
    CUDA_LAUNCH_1D(be, n, dropout_kernel, out, in, n, p, 1.0f / (1.0f - p), key);
}

void cuda_dropout_forward(Backend *be, float *y, const float *x, size_t n, float p, RngKey key) {
    apply_mask(be, y, x, n, p, key);
}

void cuda_dropout_backward(Backend *be, float *dx, const float *dy, size_t n, float p, RngKey key) {
    apply_mask(be, dx, dy, n, p, key);
}
