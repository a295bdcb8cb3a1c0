#include "disco/rng.h"

#include <math.h>

/* Round multipliers and Weyl key increments from the Philox paper. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0, c1 = n1, c2 = n2, c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

void rng_block(const RngKey *k, uint64_t j, uint32_t out[4], int *word) {
    uint64_t row = k->index, pos = j;
    if (k->row_len) {
        row += j / k->row_len;
        pos = j % k->row_len;
    }
    const uint32_t counter[4] = {(uint32_t)(pos / 4), (uint32_t)row, k->step, k->stream};
    const uint32_t key[2] = {(uint32_t)k->seed, (uint32_t)(k->seed >> 32)};
    philox4x32_10(counter, key, out);
    *word = (int)(pos % 4);
}

uint32_t rng_u32(const RngKey *k, uint64_t j) {
    uint32_t block[4];
    int word;
    rng_block(k, j, block, &word);
    return block[word];
}

float rng_uniform(const RngKey *k, uint64_t j) { return rng_u32_to_uniform(rng_u32(k, j)); }

float rng_normal(const RngKey *k, uint64_t j) {
    uint32_t block[4];
    int word;
    rng_block(k, j, block, &word);
    int pair = word / 2;
    float u1 = rng_u32_to_uniform(block[2 * pair]);
    float u2 = rng_u32_to_uniform(block[2 * pair + 1]);
    float radius = sqrtf(-2.0f * logf(u1));
    float angle = 6.2831853071795864f * u2;
    return (word % 2 == 0) ? radius * cosf(angle) : radius * sinf(angle);
}

float rng_gumbel(const RngKey *k, uint64_t j) { return -logf(-logf(rng_uniform(k, j))); }

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
