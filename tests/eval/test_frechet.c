/* Feature statistics and the Fréchet distance against numpy and scipy
   (tests/fixtures/frechet/make_fixtures.py): μ and Σ accumulated in uneven
   batches equal np.mean and np.cov, the distance equals EDM's fid.py formula
   through scipy's sqrtm and the same distance to 40 digits (mpmath), on full
   and rank-deficient covariances and near-identical distributions. Then the
   closed form for diagonal covariances, the files: numpy's EDM-style .npz,
   our .npz and HDF5 read back bit for bit, and every bad file is fatal with a
   message naming the file and the array. */
#include <float.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/frechet.h"
#include "fatal_check.h"
#include "h5_edit.h"
#include "testutil.h"

#define FIXTURE(name) DISCO_FIXTURES "/frechet/" name

typedef struct {
    const char *file, *set;
} FeatureSet;

static const FeatureSet feature_sets[] = {
    {FIXTURE("d8.npz"), "a"},  {FIXTURE("d8.npz"), "b"},       {FIXTURE("d64.npz"), "a"},
    {FIXTURE("d64.npz"), "b"}, {FIXTURE("d64.npz"), "c"},      {FIXTURE("d64.npz"), "c2"},
    {FIXTURE("d32_near.npz"), "a"}, {FIXTURE("d32_near.npz"), "b"},
};
enum { FEATURE_SETS = sizeof feature_sets / sizeof feature_sets[0] };

typedef struct {
    const char *file, *first, *second;
} Pair;

/* ca: rank 39 of 64 against full rank; cc2: two rank-39 covariances;
   d32_near: a distance 1e-7 of the traces it is the difference of. */
static const Pair pairs[] = {
    {FIXTURE("d8.npz"), "a", "b"},  {FIXTURE("d64.npz"), "a", "b"},      {FIXTURE("d64.npz"), "c", "a"},
    {FIXTURE("d64.npz"), "c", "c2"}, {FIXTURE("d32_near.npz"), "a", "b"},
};
enum { PAIRS = sizeof pairs / sizeof pairs[0] };

/* Uneven batches, an empty one among them. */
static const int batch_sizes[] = {3, 0, 17, 1, 40, 8};
enum { BATCH_SIZES = sizeof batch_sizes / sizeof batch_sizes[0] };

static float *load_features(const char *file, const char *set, int *rows, int *dim) {
    int64_t shape[2];
    double *values = stats_read_npz_array(file, set, 2, shape);
    *rows = (int)shape[0], *dim = (int)shape[1];
    float *features = disco_malloc((size_t)(shape[0] * shape[1]) * sizeof *features, set);
    for (int64_t i = 0; i < shape[0] * shape[1]; i++) features[i] = (float)values[i]; /* they were float32 */
    free(values);
    return features;
}

static FrechetStats accumulate(const FeatureSet *fs) {
    int rows, dim;
    float *features = load_features(fs->file, fs->set, &rows, &dim);
    FeatureStats *s = feature_stats_create(dim);
    for (int first = 0, b = 0; first < rows; b++) {
        int count = batch_sizes[b % BATCH_SIZES] < rows - first ? batch_sizes[b % BATCH_SIZES] : rows - first;
        feature_stats_add(s, features + (size_t)first * dim, count);
        first += count;
    }
    feature_stats_reduce(s); /* a world of one: nothing to add */
    ck_assert_int_eq(feature_stats_count(s), rows);
    FrechetStats stats = feature_stats_finish(s);
    feature_stats_free(s);
    free(features);
    return stats;
}

static FrechetStats numpy_stats(const char *file, const char *set) {
    char name[32];
    int64_t shape[2];
    FrechetStats stats = {0};
    snprintf(name, sizeof name, "%s_mu", set);
    stats.mu = stats_read_npz_array(file, name, 1, shape);
    stats.dim = (int)shape[0];
    snprintf(name, sizeof name, "%s_sigma", set);
    stats.sigma = stats_read_npz_array(file, name, 2, shape);
    return stats;
}

static double read_scalar(const char *file, const char *name) {
    double *value = stats_read_npz_array(file, name, 0, NULL);
    double result = *value;
    free(value);
    return result;
}

/* max |a − b| / max |b|: a tolerance relative to the array's scale, since
   single entries of μ and Σ may be near 0. */
static double scaled_error(const double *a, const double *b, size_t n) {
    double worst = 0, scale = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i])), scale = fmax(scale, fabs(b[i]));
    return worst / scale;
}

START_TEST(moments_match_numpy) {
    const FeatureSet *fs = &feature_sets[_i];
    FrechetStats ours = accumulate(fs), numpy = numpy_stats(fs->file, fs->set);
    ck_assert_int_eq(ours.dim, numpy.dim);
    double mu_error = scaled_error(ours.mu, numpy.mu, (size_t)ours.dim);
    double sigma_error = scaled_error(ours.sigma, numpy.sigma, (size_t)ours.dim * ours.dim);
    printf("%s %s: N %lld, mu error %.1e, sigma error %.1e\n", strrchr(fs->file, '/') + 1, fs->set,
           (long long)ours.count, mu_error, sigma_error);
    ck_assert_msg(mu_error < 1e-9, "%s %s: mu differs from np.mean by %g", fs->file, fs->set, mu_error);
    ck_assert_msg(sigma_error < 1e-9, "%s %s: sigma differs from np.cov by %g", fs->file, fs->set, sigma_error);
    frechet_stats_free(&ours);
    frechet_stats_free(&numpy);
}
END_TEST

static double trace(const double *sigma, int dim) {
    double sum = 0;
    for (int i = 0; i < dim; i++) sum += sigma[(size_t)i * dim + i];
    return sum;
}

/* Against scipy within 1e-6 (scipy's own error on a rank-deficient Σ is near
   1e-7); against the exact value within rounding: 1e-9 relative, or, for a
   distance far below the traces it is the difference of, D·ε of them. */
static void check_distance(const Pair *p, const FrechetStats *x, const FrechetStats *y, const char *source) {
    char name[32];
    snprintf(name, sizeof name, "fd_%s%s", p->first, p->second);
    double scipy = read_scalar(p->file, name);
    snprintf(name, sizeof name, "fd_%s%s_exact", p->first, p->second);
    double exact = read_scalar(p->file, name);
    double fd = frechet_distance(x->mu, x->sigma, y->mu, y->sigma, x->dim);
    double rounding = x->dim * DBL_EPSILON * (trace(x->sigma, x->dim) + trace(y->sigma, y->dim));
    printf("%s %s%s from %s: fd %.17g; scipy's differs by %.1e, the exact by %.1e (relative)\n",
           strrchr(p->file, '/') + 1, p->first, p->second, source, fd, fabs(fd - scipy) / scipy,
           fabs(fd - exact) / exact);
    ck_assert_msg(fabs(fd - scipy) <= 1e-6 * fabs(scipy), "%s %s%s (%s stats): fd %.17g, scipy %.17g", p->file,
                  p->first, p->second, source, fd, scipy);
    ck_assert_msg(fabs(fd - exact) <= 1e-9 * fabs(exact) + rounding, "%s %s%s (%s stats): fd %.17g, exact %.17g",
                  p->file, p->first, p->second, source, fd, exact);
}

START_TEST(distance_matches_scipy_and_the_exact_value) {
    const Pair *p = &pairs[_i];
    FrechetStats x = accumulate(&(FeatureSet){p->file, p->first});
    FrechetStats y = accumulate(&(FeatureSet){p->file, p->second});
    check_distance(p, &x, &y, "our");
    frechet_stats_free(&x);
    frechet_stats_free(&y);
    x = numpy_stats(p->file, p->first), y = numpy_stats(p->file, p->second);
    check_distance(p, &x, &y, "numpy's");
    frechet_stats_free(&x);
    frechet_stats_free(&y);
}
END_TEST

/* Rows one at a time and all at once: the same sums, up to rounding. */
START_TEST(batching_changes_only_rounding) {
    int rows, dim;
    float *features = load_features(FIXTURE("d64.npz"), "a", &rows, &dim);
    FeatureStats *single = feature_stats_create(dim), *whole = feature_stats_create(dim);
    for (int r = 0; r < rows; r++) feature_stats_add(single, features + (size_t)r * dim, 1);
    feature_stats_add(whole, features, rows);
    FrechetStats a = feature_stats_finish(single), b = feature_stats_finish(whole);
    ck_assert_double_lt(scaled_error(a.mu, b.mu, (size_t)dim), 1e-14);
    ck_assert_double_lt(scaled_error(a.sigma, b.sigma, (size_t)dim * dim), 1e-13);
    frechet_stats_free(&a);
    frechet_stats_free(&b);
    feature_stats_free(single);
    feature_stats_free(whole);
    free(features);
}
END_TEST

/* Commuting covariances: FD = ‖μ1 − μ2‖² + Σ (√s1 − √s2)², zero variances
   included (a singular Σ). */
START_TEST(diagonal_covariances_have_a_closed_form) {
    enum { D = 6 };
    const double mu1[D] = {0, 1, 2, 3, 4, 5}, mu2[D] = {0.5, 1, 1, 3, 4, -5};
    const double s1[D] = {1, 4, 0, 2.25, 9, 0}, s2[D] = {4, 4, 1, 0.25, 0, 0};
    double sigma1[D * D] = {0}, sigma2[D * D] = {0}, expected = 0;
    for (int i = 0; i < D; i++) {
        sigma1[i * D + i] = s1[i], sigma2[i * D + i] = s2[i];
        expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + (sqrt(s1[i]) - sqrt(s2[i])) * (sqrt(s1[i]) - sqrt(s2[i]));
    }
    ck_assert_double_eq_tol(frechet_distance(mu1, sigma1, mu2, sigma2, D), expected, 1e-12 * expected);
    ck_assert_double_eq_tol(frechet_distance(mu2, sigma2, mu1, sigma1, D), expected, 1e-12 * expected);
}
END_TEST

/* The distance of a set to itself is 0 but for rounding, and the distance is
   symmetric, also when one Σ is rank-deficient. */
START_TEST(distance_to_itself_is_zero_and_order_does_not_matter) {
    FrechetStats a = numpy_stats(FIXTURE("d64.npz"), "a"), c = numpy_stats(FIXTURE("d64.npz"), "c");
    double rounding = 64 * DBL_EPSILON * 2 * trace(a.sigma, 64);
    ck_assert_double_le(fabs(frechet_distance(a.mu, a.sigma, a.mu, a.sigma, 64)), rounding);
    ck_assert_double_le(fabs(frechet_distance(c.mu, c.sigma, c.mu, c.sigma, 64)), rounding);
    double ac = frechet_distance(a.mu, a.sigma, c.mu, c.sigma, 64);
    double ca = frechet_distance(c.mu, c.sigma, a.mu, a.sigma, 64);
    ck_assert_double_eq_tol(ac, ca, 1e-12 * ac);
    frechet_stats_free(&a);
    frechet_stats_free(&c);
}
END_TEST

static void assert_same_bits(const FrechetStats *a, const FrechetStats *b) {
    ck_assert_int_eq(a->dim, b->dim);
    ck_assert_int_eq(a->count, b->count);
    ck_assert_str_eq(a->network, b->network);
    ck_assert(!memcmp(a->mu, b->mu, (size_t)a->dim * sizeof *a->mu));
    ck_assert(!memcmp(a->sigma, b->sigma, (size_t)a->dim * a->dim * sizeof *a->sigma));
}

/* As EDM's fid.py ref writes reference statistics: np.savez(f, mu=, sigma=). */
START_TEST(reads_edm_reference_npz) {
    FrechetStats edm = stats_read_npz(FIXTURE("edm_style.npz")), numpy = numpy_stats(FIXTURE("d8.npz"), "a");
    assert_same_bits(&edm, &numpy);
    frechet_stats_free(&edm);
    frechet_stats_free(&numpy);
}
END_TEST

START_TEST(npz_round_trip_is_exact) {
    FrechetStats written = accumulate(&feature_sets[2]);
    Path path;
    scratch_path(path, "stats.npz");
    stats_write_npz(path, &written);
    FrechetStats read = stats_read_npz(path);
    written.count = 0; /* the .npz keeps μ and Σ only, as EDM's does */
    assert_same_bits(&read, &written);
    frechet_stats_free(&written);
    frechet_stats_free(&read);
}
END_TEST

START_TEST(h5_round_trip_is_exact) {
    FrechetStats written = accumulate(&feature_sets[5]);
    snprintf(written.network, sizeof written.network, "%s", "inception-2015-12-05");
    Path path;
    scratch_path(path, "stats.h5");
    stats_write_h5(path, &written);
    FrechetStats read = stats_read_h5(path);
    ck_assert_int_eq(read.count, 40);
    assert_same_bits(&read, &written);
    frechet_stats_free(&written);
    frechet_stats_free(&read);
}
END_TEST

typedef struct {
    const char *file, *array_text, *problem;
} BadNpz;

static const BadNpz bad_npz[] = {
    {FIXTURE("sigma_not_square.npz"), "array 'sigma' has shape (4, 5)", "sigma must be (4, 4)"},
    {FIXTURE("mu_2d.npz"), "array 'mu' has shape (1, 4)", "1 dimensions expected"},
    {FIXTURE("sizes_disagree.npz"), "array 'sigma' has shape (5, 5)", "'mu' has 4 elements"},
    {FIXTURE("no_sigma.npz"), "holds no array 'sigma'", "no entry 'sigma.npy'"},
    {FIXTURE("sigma_int.npz"), "array 'sigma' has 'descr' '<i8'", "float arrays"},
    {FIXTURE("sigma_short.npz"), "array 'sigma' holds 120 bytes after its header", "needs 128"},
    {FIXTURE("sigma_crc.npz"), "array 'sigma' cannot be read", "CRC error"},
    {FIXTURE("not_a_zip.npz"), "array 'mu'", "Not a zip archive"},
    {FIXTURE("absent.npz"), "array 'mu'", "No such file"},
};
enum { BAD_NPZ = sizeof bad_npz / sizeof bad_npz[0] };

START_TEST(bad_npz_is_fatal) {
    const BadNpz *bad = &bad_npz[_i];
    expect_fatal_mentioning(bad->file, bad->array_text, bad->problem);
    stats_read_npz(bad->file);
}
END_TEST

/* A stats file written by us, then changed as stated. */
static void write_h5_fixture(Path path) {
    FrechetStats stats = numpy_stats(FIXTURE("d8.npz"), "a");
    stats.count = 100;
    scratch_path(path, "bad.h5");
    stats_write_h5(path, &stats);
    frechet_stats_free(&stats);
}

START_TEST(h5_of_another_version_is_fatal) {
    Path path;
    write_h5_fixture(path);
    edit_int_attribute(path, "format_version", 2);
    expect_fatal_mentioning(path, "format_version 2", NULL);
    stats_read_h5(path);
}
END_TEST

START_TEST(h5_sigma_of_another_size_is_fatal) {
    Path path;
    write_h5_fixture(path);
    edit_replace_dataset(path, "sigma", H5T_IEEE_F64LE, 2, (hsize_t[]){8, 9});
    expect_fatal_mentioning(path, "array 'sigma' has shape (8, 9)", "sigma must be (8, 8)");
    stats_read_h5(path);
}
END_TEST

START_TEST(h5_without_mu_is_fatal) {
    Path path;
    write_h5_fixture(path);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert(file >= 0 && H5Ldelete(file, "mu", H5P_DEFAULT) >= 0 && H5Fclose(file) >= 0);
    expect_fatal_mentioning(path, "find the array 'mu'", NULL);
    stats_read_h5(path);
}
END_TEST

START_TEST(one_feature_has_no_covariance) {
    FeatureStats *s = feature_stats_create(3);
    feature_stats_add(s, (const float[]){1, 2, 3}, 1);
    expect_fatal_mentioning("a covariance needs at least 2 features, got 1", NULL, NULL);
    feature_stats_finish(s);
}
END_TEST

START_TEST(adding_after_the_reduction_is_fatal) {
    FeatureStats *s = feature_stats_create(3);
    feature_stats_reduce(s);
    expect_fatal_mentioning("added after feature_stats_reduce", NULL, NULL);
    feature_stats_add(s, (const float[]){1, 2, 3}, 1);
}
END_TEST

START_TEST(nan_in_sigma_is_fatal) {
    const double mu[2] = {0, 0}, identity[4] = {1, 0, 0, 1}, broken[4] = {1, 0, NAN, 1};
    expect_fatal_mentioning("sigma2[2] is nan", NULL, NULL);
    frechet_distance(mu, identity, mu, broken, 2);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("frechet");
    TCase *numbers = tcase_create("numbers");
    tcase_add_loop_test(numbers, moments_match_numpy, 0, FEATURE_SETS);
    tcase_add_loop_test(numbers, distance_matches_scipy_and_the_exact_value, 0, PAIRS);
    tcase_add_test(numbers, batching_changes_only_rounding);
    tcase_add_test(numbers, diagonal_covariances_have_a_closed_form);
    tcase_add_test(numbers, distance_to_itself_is_zero_and_order_does_not_matter);
    suite_add_tcase(s, numbers);

    TCase *files = tcase_create("files");
    tcase_add_test(files, reads_edm_reference_npz);
    tcase_add_test(files, npz_round_trip_is_exact);
    tcase_add_test(files, h5_round_trip_is_exact);
    suite_add_tcase(s, files);

    TCase *fatal = tcase_create("fatal");
    tcase_add_loop_exit_test(fatal, bad_npz_is_fatal, EXIT_FAILURE, 0, BAD_NPZ);
    tcase_add_exit_test(fatal, h5_of_another_version_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, h5_sigma_of_another_size_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, h5_without_mu_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, one_feature_has_no_covariance, EXIT_FAILURE);
    tcase_add_exit_test(fatal, adding_after_the_reduction_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, nan_in_sigma_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, fatal);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
