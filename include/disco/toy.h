/* The paper's 2D toy (DisCo-Diff App. F): a mixture of 8 Gaussians on a
 * circle, its exact denoiser, and the metrics used to judge samples. */
#ifndef DISCO_TOY_H
#define DISCO_TOY_H

#include <stddef.h>
#include <stdint.h>

#include "disco/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TOY_MODES 8

typedef struct {
    double radius; /* 3 */
    double std;    /* per-coordinate standard deviation of each mode (0.2) */
} ToyMixture;

ToyMixture toy_default(void);
void toy_mode_mean(const ToyMixture *m, int mode, double mean[2]);
/* n points [n, 2]; point i draws its mode and noise from rows of the key
   (row = key.index + i). stratified: exactly n/8 per mode, in mode order
   (i % 8); otherwise modes are drawn uniformly. labels (may be NULL) gets
   each point's mode. */
void toy_sample(const ToyMixture *m, const RngKey *key, int n, int stratified, float *points, int32_t *labels);
/* The exact denoiser E[y | x] of the mixture under noise sigma, in double. */
void toy_exact_denoise(const ToyMixture *m, const float *x, double sigma, float *out, int n);
/* Nearest mode of each point. */
int toy_nearest_mode(const ToyMixture *m, const float point[2]);

typedef struct {
    double w2;              /* exact W2 between samples and reference (equal sizes) */
    double w2_by_mode;      /* per-mode W2 with samples grouped by nearest mode, size-weighted RMS */
    double coverage;        /* fraction of modes holding >= 10% of their share of samples */
    double off_mode;        /* fraction of samples farther than 4 std from every mode */
} ToyScores;

ToyScores toy_score(const ToyMixture *m, const float *samples, const float *reference, int n);

/* Exact 2-Wasserstein distance between two equal-size 2D point sets (each
   point weight 1/n): the optimal assignment under squared Euclidean cost,
   solved exactly (shortest augmenting paths, Jonker-Volgenant). */
double w2_exact(const float *a, const float *b, int n);

#ifdef __cplusplus
}
#endif

#endif
