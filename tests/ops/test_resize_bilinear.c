#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "testutil.h"

static void resize(float *y, const float *x, int batch, int h, int w, int c, int oh, int ow) {
    Backend *be = backend_cpu();
    be->ops->resize_bilinear_forward(be, y, x, batch, h, w, c, oh, ow);
}

/* [0 10; 20 30] to 3x3. Rows and columns sample the input at 0, 2/3 and 4/3,
   the last clamped to 1:
     0      20/3   10
     40/3   20     70/3
     20     80/3   30       */
START_TEST(two_by_two_to_three_by_three_by_hand) {
    float x[4] = {0, 10, 20, 30}, y[9];
    const float expected[9] = {0, 20.0f / 3, 10, 40.0f / 3, 20, 70.0f / 3, 20, 80.0f / 3, 30};
    resize(y, x, 1, 2, 2, 1, 3, 3);
    for (int i = 0; i < 9; i++) ck_assert_float_eq_tol(y[i], expected[i], 1e-5);
}
END_TEST

/* Shrinking samples pixels 0 and 2 of a row of four (no smoothing, as TF1's
   resize_bilinear); a two-channel 1x1 image fills any size; the same size is
   a copy. */
START_TEST(shrinking_samples_and_one_pixel_fills) {
    float row[4] = {1, 2, 3, 4}, y[32];
    resize(y, row, 1, 1, 4, 1, 1, 2);
    ck_assert_float_eq(y[0], 1);
    ck_assert_float_eq(y[1], 3);
    float pixel[2] = {5, -7};
    resize(y, pixel, 1, 1, 1, 2, 4, 4);
    for (int i = 0; i < 16; i++) {
        ck_assert_float_eq(y[2 * i], 5);
        ck_assert_float_eq(y[2 * i + 1], -7);
    }
    float *x = alloc_normal(2 * 3 * 5 * 3, 1, 1.0f), *same = alloc_zeros(2 * 3 * 5 * 3);
    resize(same, x, 2, 3, 5, 3, 3, 5);
    ck_assert_double_eq(max_abs_difference(same, x, 2 * 3 * 5 * 3), 0.0);
    free(x), free(same);
}
END_TEST

/* What EDM's Inception computes, step by step as PyTorch defines it:
   affine_grid (align_corners=False) puts output index j at (2j + 1)/out - 1,
   theta translates it by 1/in - 1/out; grid_sample (align_corners=False)
   maps a grid value g to the pixel coordinate ((g + 1) in - 1)/2, border
   padding clamps it to [0, in - 1], and bilinear weights the four
   neighbours, taking an index past the edge with weight zero. */
static double source_coordinate(int j, int in, int out) {
    double grid = (2.0 * j + 1) / out - 1 + (1.0 / in - 1.0 / out);
    double pixel = ((grid + 1) * in - 1) / 2;
    return fmin(fmax(pixel, 0), in - 1);
}

static double pixel_or_zero(const float *x, int h, int w, int c, int channel, int y, int xx) {
    return y < h && xx < w ? x[((size_t)y * w + xx) * c + channel] : 0.0;
}

static void reference_resize(float *out, const float *x, int batch, int h, int w, int c, int oh, int ow) {
    for (int n = 0; n < batch; n++)
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
                for (int ch = 0; ch < c; ch++) {
                    const float *image = x + (size_t)n * h * w * c;
                    double sy = source_coordinate(i, h, oh), sx = source_coordinate(j, w, ow);
                    int y0 = (int)floor(sy), x0 = (int)floor(sx);
                    double fy = sy - y0, fx = sx - x0;
                    double v = (1 - fy) * (1 - fx) * pixel_or_zero(image, h, w, c, ch, y0, x0) +
                               (1 - fy) * fx * pixel_or_zero(image, h, w, c, ch, y0, x0 + 1) +
                               fy * (1 - fx) * pixel_or_zero(image, h, w, c, ch, y0 + 1, x0) +
                               fy * fx * pixel_or_zero(image, h, w, c, ch, y0 + 1, x0 + 1);
                    out[(((size_t)n * oh + i) * ow + j) * c + ch] = (float)v;
                }
}

typedef struct {
    int batch, height, width, channels, out_height, out_width;
} ResizeCase;

/* FID's 32x32 -> 299x299 and 64x64 -> 299x299, odd and non-square sizes both
   ways, growing one axis while shrinking the other. */
static const ResizeCase cases[] = {
    {2, 32, 32, 3, 299, 299}, {1, 64, 64, 3, 299, 299}, {2, 5, 7, 3, 11, 3}, {1, 9, 4, 2, 4, 13}, {3, 1, 6, 1, 5, 2},
};
enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };

START_TEST(matches_affine_grid_and_grid_sample) {
    ResizeCase r = cases[_i];
    size_t nx = (size_t)r.batch * r.height * r.width * r.channels;
    size_t ny = (size_t)r.batch * r.out_height * r.out_width * r.channels;
    float *x = alloc_zeros(nx), *y = alloc_zeros(ny), *expected = alloc_zeros(ny);
    fill_uniform(x, nx, 1, 0.0f, 255.0f);
    resize(y, x, r.batch, r.height, r.width, r.channels, r.out_height, r.out_width);
    reference_resize(expected, x, r.batch, r.height, r.width, r.channels, r.out_height, r.out_width);
    double worst = max_abs_difference(y, expected, ny);
    ck_assert_msg(worst < 1e-4, "%dx%d -> %dx%d: off by %g of 255", r.height, r.width, r.out_height, r.out_width,
                  worst);
    free(x), free(y), free(expected);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("resize_bilinear");
    TCase *tc = tcase_create("cpu");
    tcase_add_test(tc, two_by_two_to_three_by_three_by_hand);
    tcase_add_test(tc, shrinking_samples_and_one_pixel_fills);
    tcase_add_loop_test(tc, matches_affine_grid_and_grid_sample, 0, N_CASES);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
