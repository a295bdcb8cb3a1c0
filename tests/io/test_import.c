/* The import driver and its sources: shards cut at the right places and
   reading back what the source gave; a finished data set refused without
   --force; an interrupted import resumed, keeping finished shards and
   refusing foreign ones; Fashion-MNIST, ImageNet folders (labels by class
   folder, a PNG under a .JPEG name), PNG folders (labels from dataset.json,
   matched by path) and .npz batches (CHW to HWC, 1-based labels). */
#include "disco/import.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disco/dataset.h"
#include "disco/idx.h"
#include "disco/image.h"
#include "disco/npz.h"
#include "disco/picture.h"
#include "fatal_check.h"
#include "testutil.h"

enum { H = 4, W = 3, C = 3, CLASSES = 7, IMAGE = H * W * C };

static uint8_t pixel(int64_t i, int k) { return (uint8_t)(i * 11 + k * 5); }
static int32_t label_of(int64_t i) { return (int32_t)((i * 5) % CLASSES); }

static int64_t loads; /* images the synthetic source has produced */

static void load_synthetic(void *state, int64_t index, uint8_t *image, int32_t *label) {
    for (int k = 0; k < IMAGE; k++) image[k] = pixel(index, k);
    *label = label_of(index);
    loads++;
}

static ImportSource synthetic(int64_t count, const char *preprocessing) {
    ImportSource s = {.count = count, .height = H, .width = W, .channels = C, .classes = CLASSES,
                      .load = load_synthetic};
    snprintf(s.preprocessing, sizeof s.preprocessing, "%s", preprocessing);
    snprintf(s.source, sizeof s.source, "unit test");
    return s;
}

static ImportReport run_import(const char *dir, int64_t count, int64_t shard_images, bool force) {
    ImportSource s = synthetic(count, "none");
    return import_dataset(&s, &(ImportOptions){.out_dir = dir, .shard_images = shard_images, .force = force});
}

static void assert_reads_back(const char *dir, int64_t count, int shards) {
    Dataset *d = dataset_open(dir);
    ck_assert_int_eq(dataset_info(d)->count, count);
    ck_assert_int_eq(dataset_shards(d), shards);
    uint8_t image[IMAGE];
    for (int64_t i = 0; i < count; i++) {
        int32_t label;
        dataset_read(d, i, image, &label);
        ck_assert_int_eq(label, label_of(i));
        for (int k = 0; k < IMAGE; k++) ck_assert_int_eq(image[k], pixel(i, k));
    }
    dataset_close(d);
}

START_TEST(shards_hold_consecutive_images) {
    Path dir, last;
    scratch_path(dir, "cut");
    ImportReport r = run_import(dir, 30, 7, false);
    ck_assert_int_eq(r.images, 30);
    ck_assert_int_eq(r.shards_written, 5);
    ck_assert_int_eq(r.shards_kept, 0);
    assert_reads_back(dir, 30, 5);
    scratch_path(last, "cut/shard-00004.h5");
    Shard *s = shard_open(last);
    ck_assert_int_eq(shard_info(s)->count, 2);
    shard_close(s);
}
END_TEST

START_TEST(finished_data_set_is_refused) {
    Path dir;
    scratch_path(dir, "finished");
    run_import(dir, 10, 4, false);
    expect_fatal_mentioning(dir, "--force", NULL);
    run_import(dir, 10, 4, false);
}
END_TEST

START_TEST(force_replaces_a_finished_data_set) {
    Path dir;
    scratch_path(dir, "forced");
    run_import(dir, 10, 4, false);
    ImportReport r = run_import(dir, 9, 9, true);
    ck_assert_int_eq(r.shards_written, 1);
    assert_reads_back(dir, 9, 1);
    Path stale;
    scratch_path(stale, "forced/shard-00002.h5");
    ck_assert_int_ne(access(stale, F_OK), 0);
}
END_TEST

/* An import cut short leaves finished shards and no index; the rerun loads
   only the missing shard's images. */
START_TEST(interrupted_import_resumes) {
    Path dir, gone, index, tmp;
    scratch_path(dir, "resumed");
    run_import(dir, 23, 5, false);
    scratch_path(gone, "resumed/shard-00003.h5");
    scratch_path(index, "resumed/index.h5");
    ck_assert_int_eq(unlink(gone), 0);
    ck_assert_int_eq(unlink(index), 0);
    scratch_path(tmp, "resumed/shard-00003.h5.tmp");
    FILE *half_written = fopen(tmp, "w");
    fputs("partial", half_written);
    fclose(half_written);
    loads = 0;
    ImportReport r = run_import(dir, 23, 5, false);
    ck_assert_int_eq(r.shards_written, 1);
    ck_assert_int_eq(r.shards_kept, 4);
    ck_assert_int_eq(loads, 5);
    assert_reads_back(dir, 23, 5);
}
END_TEST

START_TEST(foreign_shard_is_refused) {
    Path dir, index;
    scratch_path(dir, "foreign");
    run_import(dir, 12, 6, false);
    scratch_path(index, "foreign/index.h5");
    ck_assert_int_eq(unlink(index), 0);
    ImportSource other = synthetic(12, "another preprocessing");
    expect_fatal_mentioning("foreign/shard-00000.h5", "another preprocessing", "--force");
    import_dataset(&other, &(ImportOptions){.out_dir = dir, .shard_images = 6});
}
END_TEST

START_TEST(fmnist_images_are_centred) {
    Path dir;
    scratch_path(dir, "fmnist");
    ImportSource s = import_source_fmnist(
        &(FmnistImport){.data_dir = "/usr/share/datasets/fashion-mnist", .split = "t10k", .size = 32, .rgb = true});
    import_dataset(&s, &(ImportOptions){.out_dir = dir, .shard_images = 4000});
    IdxDataset idx = idx_load("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                              "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", 10);
    Dataset *d = dataset_open(dir);
    ck_assert_int_eq(dataset_info(d)->count, 10000);
    ck_assert_int_eq(dataset_shards(d), 3);
    uint8_t image[32 * 32 * 3];
    for (int64_t i = 0; i < 10000; i += 1237) {
        int32_t label;
        dataset_read(d, i, image, &label);
        ck_assert_int_eq(label, idx.labels[i]);
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                bool inside = y >= 2 && y < 30 && x >= 2 && x < 30;
                uint8_t want = inside ? idx.images[(size_t)i * 784 + (y - 2) * 28 + (x - 2)] : 0;
                for (int c = 0; c < 3; c++) ck_assert_int_eq(image[(y * 32 + x) * 3 + c], want);
            }
    }
    dataset_close(d);
    idx_free(&idx);
}
END_TEST

static void make_folder(const char *relative) {
    Path path;
    scratch_path(path, relative);
    ck_assert_int_eq(mkdir(path, 0777), 0);
}

static void copy_file(const char *from, const char *relative) {
    Path to;
    scratch_path(to, relative);
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    ck_assert_msg(in && out, "cannot copy %s to %s", from, to);
    char buffer[65536];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, in)) > 0) fwrite(buffer, 1, n, out);
    fclose(in);
    fclose(out);
}

/* Two classes, named so that sorting decides the labels; class b also
   holds a PNG under a .JPEG name. The JPEGs must come out as Pillow's
   center-crop-dhariwal makes them; the PNG as the same preprocessing of
   its pixels. */
START_TEST(imagenet_folder_labels_by_class) {
    const char *jpeg = DISCO_FIXTURES "/pil/c.jpg";
    make_folder("imagenet");
    make_folder("imagenet/n0002");
    make_folder("imagenet/n0001");
    copy_file(jpeg, "imagenet/n0002/b.JPEG");
    copy_file(jpeg, "imagenet/n0001/a.jpg");
    Path png_as_jpeg, dir;
    scratch_path(png_as_jpeg, "imagenet/n0002/c.JPEG");
    uint8_t small[20 * 30 * 3];
    for (int k = 0; k < 20 * 30 * 3; k++) small[k] = (uint8_t)(k * 7);
    png_write(png_as_jpeg, small, 30, 20, 3);
    scratch_path(dir, "imagenet");
    ImportSource s = import_source_imagenet(dir, "center-crop-dhariwal", 32);
    ck_assert_int_eq(s.count, 3);
    ck_assert_int_eq(s.classes, 2);
    Picture pil, png_source = {.width = 30, .height = 20, .channels = 3, .pixels = small};
    png_read(DISCO_FIXTURES "/pil/c.center-crop-dhariwal.32.png", &pil.pixels, &pil.width, &pil.height,
             &pil.channels);
    Picture png_want = preprocess_square(&png_source, PREPROCESS_CENTER_CROP_DHARIWAL, 32);
    uint8_t image[32 * 32 * 3];
    int32_t labels[3];
    for (int i = 0; i < 3; i++) {
        s.load(s.state, i, image, &labels[i]);
        ck_assert_int_eq(memcmp(image, i < 2 ? pil.pixels : png_want.pixels, sizeof image), 0);
    }
    ck_assert_int_eq(labels[0], 0);
    ck_assert_int_eq(labels[1], 1);
    ck_assert_int_eq(labels[2], 1);
    picture_free(&png_want);
    picture_free(&pil);

    /* Loaded on several threads and appended in order. */
    Path out;
    scratch_path(out, "imagenet-data");
    import_dataset(&s, &(ImportOptions){.out_dir = out, .shard_images = 2});
    Dataset *d = dataset_open(out);
    ImportSource again = import_source_imagenet(dir, "center-crop-dhariwal", 32);
    uint8_t direct[32 * 32 * 3];
    for (int i = 0; i < 3; i++) {
        int32_t label, direct_label;
        dataset_read(d, i, image, &label);
        again.load(again.state, i, direct, &direct_label);
        ck_assert_int_eq(label, direct_label);
        ck_assert_int_eq(memcmp(image, direct, sizeof image), 0);
    }
    again.close(again.state);
    dataset_close(d);
}
END_TEST

START_TEST(imagenet_file_outside_a_class_folder_is_fatal) {
    make_folder("loose");
    copy_file(DISCO_FIXTURES "/pil/c.jpg", "loose/stray.JPEG");
    Path dir;
    scratch_path(dir, "loose");
    expect_fatal_mentioning("stray.JPEG", "class folder", NULL);
    import_source_imagenet(dir, "center-crop", 16);
}
END_TEST

static void write_png_folder(const char *name) {
    make_folder(name);
    char relative[256];
    snprintf(relative, sizeof relative, "%s/sub", name);
    make_folder(relative);
    const char *files[3] = {"z.png", "sub/b.png", "a.png"};
    for (int i = 0; i < 3; i++) {
        uint8_t image[8 * 8];
        for (int k = 0; k < 64; k++) image[k] = (uint8_t)(i * 80 + k);
        Path path;
        snprintf(relative, sizeof relative, "%s/%s", name, files[i]);
        scratch_path(path, relative);
        png_write(path, image, 8, 8, 1);
    }
}

/* Sorted by path: a.png, sub/b.png, z.png; the labels follow the paths in
   dataset.json, not its order. */
START_TEST(png_folder_labels_come_from_dataset_json) {
    write_png_folder("pngs");
    Path json, dir;
    write_text(json, "pngs/dataset.json", "{\"labels\": [[\"z.png\", 4], [\"a.png\", 2], [\"sub/b.png\", 0]]}");
    scratch_path(dir, "pngs");
    ImportSource s = import_source_png_folder(dir, NULL, "center-crop", 0);
    ck_assert_int_eq(s.count, 3);
    ck_assert_int_eq(s.classes, 5);
    ck_assert_int_eq(s.channels, 1);
    ck_assert_int_eq(s.height, 8);
    const int32_t want_labels[3] = {2, 0, 4};
    const int file_of[3] = {2, 1, 0}; /* which write_png_folder image each sorted path is */
    for (int i = 0; i < 3; i++) {
        uint8_t image[64];
        int32_t label;
        s.load(s.state, i, image, &label);
        ck_assert_int_eq(label, want_labels[i]);
        ck_assert_int_eq(image[5], (uint8_t)(file_of[i] * 80 + 5));
    }
    s.close(s.state);
}
END_TEST

START_TEST(png_folder_label_for_a_missing_file_is_fatal) {
    write_png_folder("badjson");
    Path json, dir;
    write_text(json, "labels.json", "{\"labels\": [[\"z.png\", 4], [\"a.png\", 2], [\"sub/c.png\", 0]]}");
    scratch_path(dir, "badjson");
    expect_fatal_mentioning("labels.json", "labels[2]", "sub/c.png");
    import_source_png_folder(dir, json, "center-crop", 0);
}
END_TEST

/* The fixture batches: data[i][j] = (i * 31 + j * 7) % 256 over CHW rows of
   8x8 RGB images, labels 1-based. */
START_TEST(npz_rows_become_hwc_images) {
    const char *paths[2] = {DISCO_FIXTURES "/npz/train_stored.npz", DISCO_FIXTURES "/npz/train_deflated.npz"};
    ImportSource s = import_source_npz(2, paths);
    int64_t rows[2], count;
    for (int f = 0; f < 2; f++) {
        NpzArray *a = npz_open_array(paths[f], "data");
        rows[f] = npz_array_info(a)->rows;
        npz_array_close(a);
    }
    ck_assert_int_eq(s.count, rows[0] + rows[1]);
    ck_assert_int_eq(s.height, 8);
    ck_assert_int_eq(s.classes, 1000);
    int64_t *labels = npz_read_int64(paths[1], "labels", &count);
    for (int64_t g = 0; g < s.count; g++) {
        int64_t i = g < rows[0] ? g : g - rows[0];
        uint8_t image[8 * 8 * 3];
        int32_t label;
        s.load(s.state, g, image, &label);
        if (g >= rows[0]) ck_assert_int_eq(label, labels[i] - 1);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                for (int c = 0; c < 3; c++) {
                    int64_t j = c * 64 + y * 8 + x;
                    ck_assert_int_eq(image[(y * 8 + x) * 3 + c], (uint8_t)((i * 31 + j * 7) % 256));
                }
    }
    free(labels);
    s.close(s.state);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("import");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shards_hold_consecutive_images);
    tcase_add_exit_test(tc, finished_data_set_is_refused, EXIT_FAILURE);
    tcase_add_test(tc, force_replaces_a_finished_data_set);
    tcase_add_test(tc, interrupted_import_resumes);
    tcase_add_exit_test(tc, foreign_shard_is_refused, EXIT_FAILURE);
    tcase_add_test(tc, fmnist_images_are_centred);
    tcase_add_test(tc, imagenet_folder_labels_by_class);
    tcase_add_exit_test(tc, imagenet_file_outside_a_class_folder_is_fatal, EXIT_FAILURE);
    tcase_add_test(tc, png_folder_labels_come_from_dataset_json);
    tcase_add_exit_test(tc, png_folder_label_for_a_missing_file_is_fatal, EXIT_FAILURE);
    tcase_add_test(tc, npz_rows_become_hwc_images);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
