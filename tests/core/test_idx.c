/* The IDX reader on small gzip'd files written here with zlib: a valid pair
   reads back exactly; every kind of damage is fatal with a message that
   names the file (and the index, for a bad label). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "disco/error.h"
#include "disco/idx.h"
#include "fatal_check.h"
#include "testutil.h"

enum { COUNT = 3, HEIGHT = 4, WIDTH = 5, PIXELS = COUNT * HEIGHT * WIDTH };
static const uint8_t good_labels[COUNT] = {9, 0, 4};


static size_t put_u32_be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
    return 4;
}

static void write_gz(const char *path, const uint8_t *bytes, size_t n) {
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, bytes, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(gz), Z_OK);
}

/* An image file whose header says `count` images but which holds `stored`. */
static void write_images(const char *path, uint32_t magic, uint32_t count, int stored) {
    uint8_t bytes[16 + 2 * PIXELS];
    size_t n = put_u32_be(bytes, magic);
    n += put_u32_be(bytes + n, count);
    n += put_u32_be(bytes + n, HEIGHT);
    n += put_u32_be(bytes + n, WIDTH);
    for (int i = 0; i < stored * HEIGHT * WIDTH; i++) bytes[n++] = (uint8_t)(i * 7);
    write_gz(path, bytes, n);
}

static void write_labels(const char *path, uint32_t magic, int count, const uint8_t *labels) {
    uint8_t bytes[8 + COUNT];
    size_t n = put_u32_be(bytes, magic);
    n += put_u32_be(bytes + n, (uint32_t)count);
    for (int i = 0; i < count; i++) bytes[n++] = labels[i];
    write_gz(path, bytes, n);
}

START_TEST(reads_a_valid_pair) {
    Path images, labels;
    scratch_path(images, "images.gz"), scratch_path(labels, "labels.gz");
    write_images(images, 0x803, COUNT, COUNT);
    write_labels(labels, 0x801, COUNT, good_labels);
    IdxDataset d = idx_load(images, labels, 10);
    ck_assert_int_eq(d.count, COUNT);
    ck_assert_int_eq(d.height, HEIGHT);
    ck_assert_int_eq(d.width, WIDTH);
    for (int i = 0; i < PIXELS; i++) ck_assert_uint_eq(d.images[i], (uint8_t)(i * 7));
    ck_assert_mem_eq(d.labels, good_labels, COUNT);
    idx_free(&d);
    ck_assert_ptr_null(d.images);
}
END_TEST

START_TEST(missing_file_is_fatal) {
    Path path;
    scratch_path(path, "absent.gz");
    expect_fatal_mentioning(path, "No such file", NULL);
    int count;
    idx_read_labels(path, 10, &count);
}
END_TEST

START_TEST(bad_image_magic_is_fatal) {
    Path path;
    scratch_path(path, "bad_magic.gz");
    write_images(path, 0x801, COUNT, COUNT);
    expect_fatal_mentioning(path, "magic", NULL);
    int count, height, width;
    idx_read_images(path, &count, &height, &width);
}
END_TEST

START_TEST(bad_label_magic_is_fatal) {
    Path path;
    scratch_path(path, "bad_magic_labels.gz");
    write_labels(path, 0x803, COUNT, good_labels);
    expect_fatal_mentioning(path, "magic", NULL);
    int count;
    idx_read_labels(path, 10, &count);
}
END_TEST

/* A valid gzip stream that holds fewer images than its header claims. */
START_TEST(short_data_is_fatal) {
    Path path;
    scratch_path(path, "short.gz");
    write_images(path, 0x803, COUNT, COUNT - 1);
    expect_fatal_mentioning(path, "truncated", NULL);
    int count, height, width;
    idx_read_images(path, &count, &height, &width);
}
END_TEST

/* A gzip stream cut off part-way, as an interrupted download leaves it. */
START_TEST(cut_gzip_stream_is_fatal) {
    Path path;
    scratch_path(path, "cut.gz");
    write_images(path, 0x803, COUNT, COUNT);
    FILE *f = fopen(path, "rb");
    uint8_t bytes[1024];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    f = fopen(path, "wb");
    fwrite(bytes, 1, n - 12, f); /* loses the 8-byte trailer and the last data */
    fclose(f);
    expect_fatal_mentioning(path, "truncated", NULL);
    int count, height, width;
    idx_read_images(path, &count, &height, &width);
}
END_TEST

START_TEST(extra_data_is_fatal) {
    Path path;
    scratch_path(path, "extra.gz");
    write_images(path, 0x803, COUNT - 1, COUNT);
    expect_fatal_mentioning(path, "more data", NULL);
    int count, height, width;
    idx_read_images(path, &count, &height, &width);
}
END_TEST

START_TEST(zero_dimension_is_fatal) {
    Path path;
    scratch_path(path, "empty.gz");
    write_images(path, 0x803, 0, 0);
    expect_fatal_mentioning(path, "image count is 0", NULL);
    int count, height, width;
    idx_read_images(path, &count, &height, &width);
}
END_TEST

START_TEST(label_out_of_range_is_fatal) {
    Path path;
    scratch_path(path, "label10.gz");
    write_labels(path, 0x801, COUNT, (const uint8_t[]){1, 2, 10});
    expect_fatal_mentioning(path, "index 2", NULL);
    int count;
    idx_read_labels(path, 10, &count);
}
END_TEST

START_TEST(count_mismatch_is_fatal) {
    Path images, labels;
    scratch_path(images, "three.gz"), scratch_path(labels, "two.gz");
    write_images(images, 0x803, COUNT, COUNT);
    write_labels(labels, 0x801, COUNT - 1, good_labels);
    expect_fatal_mentioning(images, "2 labels", NULL);
    idx_load(images, labels, 10);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("idx");
    TCase *tc = tcase_create("idx");
    tcase_add_test(tc, reads_a_valid_pair);
    tcase_add_exit_test(tc, missing_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, bad_image_magic_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, bad_label_magic_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, short_data_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, cut_gzip_stream_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, extra_data_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, zero_dimension_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, label_out_of_range_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, count_mismatch_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
