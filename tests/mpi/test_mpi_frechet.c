/* Feature statistics under mpirun (-np 2 and 4): ranks that each accumulate
   a different slice of one feature set, then reduce, hold the statistics one
   process computes from all of it, and every rank holds the same bits, so
   every rank reports the same FID.

   Usage: test_mpi_frechet SCRATCH_DIR (shared by the ranks, created by rank 0). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "disco/dist.h"
#include "disco/error.h"
#include "disco/frechet.h"
#include "mpi_suite.h"
#include "testutil.h"

/* A dimension and a count that no world size divides. */
enum { D = 37, N = 211 };

static float *features;

/* Correlated features with non-zero means, the same on every rank. */
static void make_features(void) {
    features = alloc_normal((size_t)N * D, 1, 1.0f);
    for (int r = 0; r < N; r++)
        for (int j = 1; j < D; j++) features[r * D + j] += 0.5f * features[r * D + j - 1] + 0.01f * (float)j;
}

/* Rows [first, end) added in batches of 5, then, with `reduce`, summed over the world. */
static FrechetStats accumulate(int first, int end, bool reduce) {
    FeatureStats *s = feature_stats_create(D);
    for (int row = first; row < end; row += 5)
        feature_stats_add(s, features + (size_t)row * D, end - row < 5 ? end - row : 5);
    if (reduce) feature_stats_reduce(s);
    ck_assert_int_eq(feature_stats_count(s), N);
    FrechetStats stats = feature_stats_finish(s);
    feature_stats_free(s);
    return stats;
}

static double scaled_error(const double *a, const double *b, size_t n) {
    double worst = 0, scale = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i])), scale = fmax(scale, fabs(b[i]));
    return worst / scale;
}

/* Rank 0's μ, Σ and distance to the reference, compared bit for bit on every rank. */
static void assert_every_rank_holds_rank0s_bits(const FrechetStats *mine, double distance) {
    size_t cells = (size_t)D * D;
    double *root = malloc((D + cells + 1) * sizeof *root);
    memcpy(root, mine->mu, D * sizeof *root);
    memcpy(root + D, mine->sigma, cells * sizeof *root);
    root[D + cells] = distance;
    dist_broadcast(root, (D + cells + 1) * sizeof *root, 0);
    ck_assert_msg(!memcmp(root, mine->mu, D * sizeof *root), "rank %d: mu differs from rank 0's", dist_rank());
    ck_assert_msg(!memcmp(root + D, mine->sigma, cells * sizeof *root), "rank %d: sigma differs from rank 0's",
                  dist_rank());
    ck_assert_msg(!memcmp(&root[D + cells], &distance, sizeof distance), "rank %d: FD %.17g, rank 0's %.17g",
                  dist_rank(), distance, root[D + cells]);
    free(root);
}

/* Uneven contiguous slices: rank r's is about (r + 1) times rank 0's. */
START_TEST(slices_reduce_to_the_one_process_statistics) {
    int world = dist_world(), rank = dist_rank();
    int weights = world * (world + 1) / 2;
    int first = N * (rank * (rank + 1) / 2) / weights, end = N * ((rank + 1) * (rank + 2) / 2) / weights;
    FrechetStats merged = accumulate(first, end, true), reference = accumulate(0, N, false);
    ck_assert_double_lt(scaled_error(merged.mu, reference.mu, D), 1e-14);
    ck_assert_double_lt(scaled_error(merged.sigma, reference.sigma, (size_t)D * D), 1e-13);
    /* The distance between the two is 0 but for rounding of traces near 2·37·1.3. */
    double distance = frechet_distance(merged.mu, merged.sigma, reference.mu, reference.sigma, D);
    ck_assert_double_lt(fabs(distance), 1e-10);
    assert_every_rank_holds_rank0s_bits(&merged, distance);
    frechet_stats_free(&merged);
    frechet_stats_free(&reference);
}
END_TEST

/* Ranks with nothing to add take part all the same; adding zeros changes no bit. */
START_TEST(ranks_without_features_change_nothing) {
    bool last = dist_rank() == dist_world() - 1;
    FrechetStats merged = accumulate(0, last ? N : 0, true), reference = accumulate(0, N, false);
    ck_assert(!memcmp(merged.mu, reference.mu, D * sizeof *merged.mu));
    ck_assert(!memcmp(merged.sigma, reference.sigma, (size_t)D * D * sizeof *merged.sigma));
    frechet_stats_free(&merged);
    frechet_stats_free(&reference);
}
END_TEST

int main(int argc, char **argv) {
    char scratch[1024];
    mpi_suite_begin(&argc, &argv, scratch, sizeof scratch);
    make_features();
    Suite *s = suite_create("mpi_frechet");
    TCase *tc = tcase_create("mpi_frechet");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, slices_reduce_to_the_one_process_statistics);
    tcase_add_test(tc, ranks_without_features_change_nothing);
    suite_add_tcase(s, tc);
    int result = run_suite_in_process(s);
    free(features);
    dist_finalize();
    return result;
}
