/* Pictures against Pillow: every decode, resize and preprocessing listed in
   tests/fixtures/pil/cases.txt (written by make_fixtures.py there) must give
   Pillow's bytes exactly. Then what Pillow forgives (stray bytes, damaged
   entropy data) and what it refuses (missing, empty, non-JPEG and cut files),
   each refusal naming the file; bad sizes and crops; preprocessing names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/image.h"
#include "disco/picture.h"
#include "fatal_check.h"
#include "testutil.h"

static void fixture_path(Path path, const char *name) {
    snprintf(path, sizeof(Path), "%s/pil/%s", DISCO_FIXTURES, name);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A fixture as the Python script loaded it: PNGs as they are, JPEGs decoded to RGB. */
static Picture load_fixture(const char *name) {
    Path path;
    fixture_path(path, name);
    if (!ends_with(name, ".png")) return jpeg_decode_file(path);
    Picture p;
    png_read(path, &p.pixels, &p.width, &p.height, &p.channels);
    return p;
}

/* True when the pictures are equal; otherwise prints how they differ (to
   stderr, which check's forked children do not buffer). */
static bool same_as_pillow(const Picture *got, const Picture *want, const char *what) {
    if (got->width != want->width || got->height != want->height || got->channels != want->channels) {
        fprintf(stderr, "%s: %dx%d with %d channels, Pillow %dx%d with %d\n", what, got->width, got->height, got->channels,
               want->width, want->height, want->channels);
        return false;
    }
    const size_t n = (size_t)got->width * (size_t)got->height * (size_t)got->channels;
    size_t first = n, differing = 0;
    int largest = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)got->pixels[i] - (int)want->pixels[i]);
        if (d == 0) continue;
        if (first == n) first = i;
        differing++;
        if (d > largest) largest = d;
    }
    if (differing == 0) return true;
    const size_t pixel = first / (size_t)got->channels, row_len = (size_t)got->width;
    fprintf(stderr, "%s: %zu of %zu bytes differ, by up to %d; first at row %zu, column %zu, channel %zu: %d, Pillow %d\n",
           what, differing, n, largest, pixel / row_len, pixel % row_len, first % (size_t)got->channels,
           got->pixels[first], want->pixels[first]);
    return false;
}

static ResampleFilter filter_named(const char *name) {
    if (strcmp(name, "box") == 0) return RESAMPLE_BOX;
    if (strcmp(name, "bicubic") == 0) return RESAMPLE_BICUBIC;
    ck_assert_str_eq(name, "lanczos");
    return RESAMPLE_LANCZOS;
}

/* The result of one line of cases.txt, computed here. */
static Picture run_case(const char *line, const char *kind, char *expected) {
    char source[128], option[32];
    int a, b;
    if (strcmp(kind, "decode") == 0) {
        ck_assert_int_eq(sscanf(line, "decode %127s %127s", source, expected), 2);
        return load_fixture(source);
    }
    Picture in, out;
    if (strcmp(kind, "resize") == 0) {
        ck_assert_int_eq(sscanf(line, "resize %127s %31s %d %d %127s", source, option, &a, &b, expected), 5);
        in = load_fixture(source);
        out = picture_resize(&in, a, b, filter_named(option));
    } else {
        ck_assert_int_eq(sscanf(line, "preprocess %127s %31s %d %127s", source, option, &a, expected), 4);
        Preprocess p;
        ck_assert_msg(preprocess_parse(option, &p), "unknown preprocessing in: %s", line);
        in = load_fixture(source);
        out = preprocess_square(&in, p, a);
    }
    picture_free(&in);
    return out;
}

/* Runs every case of one kind and fails if any differs from Pillow, after
   reporting them all. */
static void check_cases(const char *kind, int at_least) {
    Path path;
    fixture_path(path, "cases.txt");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f, "cannot open %s", path);
    char line[512];
    int ran = 0, failed = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, kind, strlen(kind)) != 0 || line[strlen(kind)] != ' ') continue;
        char expected_name[128];
        Picture got = run_case(line, kind, expected_name);
        Picture want = load_fixture(expected_name);
        failed += !same_as_pillow(&got, &want, line);
        ran++;
        picture_free(&got);
        picture_free(&want);
    }
    fclose(f);
    ck_assert_int_ge(ran, at_least);
    ck_assert_msg(failed == 0, "%d of %d %s cases differ from Pillow (listed above)", failed, ran, kind);
}

START_TEST(decodes_match_pillow) { check_cases("decode", 8); }
END_TEST

START_TEST(resizes_match_pillow) { check_cases("resize", 27); }
END_TEST

START_TEST(preprocessings_match_pillow) { check_cases("preprocess", 22); }
END_TEST

static uint8_t *read_fixture(const char *name, size_t *size) {
    Path path;
    fixture_path(path, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    rewind(f);
    uint8_t *data = disco_malloc(*size, path);
    ck_assert_uint_eq(fread(data, 1, *size, f), *size);
    fclose(f);
    return data;
}

static void write_scratch(Path path, const char *name, const uint8_t *data, size_t size) {
    scratch_path(path, name);
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s", path);
}

/* Bytes between the last scan and the end marker: libjpeg warns, Pillow
   decodes the picture unchanged. */
START_TEST(stray_bytes_before_the_end_are_forgiven) {
    size_t size;
    uint8_t *jpeg = read_fixture("a.jpg", &size);
    uint8_t *padded = disco_malloc(size + 5, "padded JPEG");
    memcpy(padded, jpeg, size - 2);
    memcpy(padded + size - 2, "junk!", 5);
    memcpy(padded + size + 3, jpeg + size - 2, 2);
    Picture got = jpeg_decode_memory(padded, size + 5, "a.jpg with junk");
    Picture want = load_fixture("a.decoded.png");
    ck_assert(same_as_pillow(&got, &want, "a.jpg with junk"));
    picture_free(&got);
    picture_free(&want);
    free(padded);
    free(jpeg);
}
END_TEST

/* damaged.jpg (its decode is one of the Pillow cases) logs a warning that
   names the file. */
START_TEST(damage_is_logged_naming_the_file) {
    Path log_path, jpeg_path;
    scratch_path(log_path, "warnings.txt");
    ck_assert_ptr_nonnull(freopen(log_path, "w", stderr));
    fixture_path(jpeg_path, "damaged.jpg");
    Picture p = jpeg_decode_file(jpeg_path);
    picture_free(&p);
    fflush(stderr);
    char text[1024] = {0};
    FILE *f = fopen(log_path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_gt(fread(text, 1, sizeof text - 1, f), 0);
    fclose(f);
    ck_assert_msg(strstr(text, jpeg_path) && strstr(text, "damaged"), "warning: %s", text);
}
END_TEST

START_TEST(missing_jpeg_is_fatal) {
    Path path;
    scratch_path(path, "absent.jpg");
    expect_fatal_mentioning("cannot open the JPEG", path, NULL);
    jpeg_decode_file(path);
}
END_TEST

START_TEST(not_a_jpeg_is_fatal) {
    Path path;
    write_text(path, "text.jpg", "this is not a JPEG file\n");
    expect_fatal_mentioning("cannot decode the JPEG", path, "Not a JPEG file");
    jpeg_decode_file(path);
}
END_TEST

START_TEST(empty_jpeg_is_fatal) {
    Path path;
    write_text(path, "empty.jpg", "");
    expect_fatal_mentioning(path, NULL, NULL);
    jpeg_decode_file(path);
}
END_TEST

/* Cut at the middle of the scan data of a progressive file, which libjpeg
   alone would pad with grey and return. */
START_TEST(truncated_jpeg_is_fatal) {
    size_t size;
    uint8_t *jpeg = read_fixture("c.jpg", &size);
    Path path;
    write_scratch(path, "cut.jpg", jpeg, size / 2);
    expect_fatal_mentioning("is truncated", path, NULL);
    jpeg_decode_file(path);
}
END_TEST

/* Pillow refuses a file that lacks only its end marker; so does this. */
START_TEST(missing_end_marker_is_fatal) {
    size_t size;
    uint8_t *jpeg = read_fixture("a.jpg", &size);
    ck_assert(jpeg[size - 2] == 0xFF && jpeg[size - 1] == 0xD9);
    Path path;
    write_scratch(path, "no_end.jpg", jpeg, size - 2);
    expect_fatal_mentioning("is truncated", path, NULL);
    jpeg_decode_file(path);
}
END_TEST

/* A member of an archive is named as the caller names it. */
START_TEST(memory_decode_names_its_source) {
    static const uint8_t garbage[] = "GIF89a, not a JPEG";
    expect_fatal_mentioning("train.zip:n01440764/x.JPEG", NULL, NULL);
    jpeg_decode_memory(garbage, sizeof garbage, "train.zip:n01440764/x.JPEG");
}
END_TEST

static Picture constant_picture(int width, int height, int channels, uint8_t value) {
    Picture p = {width, height, channels, disco_malloc((size_t)width * (size_t)height * (size_t)channels, "test")};
    memset(p.pixels, value, (size_t)width * (size_t)height * (size_t)channels);
    return p;
}

/* Normalised weights keep a flat picture flat at any size, with every filter. */
START_TEST(flat_stays_flat) {
    Picture flat = constant_picture(13, 7, 3, 201);
    const ResampleFilter filters[] = {RESAMPLE_BOX, RESAMPLE_BICUBIC, RESAMPLE_LANCZOS};
    for (int f = 0; f < 3; f++) {
        Picture out = picture_resize(&flat, 40, 3, filters[f]);
        for (int i = 0; i < 40 * 3 * 3; i++) ck_assert_uint_eq(out.pixels[i], 201);
        picture_free(&out);
    }
    Picture same = picture_resize(&flat, 13, 7, RESAMPLE_LANCZOS);
    ck_assert_ptr_ne(same.pixels, flat.pixels);
    ck_assert_mem_eq(same.pixels, flat.pixels, 13 * 7 * 3);
    picture_free(&same);
    picture_free(&flat);
}
END_TEST

START_TEST(crop_takes_the_rectangle) {
    Picture p = constant_picture(5, 4, 1, 0);
    for (int i = 0; i < 20; i++) p.pixels[i] = (uint8_t)i;
    Picture c = picture_crop(&p, 1, 2, 3, 2);
    ck_assert_mem_eq(c.pixels, ((const uint8_t[]){11, 12, 13, 16, 17, 18}), 6);
    picture_free(&c);
    picture_free(&p);
}
END_TEST

START_TEST(crop_outside_is_fatal) {
    Picture p = constant_picture(5, 4, 3, 0);
    expect_fatal_mentioning("3x2 at column 3, row 2", "5x4", NULL);
    picture_crop(&p, 3, 2, 3, 2);
}
END_TEST

START_TEST(empty_resize_is_fatal) {
    Picture p = constant_picture(5, 4, 3, 0);
    expect_fatal_mentioning("picture_resize", "0x4", NULL);
    picture_resize(&p, 0, 4, RESAMPLE_BICUBIC);
}
END_TEST

START_TEST(preprocess_names_round_trip) {
    const Preprocess all[] = {PREPROCESS_CENTER_CROP, PREPROCESS_CENTER_CROP_DHARIWAL};
    for (int i = 0; i < 2; i++) {
        Preprocess p;
        ck_assert(preprocess_parse(preprocess_name(all[i]), &p));
        ck_assert_int_eq(p, all[i]);
    }
    Preprocess p;
    ck_assert_str_eq(preprocess_name(PREPROCESS_CENTER_CROP_DHARIWAL), "center-crop-dhariwal");
    ck_assert(!preprocess_parse("center_crop", &p));
    ck_assert(!preprocess_parse("", &p));
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("picture");
    TCase *tc = tcase_create("picture");
    tcase_add_test(tc, decodes_match_pillow);
    tcase_add_test(tc, resizes_match_pillow);
    tcase_add_test(tc, preprocessings_match_pillow);
    tcase_add_test(tc, stray_bytes_before_the_end_are_forgiven);
    tcase_add_test(tc, damage_is_logged_naming_the_file);
    tcase_add_exit_test(tc, missing_jpeg_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, not_a_jpeg_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, empty_jpeg_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, truncated_jpeg_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, missing_end_marker_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, memory_decode_names_its_source, EXIT_FAILURE);
    tcase_add_test(tc, flat_stays_flat);
    tcase_add_test(tc, crop_takes_the_rectangle);
    tcase_add_exit_test(tc, crop_outside_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, empty_resize_is_fatal, EXIT_FAILURE);
    tcase_add_test(tc, preprocess_names_round_trip);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
