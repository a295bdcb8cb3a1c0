/* Counter-based randomness: Philox-4x32-10 (Salmon et al., SC 2011).
 *
 * Every random number is a pure function of
 *   (seed, stream purpose, step, row index, position in the row),
 * so a draw for sample i never depends on the world size, the batch split,
 * the device or the order of evaluation. That is what makes resume exact and
 * 1 rank equal 8 ranks.
 *
 * Element j of a tensor drawn with key K lies in row
 * K.index + (j / K.row_len) * K.row_stride at position j % K.row_len
 * (row_len 0 means the whole tensor is row K.index; row_stride 0 means 1).
 * Its Philox block has counter {position / 4, row, step, stream} and key
 * {seed low, seed high}; the element takes word position % 4 of that block.
 * philox.h holds that mapping, shared with the CUDA kernels. */
#ifndef DISCO_RNG_H
#define DISCO_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "disco/philox.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    RNG_STREAM_INIT = 1,
    RNG_STREAM_DROPOUT = 2,
    RNG_STREAM_SIGMA = 3,
    RNG_STREAM_NOISE = 4,
    RNG_STREAM_GUMBEL = 5,
    RNG_STREAM_LATENT_DROP = 6,
    RNG_STREAM_DATA_ORDER = 7,
    RNG_STREAM_SAMPLER = 8,
    RNG_STREAM_PRIOR = 9,
    RNG_STREAM_AUGMENT = 10, /* data augmentation: horizontal flips */
    /* disco sample: row = the image's seed, as EDM seeds a generator per image */
    RNG_STREAM_SAMPLE_NOISE = 11, /* the initial noise */
    RNG_STREAM_SAMPLE_CLASS = 12, /* the class, when drawn */
    RNG_STREAM_TEST = 100,
} RngStream;

/* Ops of one kind at several places in a model (every dropout layer, say)
   each draw from their own stream: purpose in the low 8 bits, site above. */
static inline uint32_t rng_stream(RngStream purpose, uint32_t site) { return (uint32_t)purpose + 256u * site; }

void philox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

static inline uint32_t rng_u32(const RngKey *k, uint64_t j) { return philox_u32(k, j); }
/* Uniform in the open interval (0, 1). */
static inline float rng_uniform(const RngKey *k, uint64_t j) { return philox_uniform(k, j); }
/* Standard normal by Box-Muller. */
static inline float rng_normal(const RngKey *k, uint64_t j) { return philox_normal(k, j); }
/* Standard Gumbel: -log(-log(u)). */
static inline float rng_gumbel(const RngKey *k, uint64_t j) { return philox_gumbel(k, j); }

void rng_fill_u32(const RngKey *k, uint32_t *out, size_t n);
void rng_fill_uniform(const RngKey *k, float *out, size_t n);
void rng_fill_normal(const RngKey *k, float *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif
