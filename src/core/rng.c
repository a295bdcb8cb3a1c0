#include "disco/rng.h"

void philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    philox4x32_10_block(counter, key, out);
}

void rng_fill_u32(const RngKey *k, uint32_t *out, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < n; j++) out[j] = rng_u32(k, j);
}

void rng_fill_uniform(const RngKey *k, float *out, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < n; j++) out[j] = rng_uniform(k, j);
}

void rng_fill_normal(const RngKey *k, float *out, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t j = 0; j < n; j++) out[j] = rng_normal(k, j);
}
