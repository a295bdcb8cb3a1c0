#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "testutil.h"

/* Inception's pools (3x3 stride 2 unpadded, 3x3 stride 1 padded, the 8x8
   global average) on odd and even sizes, a one-pixel image where every tap
   but the centre is padding, stride 2 with padding, and a window that never
   reaches the last column. */
static const PoolShape cases[] = {
    {.batch = 2, .height = 7, .width = 7, .channels = 3, .kernel = 3, .stride = 2, .pad = 0},
    {.batch = 1, .height = 8, .width = 9, .channels = 5, .kernel = 3, .stride = 2, .pad = 0},
    {.batch = 2, .height = 5, .width = 6, .channels = 4, .kernel = 3, .stride = 1, .pad = 1},
    {.batch = 1, .height = 1, .width = 1, .channels = 3, .kernel = 3, .stride = 1, .pad = 1},
    {.batch = 2, .height = 8, .width = 8, .channels = 7, .kernel = 8, .stride = 1, .pad = 0},
    {.batch = 1, .height = 6, .width = 6, .channels = 2, .kernel = 3, .stride = 2, .pad = 1},
    {.batch = 1, .height = 5, .width = 5, .channels = 3, .kernel = 2, .stride = 2, .pad = 0},
};
enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };

typedef void (*PoolForward)(Backend *be, float *y, const float *x, const PoolShape *s);

/* Direct loops: the taps of each window inside the image, max or mean. */
static void reference_pool(float *y, const float *x, const PoolShape *s, bool average) {
    int OH = window_output_size(s->height, s->kernel, s->stride, s->pad);
    int OW = window_output_size(s->width, s->kernel, s->stride, s->pad);
    for (int n = 0; n < s->batch; n++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < s->channels; c++) {
                    double sum = 0, best = -INFINITY;
                    int taps = 0;
                    for (int ky = 0; ky < s->kernel; ky++)
                        for (int kx = 0; kx < s->kernel; kx++) {
                            int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                            if (iy < 0 || iy >= s->height || ix < 0 || ix >= s->width) continue;
                            double v = x[(((size_t)n * s->height + iy) * s->width + ix) * s->channels + c];
                            sum += v, taps++;
                            best = fmax(best, v);
                        }
                    y[(((size_t)n * OH + oy) * OW + ox) * s->channels + c] = (float)(average ? sum / taps : best);
                }
}

static void check_case(const PoolShape *s, PoolForward op, bool average) {
    size_t nx = (size_t)s->batch * s->height * s->width * s->channels;
    size_t ny = (size_t)s->batch * window_output_size(s->height, s->kernel, s->stride, s->pad) *
                window_output_size(s->width, s->kernel, s->stride, s->pad) * s->channels;
    float *x = alloc_normal(nx, 1, 1.0f), *y = alloc_normal(ny, 2, 1.0f), *expected = alloc_zeros(ny);
    op(backend_cpu(), y, x, s);
    reference_pool(expected, x, s, average);
    ck_assert_msg(max_abs_difference(y, expected, ny) < 1e-6, "%s pool, %dx%d input, window %d stride %d pad %d",
                  average ? "average" : "max", s->height, s->width, s->kernel, s->stride, s->pad);
    free(x), free(y), free(expected);
}

START_TEST(max_pool_matches_direct_loops) { check_case(&cases[_i], backend_cpu()->ops->max_pool_forward, false); }
END_TEST

START_TEST(avg_pool_matches_direct_loops) { check_case(&cases[_i], backend_cpu()->ops->avg_pool_forward, true); }
END_TEST

/* A 2x2 image [1 2; 3 4] through a 3x3 window, stride 1, padding 1: every
   window covers all four pixels, so every output is their mean 2.5 (a
   divisor counting the padding would give 10/9) and their maximum 4; a
   negative image keeps its maximum below the zeros of the padding. */
START_TEST(padding_never_counts) {
    Backend *be = backend_cpu();
    PoolShape s = {.batch = 1, .height = 2, .width = 2, .channels = 1, .kernel = 3, .stride = 1, .pad = 1};
    float x[4] = {1, 2, 3, 4}, negative[4] = {-1, -2, -3, -4}, y[4];
    be->ops->avg_pool_forward(be, y, x, &s);
    for (int i = 0; i < 4; i++) ck_assert_float_eq(y[i], 2.5f);
    be->ops->max_pool_forward(be, y, x, &s);
    for (int i = 0; i < 4; i++) ck_assert_float_eq(y[i], 4.0f);
    be->ops->max_pool_forward(be, y, negative, &s);
    for (int i = 0; i < 4; i++) ck_assert_float_eq(y[i], -1.0f);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("pool");
    TCase *tc = tcase_create("cpu");
    tcase_add_loop_test(tc, max_pool_matches_direct_loops, 0, N_CASES);
    tcase_add_loop_test(tc, avg_pool_matches_direct_loops, 0, N_CASES);
    tcase_add_test(tc, padding_never_counts);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
