/* Philox-4x32-10 and the element -> number mapping of rng.h, written once
   for both the host and the device: the CUDA kernels include this header, so
   a GPU draw equals the host draw for the same key and element (bit for bit
   for u32 and uniform; normal and Gumbel to libm rounding). */
#ifndef DISCO_PHILOX_H
#define DISCO_PHILOX_H

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define DISCO_HOST_DEVICE __host__ __device__
#else
#define DISCO_HOST_DEVICE
#endif

typedef struct {
    uint64_t seed;
    uint32_t stream;
    uint32_t step;
    uint32_t index;   /* row of element 0, e.g. the global index of the first sample */
    uint64_t row_len; /* elements per row; 0 = all elements are in row `index` */
    /* Rows between consecutive rows of the tensor (0 means 1): a rank that
       holds every W-th sample of a global batch draws with stride W. */
    uint32_t row_stride;
} RngKey;

/* Round multipliers and Weyl key increments from the Philox paper. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline DISCO_HOST_DEVICE void philox4x32_10_block(const uint32_t counter[4], const uint32_t key[2],
                                                         uint32_t out[4]) {
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

/* The Philox block that holds element j of a draw with key k, and j's word in it. */
static inline DISCO_HOST_DEVICE void philox_element_block(const RngKey *k, uint64_t j, uint32_t out[4], int *word) {
    uint64_t row = k->index, pos = j;
    if (k->row_len) {
        row += j / k->row_len * (k->row_stride ? k->row_stride : 1);
        pos = j % k->row_len;
    }
    const uint32_t counter[4] = {(uint32_t)(pos / 4), (uint32_t)row, k->step, k->stream};
    const uint32_t key[2] = {(uint32_t)k->seed, (uint32_t)(k->seed >> 32)};
    philox4x32_10_block(counter, key, out);
    *word = (int)(pos % 4);
}

/* Uniform in the open interval (0, 1): 23 random bits, centred in their
   cell. With 24 bits the top cell's centre, 2^24 - 0.5, does not fit a
   float's mantissa and rounds to 2^24, i.e. u = 1, and -log(-log(u)) = inf. */
static inline DISCO_HOST_DEVICE float philox_to_uniform(uint32_t x) {
    return ((float)(x >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

static inline DISCO_HOST_DEVICE uint32_t philox_u32(const RngKey *k, uint64_t j) {
    uint32_t block[4];
    int word;
    philox_element_block(k, j, block, &word);
    return block[word];
}

static inline DISCO_HOST_DEVICE float philox_uniform(const RngKey *k, uint64_t j) {
    return philox_to_uniform(philox_u32(k, j));
}

/* Box-Muller on the pair of words that holds j: each block gives two pairs. */
static inline DISCO_HOST_DEVICE float philox_normal(const RngKey *k, uint64_t j) {
    uint32_t block[4];
    int word;
    philox_element_block(k, j, block, &word);
    int pair = word / 2;
    float u1 = philox_to_uniform(block[2 * pair]);
    float u2 = philox_to_uniform(block[2 * pair + 1]);
    float radius = sqrtf(-2.0f * logf(u1));
    float angle = 6.2831853071795864f * u2;
    return (word % 2 == 0) ? radius * cosf(angle) : radius * sinf(angle);
}

/* Standard Gumbel: -log(-log(u)). */
static inline DISCO_HOST_DEVICE float philox_gumbel(const RngKey *k, uint64_t j) {
    return -logf(-logf(philox_uniform(k, j)));
}

#endif
