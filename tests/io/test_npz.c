/* The .npz reader on files numpy wrote (tests/fixtures/npz/make_fixtures.py).
   Every array reads back the values of the script's formulas, recomputed
   here: whole, in chunks, skipping forward and going back, from stored and
   deflated archives alike. Every kind of damage is fatal with a message that
   names the file, the array and the header field or row. */
#include <stdint.h>
#include <stdlib.h>

#include "disco/npz.h"
#include "fatal_check.h"
#include "testutil.h"

#define FIXTURE(name) DISCO_FIXTURES "/npz/" name

enum { ROWS = 37, ROW_BYTES = 3 * 8 * 8 };

/* np.savez stores its entries, np.savez_compressed deflates them: the two
   take different paths for seeking. */
static const char *const good_files[] = {FIXTURE("train_stored.npz"), FIXTURE("train_deflated.npz")};
enum { GOOD_FILES = sizeof good_files / sizeof good_files[0] };

static void check_rows(const uint8_t *rows, int64_t first, int64_t count) {
    for (int64_t i = 0; i < count; i++)
        for (int64_t j = 0; j < ROW_BYTES; j++)
            ck_assert_msg(rows[i * ROW_BYTES + j] == (uint8_t)(((first + i) * 31 + j * 7) % 256),
                          "row %lld, column %lld", (long long)(first + i), (long long)j);
}

/* Reads [first, first + count) of the open array and checks it. */
static void read_and_check(NpzArray *a, int64_t first, int64_t count) {
    uint8_t rows[ROWS * ROW_BYTES];
    npz_array_read_rows(a, first, count, rows);
    check_rows(rows, first, count);
}

START_TEST(data_info_follows_the_header) {
    NpzArray *a = npz_open_array(good_files[_i], "data");
    const NpyInfo *info = npz_array_info(a);
    ck_assert_int_eq(info->type, NPY_U8);
    ck_assert_int_eq(info->item_size, 1);
    ck_assert_int_eq(info->ndim, 2);
    ck_assert_int_eq(info->shape[0], ROWS);
    ck_assert_int_eq(info->shape[1], ROW_BYTES);
    ck_assert_int_eq(info->rows, ROWS);
    ck_assert_int_eq(info->row_bytes, ROW_BYTES);
    npz_array_close(a);
}
END_TEST

START_TEST(reads_all_rows_at_once) {
    NpzArray *a = npz_open_array(good_files[_i], "data");
    read_and_check(a, 0, ROWS);
    npz_array_close(a);
}
END_TEST

/* Chunk sizes that divide 37 rows unevenly, and the whole array. */
static const int chunk_sizes[] = {1, 2, 5, 16, 36, 37};
enum { CHUNK_SIZES = sizeof chunk_sizes / sizeof chunk_sizes[0] };

START_TEST(streams_in_chunks) {
    const char *path = good_files[_i / CHUNK_SIZES];
    int chunk = chunk_sizes[_i % CHUNK_SIZES];
    NpzArray *a = npz_open_array(path, "data");
    for (int first = 0; first < ROWS; first += chunk)
        read_and_check(a, first, ROWS - first < chunk ? ROWS - first : chunk);
    npz_array_close(a);
}
END_TEST

START_TEST(skips_forward) {
    NpzArray *a = npz_open_array(good_files[_i], "data");
    read_and_check(a, 0, 3);
    read_and_check(a, 10, 3);
    read_and_check(a, 13, 1);
    read_and_check(a, 36, 1);
    npz_array_close(a);
}
END_TEST

START_TEST(goes_back) {
    NpzArray *a = npz_open_array(good_files[_i], "data");
    read_and_check(a, 20, 17);
    read_and_check(a, 3, 2);
    read_and_check(a, 0, 1);
    read_and_check(a, 0, ROWS);
    read_and_check(a, 4, 26);
    npz_array_close(a);
}
END_TEST

START_TEST(an_empty_read_reads_nothing) {
    NpzArray *a = npz_open_array(good_files[_i], "data");
    npz_array_read_rows(a, ROWS, 0, NULL);
    read_and_check(a, 0, ROWS);
    npz_array_close(a);
}
END_TEST

/* The labels were a Python list, which numpy saves as int64. */
START_TEST(reads_labels) {
    NpzArray *a = npz_open_array(good_files[_i], "labels");
    const NpyInfo *info = npz_array_info(a);
    ck_assert_int_eq(info->type, NPY_I64);
    ck_assert_int_eq(info->ndim, 1);
    ck_assert_int_eq(info->rows, ROWS);
    ck_assert_int_eq(info->row_bytes, 8);
    npz_array_close(a);

    int64_t count = 0;
    int64_t *labels = npz_read_int64(good_files[_i], "labels", &count);
    ck_assert_int_eq(count, ROWS);
    for (int64_t i = 0; i < count; i++) ck_assert_int_eq(labels[i], i % 10 + 1);
    free(labels);
}
END_TEST

/* The same int32 [3, 5] grid under .npy versions 1.0, 2.0, 3.0 and a
   Python 2 header with "3L, 5L". */
static const char *const grid_names[] = {"v1", "v2", "v3", "py2"};

START_TEST(reads_every_header_version) {
    NpzArray *a = npz_open_array(FIXTURE("arrays.npz"), grid_names[_i]);
    const NpyInfo *info = npz_array_info(a);
    ck_assert_int_eq(info->type, NPY_I32);
    ck_assert_int_eq(info->ndim, 2);
    ck_assert_int_eq(info->rows, 3);
    ck_assert_int_eq(info->row_bytes, 5 * 4);
    int32_t grid[3][5];
    npz_array_read_rows(a, 1, 2, grid[1]);
    npz_array_read_rows(a, 0, 1, grid[0]);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 5; c++) ck_assert_int_eq(grid[r][c], (r * 5 + c) * 1000 - 7000);
    npz_array_close(a);
}
END_TEST

START_TEST(converts_every_integer_type_to_int64) {
    const struct {
        const char *name;
        int64_t scale, offset; /* value k is (k + offset) * scale */
    } ramps[] = {{"u1", 50, 0}, {"i4", 100000, -3}, {"i8", 1000000000000, -3}};
    for (int r = 0; r < 3; r++) {
        int64_t count = 0;
        int64_t *values = npz_read_int64(FIXTURE("arrays.npz"), ramps[r].name, &count);
        ck_assert_int_eq(count, 6);
        for (int64_t k = 0; k < count; k++) ck_assert_int_eq(values[k], (k + ramps[r].offset) * ramps[r].scale);
        free(values);
    }
}
END_TEST

START_TEST(reads_a_scalar_and_an_empty_array) {
    int64_t count = 0;
    int64_t *scalar = npz_read_int64(FIXTURE("arrays.npz"), "scalar", &count);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(scalar[0], 42);
    free(scalar);

    NpzArray *a = npz_open_array(FIXTURE("arrays.npz"), "empty");
    const NpyInfo *info = npz_array_info(a);
    ck_assert_int_eq(info->rows, 0);
    ck_assert_int_eq(info->row_bytes, ROW_BYTES);
    npz_array_read_rows(a, 0, 0, NULL);
    npz_array_close(a);
}
END_TEST

/* Each bad case: the fixture, the array, what the message must also name. */
static void expect_open_fatal(const char *path, const char *name, const char *array_text, const char *field_text) {
    expect_fatal_mentioning(path, array_text, field_text);
    npz_array_close(npz_open_array(path, name));
}

START_TEST(missing_file_is_fatal) {
    expect_open_fatal(FIXTURE("absent.npz"), "data", "'data'", "No such file");
}
END_TEST

START_TEST(truncated_zip_is_fatal) {
    expect_open_fatal(FIXTURE("truncated.npz"), "data", "'data'", "Not a zip archive");
}
END_TEST

/* The message lists what the archive holds instead. */
START_TEST(missing_array_is_fatal) {
    expect_open_fatal(FIXTURE("no_data.npz"), "data", "no array 'data'", "'labels', 'mean'");
}
END_TEST

START_TEST(float_data_is_fatal) {
    expect_open_fatal(FIXTURE("wrong_dtype.npz"), "data", "array 'data'", "'descr' '<f4'");
}
END_TEST

/* The real training batches hold a float64 mean image, which is not read. */
START_TEST(float64_mean_is_fatal) {
    expect_open_fatal(FIXTURE("train_stored.npz"), "mean", "array 'mean'", "'descr' '<f8'");
}
END_TEST

START_TEST(fortran_order_is_fatal) {
    expect_open_fatal(FIXTURE("fortran.npz"), "data", "array 'data'", "'fortran_order' True");
}
END_TEST

START_TEST(big_endian_is_fatal) {
    expect_open_fatal(FIXTURE("big_endian.npz"), "labels", "array 'labels'", "'descr' '>i8', a big-endian");
}
END_TEST

START_TEST(object_array_is_fatal) {
    expect_open_fatal(FIXTURE("object.npz"), "labels", "array 'labels'", "'descr' '|O', an object array");
}
END_TEST

START_TEST(corrupt_header_is_fatal) {
    expect_open_fatal(FIXTURE("bad_header.npz"), "data", "array 'data' has a corrupt .npy header",
                      "'shape' is not a tuple");
}
END_TEST

START_TEST(bad_magic_is_fatal) {
    expect_open_fatal(FIXTURE("bad_magic.npz"), "data", "array 'data'", "magic");
}
END_TEST

/* The header claims 5 rows, the entry holds 4. */
START_TEST(data_shorter_than_its_shape_is_fatal) {
    expect_open_fatal(FIXTURE("short_data.npz"), "data", "array 'data' holds 768 bytes", "'shape' (5, 192)");
}
END_TEST

/* A byte flipped in a stored entry shows only in the CRC, checked at the end. */
START_TEST(crc_error_is_fatal) {
    const char *path = FIXTURE("corrupt_stored.npz");
    NpzArray *a = npz_open_array(path, "data");
    read_and_check(a, 0, 5);
    expect_fatal_mentioning(path, "array 'data' is corrupt: after its last row (36)", "CRC error");
    uint8_t rows[ROWS * ROW_BYTES];
    npz_array_read_rows(a, 5, ROWS - 5, rows);
}
END_TEST

/* The script damaged the deflate stream where inflating stops part-way. */
START_TEST(damaged_deflate_stream_is_fatal) {
    const char *path = FIXTURE("corrupt_deflated.npz");
    NpzArray *a = npz_open_array(path, "data");
    expect_fatal_mentioning(path, "array 'data' cannot be read in rows [", ", 37): Zlib error");
    uint8_t rows[ROWS * ROW_BYTES];
    npz_array_read_rows(a, 0, ROWS, rows);
}
END_TEST

START_TEST(damage_met_while_skipping_is_fatal) {
    const char *path = FIXTURE("corrupt_deflated.npz");
    NpzArray *a = npz_open_array(path, "data");
    expect_fatal_mentioning(path, "array 'data' cannot be read while skipping to row 36", NULL);
    read_and_check(a, 36, 1);
}
END_TEST

START_TEST(rows_past_the_end_are_fatal) {
    const char *path = good_files[0];
    NpzArray *a = npz_open_array(path, "data");
    expect_fatal_mentioning(path, "array 'data' has 37 rows", "[30, 38)");
    read_and_check(a, 30, 8);
}
END_TEST

START_TEST(negative_row_is_fatal) {
    const char *path = good_files[1];
    NpzArray *a = npz_open_array(path, "data");
    expect_fatal_mentioning(path, "array 'data' has 37 rows", "[-1, 1)");
    read_and_check(a, -1, 2);
}
END_TEST

/* npz_write's archive reads back through the reader, every type and shape as written. */
START_TEST(reads_what_npz_write_wrote) {
    Path path;
    scratch_path(path, "written.npz");
    uint8_t images[2 * 3 * 4 * 3];
    int64_t labels[2] = {7, -1};
    int32_t small[3] = {1, -2, 3};
    for (size_t i = 0; i < sizeof images; i++) images[i] = (uint8_t)(i * 13);
    const NpyArrayOut arrays[3] = {{"arr_0", NPY_U8, 4, {2, 3, 4, 3}, images},
                                   {"arr_1", NPY_I64, 1, {2}, labels},
                                   {"small", NPY_I32, 1, {3}, small}};
    npz_write(path, arrays, 3);
    NpzArray *a = npz_open_array(path, "arr_0");
    const NpyInfo *info = npz_array_info(a);
    ck_assert_int_eq(info->type, NPY_U8);
    ck_assert_int_eq(info->ndim, 4);
    ck_assert_int_eq(info->shape[3], 3);
    ck_assert_int_eq(info->row_bytes, 3 * 4 * 3);
    uint8_t back[sizeof images];
    npz_array_read_rows(a, 0, 2, back);
    ck_assert_mem_eq(back, images, sizeof images);
    npz_array_close(a);
    int64_t count;
    int64_t *l = npz_read_int64(path, "arr_1", &count);
    ck_assert_int_eq(count, 2);
    ck_assert_int_eq(l[0], 7);
    ck_assert_int_eq(l[1], -1);
    free(l);
    int64_t *s = npz_read_int64(path, "small", &count);
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(s[1], -2);
    free(s);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("npz");
    TCase *reads = tcase_create("reads");
    tcase_add_loop_test(reads, data_info_follows_the_header, 0, GOOD_FILES);
    tcase_add_loop_test(reads, reads_all_rows_at_once, 0, GOOD_FILES);
    tcase_add_loop_test(reads, streams_in_chunks, 0, GOOD_FILES * CHUNK_SIZES);
    tcase_add_loop_test(reads, skips_forward, 0, GOOD_FILES);
    tcase_add_loop_test(reads, goes_back, 0, GOOD_FILES);
    tcase_add_loop_test(reads, an_empty_read_reads_nothing, 0, GOOD_FILES);
    tcase_add_loop_test(reads, reads_labels, 0, GOOD_FILES);
    tcase_add_loop_test(reads, reads_every_header_version, 0, sizeof grid_names / sizeof grid_names[0]);
    tcase_add_test(reads, converts_every_integer_type_to_int64);
    tcase_add_test(reads, reads_a_scalar_and_an_empty_array);
    tcase_add_test(reads, reads_what_npz_write_wrote);
    suite_add_tcase(s, reads);

    TCase *fatal = tcase_create("fatal");
    tcase_add_exit_test(fatal, missing_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, truncated_zip_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, missing_array_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, float_data_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, float64_mean_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, fortran_order_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, big_endian_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, object_array_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, corrupt_header_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, bad_magic_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, data_shorter_than_its_shape_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, crc_error_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, damaged_deflate_stream_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, damage_met_while_skipping_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, rows_past_the_end_are_fatal, EXIT_FAILURE);
    tcase_add_exit_test(fatal, negative_row_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, fatal);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
