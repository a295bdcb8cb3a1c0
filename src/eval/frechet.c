/* The Fréchet distance between two Gaussians, through symmetric
   eigendecompositions instead of a general matrix square root.

   fid.py takes tr sqrtm(Σ1 Σ2) with scipy's Schur-based sqrtm. For
   symmetric positive semi-definite Σ1 = V W Vᵀ, let F = W^½ Vᵀ (so Σ1 = FᵀF).
   Σ1 Σ2 = Fᵀ (F Σ2) and F Σ2 Fᵀ = (F Σ2) Fᵀ are products of the same two
   factors in both orders, so they have the same eigenvalues; those of the
   symmetric PSD M = F Σ2 Fᵀ are real and ≥ 0. The principal square root of
   Σ1 Σ2 has their square roots as eigenvalues, hence
       tr sqrtm(Σ1 Σ2) = Σ_i √λ_i(M).
   M is symmetric, so LAPACK's dsyevd gives its eigenvalues to within
   rounding of ‖M‖, where sqrtm works on a non-symmetric matrix. docs/fid.md
   has the comparison with scipy on the test fixtures. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <cblas.h>

#include "disco/error.h"
#include "disco/frechet.h"

/* LAPACK from OpenBLAS, which ships no LAPACKE header: the Fortran symbol,
   every argument by reference and the lengths of the character arguments
   last, as gfortran passes them. */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t jobz_length,
                    size_t uplo_length);

/* Eigenvalues of the symmetric a [dim * dim] into w, ascending; with
   vectors, a's rows become the eigenvectors (its columns in LAPACK's column
   order), otherwise a is destroyed. */
static void symmetric_eigen(double *a, double *w, int dim, bool vectors) {
    const char *jobz = vectors ? "V" : "N";
    int info = 0, query = -1, lwork, liwork;
    double work_size;
    dsyevd_(jobz, "U", &dim, a, &dim, w, &work_size, &query, &liwork, &query, &info, 1, 1);
    DISCO_CHECK(info == 0, "Fréchet distance: dsyevd's workspace query failed (info %d)", info);
    lwork = (int)work_size;
    double *work = disco_malloc((size_t)lwork * sizeof *work, "dsyevd workspace");
    int *iwork = disco_malloc((size_t)liwork * sizeof *iwork, "dsyevd integer workspace");
    dsyevd_(jobz, "U", &dim, a, &dim, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work);
    free(iwork);
    DISCO_CHECK(info == 0, "Fréchet distance: the eigendecomposition of a %dx%d matrix did not converge "
                "(dsyevd info %d)", dim, dim, info);
}

/* Eigenvalues below dim · ε · the largest are what rounding leaves of zeros:
   a covariance of N ≤ D features has D − N + 1 of them. Taken as 0, they add
   nothing; taken as they come, each would add a spurious √(ε‖Σ‖) ≈ 1e-8‖Σ‖^½
   (scipy's sqrtm carries errors of that size there, docs/fid.md). */
static void zero_rounding_noise(double *w, int dim) {
    double noise_floor = fmax(dim * DBL_EPSILON * w[dim - 1], 0);
    for (int i = 0; i < dim; i++)
        if (w[i] <= noise_floor) w[i] = 0;
}

/* (a + aᵀ) / 2: what the eigensolver, which reads one triangle, should see of
   a matrix that is symmetric only up to rounding. */
static void symmetrize(double *a, int dim) {
    for (int j = 0; j < dim; j++)
        for (int k = j + 1; k < dim; k++) {
            double mean = 0.5 * (a[(size_t)j * dim + k] + a[(size_t)k * dim + j]);
            a[(size_t)j * dim + k] = a[(size_t)k * dim + j] = mean;
        }
}

static double trace_sqrt_product(const double *sigma1, const double *sigma2, int dim) {
    size_t cells = (size_t)dim * dim;
    double *factor = disco_malloc(cells * sizeof *factor, "Σ1's eigenvectors");
    double *product = disco_malloc(cells * sizeof *product, "F Σ2");
    double *m = disco_malloc(cells * sizeof *m, "F Σ2 Fᵀ");
    double *w = disco_malloc((size_t)dim * sizeof *w, "eigenvalues");

    for (size_t i = 0; i < cells; i++) factor[i] = sigma1[i];
    symmetrize(factor, dim);
    symmetric_eigen(factor, w, dim, true);
    zero_rounding_noise(w, dim);
    for (int i = 0; i < dim; i++) cblas_dscal(dim, sqrt(w[i]), factor + (size_t)i * dim, 1); /* F = W^½ Vᵀ */

    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, dim, dim, dim, 1.0, factor, dim, sigma2, dim, 0.0, product,
                dim);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, dim, dim, dim, 1.0, product, dim, factor, dim, 0.0, m, dim);
    symmetrize(m, dim);
    symmetric_eigen(m, w, dim, false);
    zero_rounding_noise(w, dim);
    double trace = 0;
    for (int i = 0; i < dim; i++) trace += sqrt(w[i]);

    free(factor);
    free(product);
    free(m);
    free(w);
    return trace;
}

/* LAPACK's answer for NaN input is not specified; this check is O(D²) next to the O(D³) work. */
static void require_finite(const double *values, size_t count, const char *what) {
    for (size_t i = 0; i < count; i++)
        DISCO_CHECK(isfinite(values[i]), "Fréchet distance: %s[%zu] is %g", what, i, values[i]);
}

double frechet_distance(const double *mu1, const double *sigma1, const double *mu2, const double *sigma2, int dim) {
    DISCO_CHECK(dim > 0, "Fréchet distance: dimension %d", dim);
    size_t cells = (size_t)dim * dim;
    require_finite(mu1, (size_t)dim, "mu1");
    require_finite(mu2, (size_t)dim, "mu2");
    require_finite(sigma1, cells, "sigma1");
    require_finite(sigma2, cells, "sigma2");
    double mean_term = 0, trace_term = 0;
    for (int i = 0; i < dim; i++) {
        double d = mu1[i] - mu2[i];
        mean_term += d * d;
        trace_term += sigma1[(size_t)i * dim + i] + sigma2[(size_t)i * dim + i];
    }
    return mean_term + trace_term - 2 * trace_sqrt_product(sigma1, sigma2, dim);
}
