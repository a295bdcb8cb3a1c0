/* PNG round trips (grey and RGB, odd sizes), the conversions png_read does
   for palette, 16-bit and alpha files, damaged files naming themselves, and
   the canvas putting points, lines and frames where the mapping says. */
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "disco/image.h"
#include "fatal_check.h"
#include "testutil.h"

static uint8_t *pattern(int width, int height, int channels) {
    size_t n = (size_t)width * (size_t)height * (size_t)channels;
    uint8_t *pixels = disco_malloc(n, "test pixels");
    for (size_t i = 0; i < n; i++) pixels[i] = (uint8_t)(i * 37 + i / 7);
    return pixels;
}

static void check_round_trip(int width, int height, int channels) {
    Path path;
    scratch_path(path, "round_trip.png");
    uint8_t *pixels = pattern(width, height, channels);
    png_write(path, pixels, width, height, channels);
    uint8_t *back;
    int w, h, c;
    png_read(path, &back, &w, &h, &c);
    ck_assert_int_eq(w, width);
    ck_assert_int_eq(h, height);
    ck_assert_int_eq(c, channels);
    ck_assert_mem_eq(back, pixels, (size_t)width * (size_t)height * (size_t)channels);
    free(back);
    free(pixels);
}

START_TEST(grey_and_rgb_round_trip) {
    check_round_trip(7, 5, 1);
    check_round_trip(13, 3, 3);
    check_round_trip(1, 1, 3);
    Path tmp;
    scratch_path(tmp, "round_trip.png.tmp");
    ck_assert_int_ne(access(tmp, F_OK), 0);
}
END_TEST

/* Files of other forms, written with libpng itself, read as 8-bit grey or RGB. */
static void write_other(const char *path, png_uint_32 format, const void *pixels, const void *colormap,
                        int colormap_entries) {
    png_image image = {.version = PNG_IMAGE_VERSION, .width = 2, .height = 1, .format = format};
    image.colormap_entries = (png_uint_32)colormap_entries;
    ck_assert_msg(png_image_write_to_file(&image, path, 0, pixels, 0, colormap), "%s", image.message);
}

static uint8_t *read_expecting(const char *path, int channels) {
    uint8_t *pixels;
    int w, h, c;
    png_read(path, &pixels, &w, &h, &c);
    ck_assert_int_eq(w, 2);
    ck_assert_int_eq(h, 1);
    ck_assert_int_eq(c, channels);
    return pixels;
}

START_TEST(other_forms_are_converted) {
    Path path;
    scratch_path(path, "rgba.png");
    /* An opaque red pixel, then a fully transparent one that keeps its colour:
       the alpha is dropped, as PIL's convert('RGB') drops it. */
    write_other(path, PNG_FORMAT_RGBA, (const uint8_t[]){200, 10, 20, 255, 5, 6, 7, 0}, NULL, 0);
    uint8_t *rgb = read_expecting(path, 3);
    ck_assert_mem_eq(rgb, ((const uint8_t[]){200, 10, 20, 5, 6, 7}), 6);
    free(rgb);

    scratch_path(path, "grey16.png");
    write_other(path, PNG_FORMAT_LINEAR_Y, (const uint16_t[]){0, 65535}, NULL, 0);
    uint8_t *grey = read_expecting(path, 1);
    ck_assert_mem_eq(grey, ((const uint8_t[]){0, 255}), 2);
    free(grey);

    scratch_path(path, "palette.png");
    const uint8_t colormap[] = {10, 20, 30, 40, 50, 60};
    write_other(path, PNG_FORMAT_RGB_COLORMAP, (const uint8_t[]){1, 0}, colormap, 2);
    rgb = read_expecting(path, 3);
    ck_assert_mem_eq(rgb, ((const uint8_t[]){40, 50, 60, 10, 20, 30}), 6);
    free(rgb);
}
END_TEST

START_TEST(not_a_png_is_fatal) {
    Path path;
    write_text(path, "text.png", "this is not a PNG file\n");
    expect_fatal_mentioning("cannot read the PNG", path, NULL);
    uint8_t *pixels;
    int w, h, c;
    png_read(path, &pixels, &w, &h, &c);
}
END_TEST

/* A valid header with the image data cut off, as a crash mid-copy leaves it. */
START_TEST(truncated_png_is_fatal) {
    Path path;
    scratch_path(path, "cut.png");
    uint8_t *pixels = pattern(64, 64, 3);
    png_write(path, pixels, 64, 64, 3);
    ck_assert_int_eq(truncate(path, 200), 0);
    expect_fatal_mentioning("cannot read the PNG", path, NULL);
    int w, h, c;
    png_read(path, &pixels, &w, &h, &c);
}
END_TEST

START_TEST(missing_png_is_fatal) {
    Path path;
    scratch_path(path, "absent.png");
    expect_fatal_mentioning(path, NULL, NULL);
    uint8_t *pixels;
    int w, h, c;
    png_read(path, &pixels, &w, &h, &c);
}
END_TEST

START_TEST(bad_channel_count_is_fatal) {
    Path path;
    scratch_path(path, "rgba_out.png");
    expect_fatal_mentioning(path, "4 channels", NULL);
    png_write(path, (const uint8_t[16]){0}, 2, 2, 4);
}
END_TEST

/* ---- the canvas ---- */

static Color pixel_at(const Canvas *c, int x, int y) {
    const uint8_t *p = c->rgb + 3 * ((size_t)y * (size_t)c->width + (size_t)x);
    return (Color){p[0], p[1], p[2]};
}

static bool is_color(const Canvas *c, int x, int y, Color want) {
    Color got = pixel_at(c, x, y);
    return got.r == want.r && got.g == want.g && got.b == want.b;
}

static const Color white = {255, 255, 255};

START_TEST(palette_is_distinct) {
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < i; j++) {
            Color a = palette_color(i), b = palette_color(j);
            ck_assert(a.r != b.r || a.g != b.g || a.b != b.b);
        }
    Color again = palette_color(17), first = palette_color(1);
    ck_assert(again.r == first.r && again.g == first.g && again.b == first.b);
}
END_TEST

/* The plot area of a W x H canvas runs from margin to W - margin - 1. */
START_TEST(points_land_where_the_mapping_says) {
    Canvas c = canvas_create(101, 81, 0, 1, 0, 1);
    const int m = c.margin, right = c.width - m - 1, bottom = c.height - m - 1;
    for (int i = 0; i < c.width * c.height * 3; i++) ck_assert_uint_eq(c.rgb[i], 255);
    Color red = palette_color(3);
    canvas_point(&c, 0, 1, 0, red); /* top left */
    canvas_point(&c, 1, 0, 0, red); /* bottom right */
    ck_assert(is_color(&c, m, m, red));
    ck_assert(is_color(&c, right, bottom, red));
    ck_assert(is_color(&c, m + 1, m, white));

    canvas_point(&c, 0.5, 0.5, 2, red); /* a disc of radius 2 at the centre */
    int cx = (m + right) / 2, cy = (m + bottom) / 2;
    ck_assert(is_color(&c, cx, cy, red) && is_color(&c, cx + 2, cy, red) && is_color(&c, cx, cy - 2, red));
    ck_assert(is_color(&c, cx + 3, cy, white) && is_color(&c, cx + 2, cy + 2, white));

    canvas_point(&c, 5, 5, 3, red); /* outside: nothing drawn, not even in the margin */
    canvas_point(&c, INFINITY, 0, 3, red);
    ck_assert(is_color(&c, c.width - 1, 0, white));
    canvas_free(&c);
}
END_TEST

START_TEST(lines_join_their_endpoints_and_clip) {
    Canvas c = canvas_create(60, 50, -1, 1, -1, 1);
    const int m = c.margin, right = c.width - m - 1, bottom = c.height - m - 1;
    Color blue = palette_color(0);
    canvas_line(&c, -1, -1, 1, 1, blue);
    ck_assert(is_color(&c, m, bottom, blue));
    ck_assert(is_color(&c, right, m, blue));
    /* Far beyond the range on both sides: exactly the plot area's width. */
    canvas_line(&c, -1e9, 1, 1e9, 1, blue);
    for (int x = 0; x < c.width; x++) ck_assert(is_color(&c, x, m, blue) == (x >= m && x <= right));
    canvas_free(&c);
}
END_TEST

START_TEST(frame_draws_border_and_grid) {
    Canvas c = canvas_create(41, 41, -2, 2, -2, 2);
    canvas_frame(&c);
    const int m = c.margin, right = c.width - m - 1, centre = c.width / 2;
    ck_assert(!is_color(&c, m, m, white) && !is_color(&c, right, right, white));
    ck_assert(is_color(&c, m - 1, m - 1, white)); /* the margin stays clear */
    ck_assert(!is_color(&c, centre, centre + 3, white)); /* the grid line x = 0 */
    ck_assert(is_color(&c, centre + 1, centre + 3, white));
    canvas_free(&c);
}
END_TEST

START_TEST(save_row_places_canvases_side_by_side) {
    Canvas row[3];
    for (int i = 0; i < 3; i++) {
        row[i] = canvas_create(40, 30, 0, 1, 0, 1);
        canvas_point(&row[i], 0, 1, 0, palette_color(i));
    }
    Path path;
    scratch_path(path, "row.png");
    canvas_save_row(path, row, 3);
    uint8_t *pixels;
    int w, h, channels;
    png_read(path, &pixels, &w, &h, &channels);
    ck_assert_int_eq(h, 30);
    ck_assert_int_eq(channels, 3);
    int gap = (w - 3 * 40) / 2;
    ck_assert_int_eq(w, 3 * 40 + 2 * gap);
    ck_assert(gap >= 1 && gap <= 16);
    for (int i = 0; i < 3; i++) {
        int x = i * (40 + gap) + row[i].margin, y = row[i].margin;
        Color want = palette_color(i);
        ck_assert_mem_eq(pixels + 3 * (y * w + x), ((const uint8_t[]){want.r, want.g, want.b}), 3);
        canvas_free(&row[i]);
    }
    free(pixels);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("png");
    TCase *tc = tcase_create("png");
    tcase_add_test(tc, grey_and_rgb_round_trip);
    tcase_add_test(tc, other_forms_are_converted);
    tcase_add_exit_test(tc, not_a_png_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, truncated_png_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, missing_png_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, bad_channel_count_is_fatal, EXIT_FAILURE);
    tcase_add_test(tc, palette_is_distinct);
    tcase_add_test(tc, points_land_where_the_mapping_says);
    tcase_add_test(tc, lines_join_their_endpoints_and_clip);
    tcase_add_test(tc, frame_draws_border_and_grid);
    tcase_add_test(tc, save_row_places_canvases_side_by_side);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
