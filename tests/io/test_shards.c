/* HDF5 dataset shards: images and labels come back bit-identical (any size,
   grey or colour, with or without deflate, through shard_read or as stored
   chunks inflated outside HDF5), other tools read the file, and
   every bad shard (missing, cut, foreign version, wrong dtype or shape, a
   label or index out of range, a corrupted image) is fatal with a message
   naming the file, and a damaged stored chunk names its index too. A fuzz
   loop cuts and corrupts files, plain and deflated, and checks that each
   ends in such an error or reads back unchanged, never in a signal. */
#include "disco/shards.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fatal_check.h"
#include "file_fuzz.h"
#include "h5_edit.h"
#include "testutil.h"

enum { N = 5, CLASSES = 10 };

static uint8_t pixel(int64_t i, size_t k) { return (uint8_t)(i * 131 + k * 7 + (k >> 3)); }
static int32_t label_of(int64_t i) { return (int32_t)((i * 3) % CLASSES); }

static void write_shard(Path path, const char *name, int h, int w, int c, int deflate) {
    scratch_path(path, name);
    ShardWriter *sw = shard_writer_open(path, h, w, c, CLASSES, "center-crop", "unit test", deflate);
    size_t bytes = (size_t)h * w * c;
    uint8_t *image = malloc(bytes);
    for (int64_t i = 0; i < N; i++) {
        for (size_t k = 0; k < bytes; k++) image[k] = pixel(i, k);
        shard_writer_append(sw, image, label_of(i));
    }
    free(image);
    shard_writer_close(sw);
}

static void write_standard(Path path, const char *name) { write_shard(path, name, 5, 7, 3, 0); }

/* True when every image and label reads back as written. */
static bool reads_back(const char *path) {
    Shard *s = shard_open(path);
    const ShardInfo *info = shard_info(s);
    size_t bytes = (size_t)info->height * info->width * info->channels;
    uint8_t *image = malloc(bytes);
    bool same = info->count == N;
    for (int64_t i = 0; same && i < N; i++) {
        int32_t label;
        shard_read(s, i, image, &label);
        same = label == label_of(i);
        for (size_t k = 0; same && k < bytes; k++) same = image[k] == pixel(i, k);
    }
    free(image);
    shard_close(s);
    return same;
}

START_TEST(images_and_labels_round_trip) {
    const int shapes[4][4] = {{5, 7, 1, 0}, {3, 9, 3, 0}, {5, 7, 1, 6}, {11, 2, 3, 1}};
    for (int t = 0; t < 4; t++) {
        Path path, tmp;
        char name[32], tmp_name[32];
        snprintf(name, sizeof name, "round_trip%d.h5", t);
        snprintf(tmp_name, sizeof tmp_name, "round_trip%d.h5.tmp", t);
        write_shard(path, name, shapes[t][0], shapes[t][1], shapes[t][2], shapes[t][3]);
        scratch_path(tmp, tmp_name);
        ck_assert_int_ne(access(tmp, F_OK), 0);
        Shard *s = shard_open(path);
        const ShardInfo *info = shard_info(s);
        ck_assert_int_eq(info->count, N);
        ck_assert_int_eq(info->height, shapes[t][0]);
        ck_assert_int_eq(info->width, shapes[t][1]);
        ck_assert_int_eq(info->channels, shapes[t][2]);
        ck_assert_int_eq(info->classes, CLASSES);
        ck_assert_str_eq(info->preprocessing, "center-crop");
        ck_assert_str_eq(info->source, "unit test");
        shard_close(s);
        ck_assert(reads_back(path));
        shard_verify(path);
    }
}
END_TEST

START_TEST(h5dump_reads_the_images) {
    if (access("/usr/bin/h5dump", X_OK) != 0) return;
    Path path, dump;
    write_standard(path, "dump.h5");
    scratch_path(dump, "dump.txt");
    char command[1200];
    snprintf(command, sizeof command, "h5dump -d images -d labels '%s' > '%s'", path, dump);
    ck_assert_int_eq(system(command), 0);
    FILE *f = fopen(dump, "r");
    static char text[65536];
    text[fread(text, 1, sizeof text - 1, f)] = '\0';
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "DATATYPE  H5T_STD_U8LE"));
    ck_assert_ptr_nonnull(strstr(text, "( 5, 5, 7, 3 ) / ( H5S_UNLIMITED, 5, 7, 3 )"));
    ck_assert_ptr_nonnull(strstr(text, "(0,0,0,0): 0, 7, 14,"));
    ck_assert_ptr_nonnull(strstr(text, "(0): 0, 3, 6, 9, 2"));
}
END_TEST

/* ---- chunks as stored: shard_read_raw + shard_unpack ---- */

/* Every image through the two-step read; *deflated counts the chunks that
   came deflated. True when every image and label is as written. */
static bool reads_back_raw(const char *path, int *deflated) {
    Shard *s = shard_open(path);
    const ShardInfo *info = shard_info(s);
    size_t bytes = (size_t)info->height * info->width * info->channels;
    uint8_t *chunk = malloc(shard_raw_capacity(info)), *image = malloc(bytes);
    bool same = info->count == N;
    *deflated = 0;
    /* All of them, even after a difference, so that the fuzz reads every chunk. */
    for (int64_t i = 0; i < info->count; i++) {
        ShardRaw raw = {.data = chunk};
        int32_t label;
        shard_read_raw(s, i, &raw, &label);
        const uint8_t *pixels = shard_unpack(s, i, &raw, image);
        *deflated += raw.deflated;
        same = same && label == label_of(i);
        for (size_t k = 0; same && k < bytes; k++) same = pixels[k] == pixel(i, k);
    }
    free(image);
    free(chunk);
    shard_close(s);
    return same;
}

START_TEST(raw_chunks_read_back) {
    Path plain, deflated;
    int n_deflated;
    write_shard(plain, "raw_plain.h5", 32, 32, 3, 0);
    ck_assert(reads_back_raw(plain, &n_deflated));
    ck_assert_int_eq(n_deflated, 0);
    /* The pattern repeats every 2048 bytes, so deflate shrinks these 3072. */
    write_shard(deflated, "raw_deflated.h5", 32, 32, 3, 6);
    ck_assert(reads_back_raw(deflated, &n_deflated));
    ck_assert_int_eq(n_deflated, N);
}
END_TEST

/* Deflating noise makes it larger: such chunks must fit the scratch. */
START_TEST(incompressible_chunks_read_back) {
    Path path;
    scratch_path(path, "noise.h5");
    enum { BYTES = 8 * 8 * 3 };
    uint8_t noise[N][BYTES];
    uint32_t state = 7;
    for (int i = 0; i < N; i++)
        for (int k = 0; k < BYTES; k++) noise[i][k] = (uint8_t)((state = state * 1664525u + 1013904223u) >> 24);
    ShardWriter *sw = shard_writer_open(path, 8, 8, 3, CLASSES, "none", "noise", 9);
    for (int i = 0; i < N; i++) shard_writer_append(sw, noise[i], 0);
    shard_writer_close(sw);
    Shard *s = shard_open(path);
    uint8_t *chunk = malloc(shard_raw_capacity(shard_info(s))), image[BYTES];
    for (int i = 0; i < N; i++) {
        ShardRaw raw = {.data = chunk};
        int32_t label;
        shard_read_raw(s, i, &raw, &label);
        ck_assert(raw.deflated && raw.bytes > BYTES);
        ck_assert_mem_eq(shard_unpack(s, i, &raw, image), noise[i], BYTES);
    }
    free(chunk);
    shard_close(s);
}
END_TEST

/* A chunk whose mask says the deflate filter was skipped holds the image as is. */
START_TEST(chunks_that_skipped_deflate_are_read_as_stored) {
    Path path;
    write_shard(path, "skipped.h5", 5, 7, 3, 6);
    uint8_t image[5 * 7 * 3];
    for (size_t k = 0; k < sizeof image; k++) image[k] = pixel(2, k);
    edit_replace_chunk(path, "images", 2, 1, image, sizeof image);
    int n_deflated;
    ck_assert(reads_back_raw(path, &n_deflated));
    ck_assert(reads_back(path));
}
END_TEST

/* A contiguous dataset, as another tool might write, has no chunks to copy:
   the two-step read falls back to H5Dread. */
START_TEST(other_layouts_are_read_through_hdf5) {
    Path path;
    write_standard(path, "contiguous.h5");
    edit_replace_dataset(path, "images", H5T_STD_U8LE, 4, (hsize_t[]){N, 5, 7, 3});
    uint8_t image[5 * 7 * 3];
    for (int64_t i = 0; i < N; i++) {
        for (size_t k = 0; k < sizeof image; k++) image[k] = pixel(i, k);
        edit_overwrite(path, "images", i, image, H5T_NATIVE_UINT8);
    }
    int n_deflated;
    ck_assert(reads_back_raw(path, &n_deflated));
    ck_assert_int_eq(n_deflated, 0);
}
END_TEST

/* Replaces image 2's chunk, then unpacks it. */
static void unpack_replaced_chunk(const char *path, uint32_t skipped_filters, const void *bytes, size_t size) {
    edit_replace_chunk(path, "images", 2, skipped_filters, bytes, size);
    Shard *s = shard_open(path);
    uint8_t chunk[256], image[5 * 7 * 3];
    ck_assert_uint_le(shard_raw_capacity(shard_info(s)), sizeof chunk);
    ShardRaw raw = {.data = chunk};
    int32_t label;
    shard_read_raw(s, 2, &raw, &label);
    shard_unpack(s, 2, &raw, image);
}

START_TEST(damaged_deflated_chunk_is_fatal) {
    Path path;
    write_shard(path, "damaged.h5", 5, 7, 3, 6);
    expect_fatal_mentioning(path, "the deflated chunk of image 2 is damaged", NULL);
    unpack_replaced_chunk(path, 0, "not deflate data", 16);
}
END_TEST

START_TEST(short_deflated_chunk_is_fatal) {
    Path path;
    write_shard(path, "short.h5", 5, 7, 3, 6);
    uint8_t deflated[64];
    uLongf size = sizeof deflated;
    ck_assert_int_eq(compress2(deflated, &size, (const Bytef *)"thirty bytes of one image ....", 30, 6), Z_OK);
    expect_fatal_mentioning(path, "chunk of image 2 inflates to 30 bytes, expected 105", NULL);
    unpack_replaced_chunk(path, 0, deflated, size);
}
END_TEST

START_TEST(short_stored_chunk_is_fatal) {
    Path path;
    write_shard(path, "short_stored.h5", 5, 7, 3, 6);
    expect_fatal_mentioning(path, "image 2 is stored in 10 bytes, expected 105", NULL);
    unpack_replaced_chunk(path, 1, "ten bytes.", 10);
}
END_TEST

/* ---- files edited with the HDF5 API, as a foreign writer might ---- */

START_TEST(missing_file_is_fatal) {
    Path path;
    scratch_path(path, "absent.h5");
    expect_fatal_mentioning(path, "No such file", NULL);
    shard_open(path);
}
END_TEST

START_TEST(truncated_file_is_fatal) {
    Path path;
    write_standard(path, "cut.h5");
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ck_assert_int_eq(truncate(path, size / 2), 0);
    expect_fatal_mentioning(path, "truncated", NULL);
    shard_open(path);
}
END_TEST

START_TEST(unknown_version_is_fatal) {
    Path path;
    write_standard(path, "version.h5");
    edit_int_attribute(path, "format_version", 7);
    expect_fatal_mentioning(path, "unknown shard format version 7", NULL);
    shard_open(path);
}
END_TEST

START_TEST(float_images_are_fatal) {
    Path path;
    write_standard(path, "float.h5");
    edit_replace_dataset(path, "images", H5T_IEEE_F32LE, 4, (hsize_t[]){N, 5, 7, 3});
    expect_fatal_mentioning(path, "dataset 'images' must be uint8", NULL);
    shard_open(path);
}
END_TEST

START_TEST(int64_labels_are_fatal) {
    Path path;
    write_standard(path, "int64.h5");
    edit_replace_dataset(path, "labels", H5T_STD_I64LE, 1, (hsize_t[]){N});
    expect_fatal_mentioning(path, "dataset 'labels' must be int32", NULL);
    shard_open(path);
}
END_TEST

START_TEST(wrong_image_shape_is_fatal) {
    Path path;
    write_standard(path, "shape.h5");
    edit_replace_dataset(path, "images", H5T_STD_U8LE, 4, (hsize_t[]){N, 7, 5, 3});
    expect_fatal_mentioning(path, "has shape [5, 7, 5, 3], attributes say [N, 5, 7, 3]", NULL);
    shard_open(path);
}
END_TEST

START_TEST(wrong_image_rank_is_fatal) {
    Path path;
    write_standard(path, "rank.h5");
    edit_replace_dataset(path, "images", H5T_STD_U8LE, 3, (hsize_t[]){N, 5, 21});
    expect_fatal_mentioning(path, "'images' has 3 dimensions, expected 4", NULL);
    shard_open(path);
}
END_TEST

START_TEST(label_count_mismatch_is_fatal) {
    Path path;
    write_standard(path, "count.h5");
    edit_replace_dataset(path, "labels", H5T_STD_I32LE, 1, (hsize_t[]){N - 1});
    expect_fatal_mentioning(path, "4 labels for 5 images", NULL);
    shard_open(path);
}
END_TEST

START_TEST(label_out_of_range_is_fatal) {
    Path path;
    write_standard(path, "label.h5");
    edit_overwrite(path, "labels", 3, &(int32_t){CLASSES}, H5T_NATIVE_INT32);
    expect_fatal_mentioning(path, "label 10 at index 3 is outside [0, 10)", NULL);
    shard_open(path);
}
END_TEST

START_TEST(corrupted_image_fails_the_checksum) {
    Path path;
    write_standard(path, "flip.h5");
    uint8_t image[5 * 7 * 3];
    for (size_t k = 0; k < sizeof image; k++) image[k] = pixel(2, k);
    image[17] ^= 0x10;
    edit_overwrite(path, "images", 2, image, H5T_NATIVE_UINT8);
    expect_fatal_mentioning(path, "images checksum mismatch", NULL);
    shard_verify(path);
}
END_TEST

START_TEST(index_out_of_range_is_fatal) {
    Path path;
    write_standard(path, "index.h5");
    Shard *s = shard_open(path);
    uint8_t image[5 * 7 * 3];
    int32_t label;
    shard_read(s, N - 1, image, &label);
    expect_fatal_mentioning(path, "index 5 is out of range [0, 5)", NULL);
    shard_read(s, N, image, &label);
}
END_TEST

/* ---- fuzz ---- */

/* The two-step read goes first, on the damaged file: it need not notice
   damage that the checksums catch, but it must not crash on it. */
static bool verifies_and_reads_back(const char *path) {
    int deflated;
    reads_back_raw(path, &deflated);
    shard_verify(path);
    return reads_back(path);
}

START_TEST(cut_and_corrupted_files_fail_cleanly) {
    Path good, bad;
    for (int deflate = 0; deflate <= 6; deflate += 6) {
        write_shard(good, "fuzz_good.h5", 32, 32, 3, deflate);
        scratch_path(bad, "fuzz_bad.h5");
        int unchanged = fuzz_file(good, bad, 256, verifies_and_reads_back);
        fprintf(stdout, "fuzz (deflate %d): %d of 256 flips read back unchanged, the rest failed cleanly\n", deflate,
                unchanged);
    }
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("shards");
    TCase *tc = tcase_create("shards");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, images_and_labels_round_trip);
    tcase_add_test(tc, h5dump_reads_the_images);
    tcase_add_test(tc, raw_chunks_read_back);
    tcase_add_test(tc, incompressible_chunks_read_back);
    tcase_add_test(tc, chunks_that_skipped_deflate_are_read_as_stored);
    tcase_add_test(tc, other_layouts_are_read_through_hdf5);
    tcase_add_exit_test(tc, damaged_deflated_chunk_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, short_deflated_chunk_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, short_stored_chunk_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, missing_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, truncated_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, unknown_version_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, float_images_are_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, int64_labels_are_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, wrong_image_shape_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, wrong_image_rank_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, label_count_mismatch_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, label_out_of_range_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, corrupted_image_fails_the_checksum, EXIT_FAILURE);
    tcase_add_exit_test(tc, index_out_of_range_is_fatal, EXIT_FAILURE);
    tcase_add_test(tc, cut_and_corrupted_files_fail_cleanly);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
