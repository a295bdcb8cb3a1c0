/* Running float64 sums of feature vectors and the μ and Σ they give, as
   EDM's fid.py accumulates them (docs/fid.md). */
#include <cblas.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "disco/dist.h"
#include "disco/error.h"
#include "disco/frechet.h"

#ifdef DISCO_HAVE_MPI
#include <mpi.h>
#endif

/* Features are widened to float64 this many rows at a time, so the scratch
   stays small however large a batch the caller adds. */
enum { ROWS_PER_UPDATE = 256 };

struct FeatureStats {
    int dim;
    int64_t count;
    /* Σf [dim] followed by Σffᵀ [dim * dim] (upper triangle, row-major): one
       buffer, so that ranks add them up in one reduction. */
    double *sums;
    double *rows; /* [ROWS_PER_UPDATE * dim] scratch */
    bool reduced;
};

static double *sum_of_squares(const FeatureStats *s) { return s->sums + s->dim; }

FeatureStats *feature_stats_create(int dim) {
    /* MPI counts elements in int. */
    DISCO_CHECK(dim > 0 && (int64_t)dim * dim + dim <= INT_MAX,
                "feature statistics: dimension %d is outside [1, 46340]", dim);
    FeatureStats *s = disco_calloc(1, sizeof *s, "feature statistics");
    s->dim = dim;
    s->sums = disco_calloc((size_t)dim * dim + (size_t)dim, sizeof *s->sums, "feature sums");
    s->rows = disco_malloc((size_t)ROWS_PER_UPDATE * dim * sizeof *s->rows, "feature rows in float64");
    return s;
}

void feature_stats_free(FeatureStats *s) {
    if (!s) return;
    free(s->sums);
    free(s->rows);
    free(s);
}

void feature_stats_add(FeatureStats *s, const float *features, int64_t count) {
    DISCO_CHECK(!s->reduced, "feature statistics: features added after feature_stats_reduce would be counted "
                             "on this rank only");
    DISCO_CHECK(count >= 0, "feature statistics: %" PRId64 " features added", count);
    int dim = s->dim;
    for (int64_t first = 0; first < count; first += ROWS_PER_UPDATE) {
        int rows = count - first < ROWS_PER_UPDATE ? (int)(count - first) : ROWS_PER_UPDATE;
        const float *in = features + first * dim;
        for (int64_t i = 0; i < (int64_t)rows * dim; i++) s->rows[i] = in[i];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < dim; j++) s->sums[j] += s->rows[(int64_t)r * dim + j];
        /* Σffᵀ += Xᵀ X, upper triangle only: the lower one is its mirror. */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, dim, rows, 1.0, s->rows, dim, 1.0, sum_of_squares(s),
                    dim);
    }
    s->count += count;
}

#ifdef DISCO_HAVE_MPI
static void check_mpi(int code, const char *call) {
    DISCO_CHECK(code == MPI_SUCCESS, "feature_stats_reduce: %s failed on rank %d of %d", call, dist_rank(),
                dist_world());
}
#endif

/* Summed on rank 0 and broadcast, rather than all-reduced: an all-reduce may
   add in a different order on each rank, and then ranks would disagree in
   the last bits of μ, Σ and the FID they report. */
static void sum_over_ranks(double *values, int count) {
#ifdef DISCO_HAVE_MPI
    if (dist_world() == 1) return;
    void *send = dist_rank() == 0 ? MPI_IN_PLACE : values;
    check_mpi(MPI_Reduce(send, values, count, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD), "MPI_Reduce");
    check_mpi(MPI_Bcast(values, count, MPI_DOUBLE, 0, MPI_COMM_WORLD), "MPI_Bcast");
#else
    (void)values, (void)count;
#endif
}

void feature_stats_reduce(FeatureStats *s) {
    DISCO_CHECK(!s->reduced, "feature statistics: feature_stats_reduce called twice would count every rank's "
                             "features again");
    s->count = dist_sum_int64(s->count);
    sum_over_ranks(s->sums, s->dim * s->dim + s->dim);
    s->reduced = true;
}

int64_t feature_stats_count(const FeatureStats *s) { return s->count; }

/* The same operations in the same order as fid.py:
   mu /= N; sigma -= mu.ger(mu) * N; sigma /= N - 1. */
FrechetStats feature_stats_finish(const FeatureStats *s) {
    DISCO_CHECK(s->count >= 2, "feature statistics: a covariance needs at least 2 features, got %" PRId64,
                s->count);
    int dim = s->dim;
    double n = (double)s->count;
    FrechetStats out = {.dim = dim, .count = s->count};
    out.mu = disco_malloc((size_t)dim * sizeof *out.mu, "feature mean");
    out.sigma = disco_malloc((size_t)dim * dim * sizeof *out.sigma, "feature covariance");
    for (int j = 0; j < dim; j++) out.mu[j] = s->sums[j] / n;
    const double *squares = sum_of_squares(s);
    for (int j = 0; j < dim; j++)
        for (int k = j; k < dim; k++) {
            double value = (squares[(int64_t)j * dim + k] - out.mu[j] * out.mu[k] * n) / (n - 1);
            out.sigma[(int64_t)j * dim + k] = out.sigma[(int64_t)k * dim + j] = value;
        }
    return out;
}

void frechet_stats_free(FrechetStats *stats) {
    free(stats->mu);
    free(stats->sigma);
    stats->mu = stats->sigma = NULL;
}
