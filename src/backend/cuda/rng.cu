/* Random fills on the device: element j of the output is the host's
   rng_u32 / rng_uniform / rng_normal of (key, j). Each thread computes the
   whole Philox block of its element and keeps one word: 4x redundant work,
   but every element stays a pure function of (key, j) exactly as on the host. */
#include "cuda_ops.h"
#include "cuda_common.h"

static __global__ void rng_u32_kernel(uint32_t *out, size_t n, RngKey key) {
    CUDA_FOR_EACH(j, n) out[j] = philox_u32(&key, j);
}

static __global__ void rng_uniform_kernel(float *out, size_t n, RngKey key) {
    CUDA_FOR_EACH(j, n) out[j] = philox_uniform(&key, j);
}

static __global__ void rng_normal_kernel(float *out, size_t n, RngKey key) {
    CUDA_FOR_EACH(j, n) out[j] = philox_normal(&key, j);
}

void cuda_rng_u32(Backend *be, uint32_t *out, size_t n, RngKey key) {
    CUDA_LAUNCH_1D(be, n, rng_u32_kernel, out, n, key);
}

void cuda_rng_uniform(Backend *be, float *out, size_t n, RngKey key) {
    CUDA_LAUNCH_1D(be, n, rng_uniform_kernel, out, n, key);
}

void cuda_rng_normal(Backend *be, float *out, size_t n, RngKey key) {
    CUDA_LAUNCH_1D(be, n, rng_normal_kernel, out, n, key);
}
