/* HDF5 dataset shards: images and labels come back bit-identical (any size,
   grey or colour, with or without deflate), other tools read the file, and
   every bad shard (missing, cut, foreign version, wrong dtype or shape, a
   label or index out of range, a corrupted image) is fatal with a message
   naming the file. A fuzz loop cuts and corrupts files and checks that
   each ends in such an error or reads back unchanged, never in a signal. */
#include "disco/shards.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fatal_check.h"
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

/* ---- files edited with the HDF5 API, as a foreign writer might ---- */

static hid_t open_rw(const char *path) {
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(file, 0);
    return file;
}

static void set_version(const char *path, int version) {
    hid_t file = open_rw(path);
    hid_t attribute = H5Aopen(file, "format_version", H5P_DEFAULT);
    ck_assert_int_ge(H5Awrite(attribute, H5T_NATIVE_INT, &version), 0);
    H5Aclose(attribute);
    H5Fclose(file);
}

/* Replaces a dataset with an empty one of the given type and shape. */
static void replace_dataset(const char *path, const char *name, hid_t type, int rank, const hsize_t *dims) {
    hid_t file = open_rw(path);
    ck_assert_int_ge(H5Ldelete(file, name, H5P_DEFAULT), 0);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t set = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(set, 0);
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(file);
}

/* Overwrites one element (a label or a whole image) in place. */
static void overwrite(const char *path, const char *name, int64_t index, const void *value, hid_t type) {
    hid_t file = open_rw(path);
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t file_space = H5Dget_space(set);
    int rank = H5Sget_simple_extent_ndims(file_space);
    hsize_t start[4] = {(hsize_t)index, 0, 0, 0}, count[4];
    H5Sget_simple_extent_dims(file_space, count, NULL);
    count[0] = 1;
    H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t memory_space = H5Screate_simple(rank, count, NULL);
    ck_assert_int_ge(H5Dwrite(set, type, memory_space, file_space, H5P_DEFAULT, value), 0);
    H5Sclose(memory_space);
    H5Sclose(file_space);
    H5Dclose(set);
    H5Fclose(file);
}

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
    set_version(path, 7);
    expect_fatal_mentioning(path, "unknown shard format version 7", NULL);
    shard_open(path);
}
END_TEST

START_TEST(float_images_are_fatal) {
    Path path;
    write_standard(path, "float.h5");
    replace_dataset(path, "images", H5T_IEEE_F32LE, 4, (hsize_t[]){N, 5, 7, 3});
    expect_fatal_mentioning(path, "dataset 'images' must be uint8", NULL);
    shard_open(path);
}
END_TEST

START_TEST(int64_labels_are_fatal) {
    Path path;
    write_standard(path, "int64.h5");
    replace_dataset(path, "labels", H5T_STD_I64LE, 1, (hsize_t[]){N});
    expect_fatal_mentioning(path, "dataset 'labels' must be int32", NULL);
    shard_open(path);
}
END_TEST

START_TEST(wrong_image_shape_is_fatal) {
    Path path;
    write_standard(path, "shape.h5");
    replace_dataset(path, "images", H5T_STD_U8LE, 4, (hsize_t[]){N, 7, 5, 3});
    expect_fatal_mentioning(path, "has shape [5, 7, 5, 3], attributes say [N, 5, 7, 3]", NULL);
    shard_open(path);
}
END_TEST

START_TEST(wrong_image_rank_is_fatal) {
    Path path;
    write_standard(path, "rank.h5");
    replace_dataset(path, "images", H5T_STD_U8LE, 3, (hsize_t[]){N, 5, 21});
    expect_fatal_mentioning(path, "'images' has 3 dimensions, expected 4", NULL);
    shard_open(path);
}
END_TEST

START_TEST(label_count_mismatch_is_fatal) {
    Path path;
    write_standard(path, "count.h5");
    replace_dataset(path, "labels", H5T_STD_I32LE, 1, (hsize_t[]){N - 1});
    expect_fatal_mentioning(path, "4 labels for 5 images", NULL);
    shard_open(path);
}
END_TEST

START_TEST(label_out_of_range_is_fatal) {
    Path path;
    write_standard(path, "label.h5");
    overwrite(path, "labels", 3, &(int32_t){CLASSES}, H5T_NATIVE_INT32);
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
    overwrite(path, "images", 2, image, H5T_NATIVE_UINT8);
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

/* Verifies and reads the file in a child: exit 1 is a clean fatal error,
   exit 0 means the damage changed nothing that is read. */
static int verify_in_child(const char *path) {
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        alarm(20); /* a hang would end in SIGALRM, which the parent reports */
        if (!freopen("/dev/null", "w", stderr)) _exit(4);
        shard_verify(path);
        _exit(reads_back(path) ? 0 : 2);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(!WIFSIGNALED(status), "'%s' killed the reader with signal %d", path, WTERMSIG(status));
    return WEXITSTATUS(status);
}

static void copy_bytes(const char *path, const uint8_t *bytes, long size) {
    FILE *f = fopen(path, "wb");
    ck_assert(f && fwrite(bytes, 1, (size_t)size, f) == (size_t)size && fclose(f) == 0);
}

START_TEST(cut_and_corrupted_files_fail_cleanly) {
    Path good, bad;
    write_shard(good, "fuzz_good.h5", 6, 5, 3, 0);
    scratch_path(bad, "fuzz_bad.h5");
    FILE *f = fopen(good, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    uint8_t *bytes = malloc((size_t)size);
    ck_assert_int_eq(fread(bytes, 1, (size_t)size, f), size);
    fclose(f);

    for (int cut = 1; cut <= 16; cut++) {
        copy_bytes(bad, bytes, size * cut / 17);
        ck_assert_msg(verify_in_child(bad) == 1, "cut to %ld of %ld bytes did not fail", size * cut / 17, size);
    }
    uint32_t state = 12345;
    int unchanged = 0;
    for (int trial = 0; trial < 256; trial++) {
        state = state * 1664525u + 1013904223u;
        long at = (long)(state >> 8) % size;
        bytes[at] ^= (uint8_t)(1u << (state & 7));
        copy_bytes(bad, bytes, size);
        int code = verify_in_child(bad);
        ck_assert_msg(code == 0 || code == 1, "flipping byte %ld gave exit code %d", at, code);
        unchanged += code == 0;
        bytes[at] ^= (uint8_t)(1u << (state & 7));
    }
    fprintf(stdout, "fuzz: %d of 256 flips read back unchanged, the rest failed cleanly\n", unchanged);
    free(bytes);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("shards");
    TCase *tc = tcase_create("shards");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, images_and_labels_round_trip);
    tcase_add_test(tc, h5dump_reads_the_images);
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
