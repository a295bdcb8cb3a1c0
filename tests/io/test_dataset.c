/* Data sets of several shards: every image reads back at its global index
   (uneven shards, an empty one, a single shard file as a data set), other
   tools read the index, and every bad data set (a missing shard or index, a
   shard whose count or shape differs from the index, an unknown version, an
   index out of range, a damaged image) is fatal with a message naming the
   file. A fuzz loop cuts and corrupts index.h5 and checks that each case
   ends in such an error or reads back unchanged, never in a signal. */
#include "disco/dataset.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_fixture.h"
#include "fatal_check.h"
#include "file_fuzz.h"
#include "h5_edit.h"
#include "testutil.h"

enum { H = 4, W = 3, C = 3, IMAGE = H * W * C, CLASSES = 7 };

/* Pixels and labels encode the global index, so an image read from the
   wrong shard or offset shows. */
static uint8_t pixel(int64_t i, int k) { return (uint8_t)(i * 37 + k * 5); }
static int32_t label_of(int64_t i) { return (int32_t)(i % CLASSES); }

static const FixtureImages IMAGES = {H, W, C, CLASSES, 0, pixel, label_of};
/* Twice as tall, for a shard whose shape differs from the index's. */
static const FixtureImages TALL_IMAGES = {2 * H, W, C, CLASSES, 0, pixel, label_of};

static void in_dir(Path path, const char *dir, const char *name) {
    int written = snprintf(path, sizeof(Path), "%s/%s", dir, name);
    ck_assert(written > 0 && written < (int)sizeof(Path));
}

static void shard_file(Path path, const char *dir, int s) { fixture_shard_path(path, sizeof(Path), dir, s); }

static void write_dataset(Path dir, const char *name, int shards, const int64_t *counts) {
    scratch_path(dir, name);
    fixture_write_dataset(dir, &IMAGES, shards, counts);
}

static const int64_t UNEVEN[3] = {7, 2, 12};
enum { TOTAL = 21 };

static void write_uneven(Path dir, const char *name) { write_dataset(dir, name, 3, UNEVEN); }

/* True when the data set holds `count` images, each the one written at its global index. */
static bool reads_back_count(const char *path, int64_t count) {
    Dataset *d = dataset_open(path);
    bool same = dataset_info(d)->count == count;
    uint8_t image[IMAGE];
    for (int64_t i = 0; same && i < count; i++) {
        int32_t label;
        dataset_read(d, i, image, &label);
        same = label == label_of(i);
        for (int k = 0; same && k < IMAGE; k++) same = image[k] == pixel(i, k);
    }
    dataset_close(d);
    return same;
}

static bool reads_back(const char *path) { return reads_back_count(path, TOTAL); }

START_TEST(every_image_reads_back_at_its_global_index) {
    Path dir;
    write_uneven(dir, "uneven");
    Dataset *d = dataset_open(dir);
    const ShardInfo *info = dataset_info(d);
    ck_assert_int_eq(info->count, TOTAL);
    ck_assert_int_eq(dataset_shards(d), 3);
    ck_assert(info->height == H && info->width == W && info->channels == C && info->classes == CLASSES);
    ck_assert_str_eq(info->source, "unit test");
    /* Shard boundaries: 7 | 2 | 12. */
    const int64_t global[6] = {0, 6, 7, 8, 9, 20}, local[6] = {0, 6, 0, 1, 0, 11};
    const int shard[6] = {0, 0, 1, 1, 2, 2};
    for (int k = 0; k < 6; k++) {
        int64_t got;
        Shard *s = dataset_locate(d, global[k], &got);
        ck_assert_int_eq(got, local[k]);
        ck_assert_int_eq(shard_info(s)->count, UNEVEN[shard[k]]);
    }
    dataset_close(d);
    ck_assert(reads_back(dir));
    dataset_verify(dir);
}
END_TEST

START_TEST(empty_shards_are_skipped) {
    Path dir;
    write_dataset(dir, "with_empty", 4, (const int64_t[]){0, 5, 0, 3});
    ck_assert(reads_back_count(dir, 8));
}
END_TEST

START_TEST(a_single_shard_is_a_data_set) {
    Path path;
    scratch_path(path, "single.h5");
    fixture_write_shard(path, &IMAGES, 0, 9);
    Dataset *d = dataset_open(path);
    ck_assert_int_eq(dataset_shards(d), 1);
    dataset_close(d);
    ck_assert(reads_back_count(path, 9));
    dataset_verify(path);
}
END_TEST

START_TEST(h5dump_reads_the_index) {
    if (access("/usr/bin/h5dump", X_OK) != 0) return;
    Path dir, dump;
    write_uneven(dir, "dump");
    scratch_path(dump, "index.txt");
    Path index;
    in_dir(index, dir, "index.h5");
    char command[1200];
    snprintf(command, sizeof command, "h5dump '%s' > '%s'", index, dump);
    ck_assert_int_eq(system(command), 0);
    FILE *f = fopen(dump, "r");
    static char text[65536];
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "(0): \"shard-00000.h5\", \"shard-00001.h5\", \"shard-00002.h5\""));
    ck_assert_ptr_nonnull(strstr(text, "(0): 7, 2, 12"));
    ck_assert_ptr_nonnull(strstr(text, "ATTRIBUTE \"count\""));
}
END_TEST

/* ---- bad data sets ---- */

START_TEST(missing_shard_is_fatal) {
    Path dir, shard;
    write_uneven(dir, "missing_shard");
    shard_file(shard, dir, 1);
    ck_assert_int_eq(remove(shard), 0);
    expect_fatal_mentioning(shard, "cannot open shard 1", "No such file");
    dataset_open(dir);
}
END_TEST

START_TEST(shard_with_another_count_is_fatal) {
    Path dir, shard;
    write_uneven(dir, "count");
    shard_file(shard, dir, 2);
    fixture_write_shard(shard, &IMAGES, 9, 11);
    expect_fatal_mentioning(shard, "shard 2 holds 11 images", "says 12");
    dataset_open(dir);
}
END_TEST

START_TEST(shard_with_another_shape_is_fatal) {
    Path dir, shard;
    write_uneven(dir, "shape");
    shard_file(shard, dir, 1);
    fixture_write_shard(shard, &TALL_IMAGES, 7, 2);
    expect_fatal_mentioning(shard, "shard 1 has images of 8x3x3 in 7 classes", "says 4x3x3 in 7");
    dataset_open(dir);
}
END_TEST

START_TEST(unknown_index_version_is_fatal) {
    Path dir, index;
    write_uneven(dir, "version");
    in_dir(index, dir, "index.h5");
    edit_int_attribute(index, "format_version", 7);
    expect_fatal_mentioning(index, "unknown data set index version 7", NULL);
    dataset_open(dir);
}
END_TEST

START_TEST(directory_without_index_is_fatal) {
    Path dir, index;
    write_uneven(dir, "no_index");
    in_dir(index, dir, "index.h5");
    ck_assert_int_eq(remove(index), 0);
    expect_fatal_mentioning(index, "cannot open the data set index", "No such file");
    dataset_open(dir);
}
END_TEST

START_TEST(index_out_of_range_is_fatal) {
    Path dir;
    write_uneven(dir, "range");
    Dataset *d = dataset_open(dir);
    uint8_t image[IMAGE];
    int32_t label;
    dataset_read(d, TOTAL - 1, image, &label);
    expect_fatal_mentioning(dir, "index 21 is out of range [0, 21)", NULL);
    dataset_read(d, TOTAL, image, &label);
}
END_TEST

START_TEST(negative_index_is_fatal) {
    Path dir;
    write_uneven(dir, "negative");
    Dataset *d = dataset_open(dir);
    int64_t local;
    expect_fatal_mentioning(dir, "index -1 is out of range [0, 21)", NULL);
    dataset_locate(d, -1, &local);
}
END_TEST

START_TEST(damaged_image_fails_verify) {
    Path dir, shard;
    write_uneven(dir, "verify");
    shard_file(shard, dir, 2);
    uint8_t image[IMAGE];
    for (int k = 0; k < IMAGE; k++) image[k] = pixel(9 + 4, k);
    image[5] ^= 1;
    edit_overwrite(shard, "images", 4, image, H5T_NATIVE_UINT8);
    expect_fatal_mentioning(shard, "images checksum mismatch", NULL);
    dataset_verify(dir);
}
END_TEST

/* ---- fuzz ---- */

/* The fuzz damages index.h5; the data set is its directory. */
static bool directory_reads_back(const char *index_path) {
    Path dir;
    snprintf(dir, sizeof dir, "%s", index_path);
    return reads_back(dirname(dir));
}

START_TEST(cut_and_corrupted_indexes_fail_cleanly) {
    Path dir, good, index;
    write_uneven(dir, "fuzz");
    in_dir(index, dir, "index.h5");
    scratch_path(good, "fuzz_index.h5");
    ck_assert_int_eq(rename(index, good), 0);
    int unchanged = fuzz_file(good, index, 256, directory_reads_back);
    fprintf(stdout, "fuzz: %d of 256 flips in index.h5 read back unchanged, the rest failed cleanly\n", unchanged);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("dataset");
    TCase *tc = tcase_create("dataset");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_image_reads_back_at_its_global_index);
    tcase_add_test(tc, empty_shards_are_skipped);
    tcase_add_test(tc, a_single_shard_is_a_data_set);
    tcase_add_test(tc, h5dump_reads_the_index);
    tcase_add_exit_test(tc, missing_shard_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, shard_with_another_count_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, shard_with_another_shape_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, unknown_index_version_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, directory_without_index_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, index_out_of_range_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, negative_index_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, damaged_image_fails_verify, EXIT_FAILURE);
    tcase_add_test(tc, cut_and_corrupted_indexes_fail_cleanly);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
