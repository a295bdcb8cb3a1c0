/* Feature statistics and the Fréchet distance between them, as EDM's fid.py
 * computes FID (docs/fid.md).
 *
 * A feature network maps each image to a D-vector (2048 pool features for
 * Inception, the classifier's feature layer for Fashion-MNIST). The ranks
 * accumulate N, Σf and Σffᵀ of their images in float64, the sums are added
 * over ranks, and then
 *     μ = Σf / N,   Σ = (Σffᵀ − N μμᵀ) / (N − 1),
 *     FD = ‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½).
 *
 * Statistics are stored as EDM's reference .npz (arrays 'mu' (D,) and
 * 'sigma' (D, D), float64, as np.savez writes them) or as HDF5, which also
 * keeps N and the network's name. A file that is not what it should be is
 * fatal with a message naming the file and the array. */
#ifndef DISCO_FRECHET_H
#define DISCO_FRECHET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FRECHET_NETWORK_CHARS 256

/* μ and Σ of N features. */
typedef struct {
    int dim;
    int64_t count;                       /* N; 0 where the file does not say (EDM's .npz) */
    char network[FRECHET_NETWORK_CHARS]; /* the feature network's name; "" where unknown */
    double *mu;                          /* [dim] */
    double *sigma;                       /* [dim * dim], row-major, symmetric */
} FrechetStats;

void frechet_stats_free(FrechetStats *stats);

/* Running sums of features of one dimension. */
typedef struct FeatureStats FeatureStats;

FeatureStats *feature_stats_create(int dim);
void feature_stats_free(FeatureStats *s);
/* Adds `count` feature vectors: rows of dim floats. */
void feature_stats_add(FeatureStats *s, const float *features, int64_t count);
/* Collective: adds up the sums of every rank, so that each rank then holds
   the totals, bit for bit the same on all. Once, after the last add. */
void feature_stats_reduce(FeatureStats *s);
int64_t feature_stats_count(const FeatureStats *s);
/* μ and Σ of everything added (and reduced): needs N ≥ 2. network is "". */
FrechetStats feature_stats_finish(const FeatureStats *s);

/* ‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½) for symmetric positive
   semi-definite Σ1, Σ2 [dim * dim], in float64 through two symmetric
   eigendecompositions (LAPACK dsyevd). */
double frechet_distance(const double *mu1, const double *sigma1, const double *mu2, const double *sigma2, int dim);

/* EDM's reference form: 'mu' and 'sigma' only, stored entries as np.savez
   writes them. Written under "<path>.tmp", synced, then renamed. */
void stats_write_npz(const char *path, const FrechetStats *stats);
FrechetStats stats_read_npz(const char *path);
/* A whole float array ('<f4' or '<f8', C order) of rank ndim from an .npz, as
   malloc'd doubles; shape receives its size. io/npz.c reads integer arrays. */
double *stats_read_npz_array(const char *path, const char *name, int ndim, int64_t *shape);

/* HDF5: datasets /mu and /sigma (float64), root attributes format_version,
   count and network. */
void stats_write_h5(const char *path, const FrechetStats *stats);
FrechetStats stats_read_h5(const char *path);

#ifdef __cplusplus
}
#endif

#endif
