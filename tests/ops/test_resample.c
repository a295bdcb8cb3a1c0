#include <stdlib.h>

#include "disco/backend.h"
#include "testutil.h"

typedef struct {
    int batch, height, width, channels; /* of the op's input */
} MapShape;

/* Downsampling needs even sizes; upsampling takes any, down to one pixel. */
static const MapShape down_shapes[] = {{1, 2, 2, 1}, {3, 6, 4, 5}, {2, 2, 6, 13}, {1, 8, 8, 3}};
static const MapShape up_shapes[] = {{1, 1, 1, 1}, {3, 3, 5, 5}, {2, 6, 1, 13}, {1, 4, 4, 3}};
enum { N_DOWN = sizeof(down_shapes) / sizeof(down_shapes[0]), N_UP = sizeof(up_shapes) / sizeof(up_shapes[0]) };

typedef struct {
    Backend *be;
    MapShape s;
    bool up;
    size_t nx, ny;
    float *x, *y, *dx, *dy;
} Resample;

static Resample resample_create(MapShape s, bool up) {
    Resample r = {.be = backend_cpu(), .s = s, .up = up};
    r.nx = (size_t)s.batch * s.height * s.width * s.channels;
    r.ny = up ? 4 * r.nx : r.nx / 4;
    r.x = alloc_normal(r.nx, 1, 1.0f);
    r.y = alloc_zeros(r.ny);
    r.dx = alloc_zeros(r.nx);
    r.dy = alloc_zeros(r.ny);
    return r;
}

static void resample_destroy(Resample *r) {
    free(r->x);
    free(r->y);
    free(r->dx);
    free(r->dy);
}

static void forward(void *ctx) {
    Resample *r = ctx;
    MapShape s = r->s;
    if (r->up)
        r->be->ops->upsample2x_forward(r->be, r->y, r->x, s.batch, s.height, s.width, s.channels);
    else
        r->be->ops->downsample2x_forward(r->be, r->y, r->x, s.batch, s.height, s.width, s.channels);
}

static void backward(void *ctx) {
    Resample *r = ctx;
    MapShape s = r->s;
    if (r->up)
        r->be->ops->upsample2x_backward(r->be, r->dx, r->dy, s.batch, s.height, s.width, s.channels);
    else
        r->be->ops->downsample2x_backward(r->be, r->dx, r->dy, s.batch, s.height, s.width, s.channels);
}

static void check_gradient(Resample *r) {
    GradInput input = {"x", r->x, r->dx, r->nx, false};
    GradCheck gc = {.ctx = r, .forward = forward, .backward = backward, .out = r->y, .dout = r->dy,
                    .n_out = r->ny, .inputs = &input, .n_inputs = 1};
    gradcheck_run(&gc);
}

static float at(const float *t, MapShape s, int n, int y, int x, int c) {
    return t[(((size_t)n * s.height + y) * s.width + x) * s.channels + c];
}

START_TEST(downsample_averages_each_2x2_block) {
    MapShape s = down_shapes[_i];
    Resample r = resample_create(s, false);
    forward(&r);
    MapShape out = {s.batch, s.height / 2, s.width / 2, s.channels};
    for (int n = 0; n < s.batch; n++)
        for (int y = 0; y < out.height; y++)
            for (int x = 0; x < out.width; x++)
                for (int c = 0; c < s.channels; c++) {
                    double mean = ((double)at(r.x, s, n, 2 * y, 2 * x, c) + at(r.x, s, n, 2 * y, 2 * x + 1, c) +
                                   at(r.x, s, n, 2 * y + 1, 2 * x, c) + at(r.x, s, n, 2 * y + 1, 2 * x + 1, c)) /
                                  4;
                    ck_assert_double_eq_tol(at(r.y, out, n, y, x, c), mean, 1e-6);
                }
    resample_destroy(&r);
}
END_TEST

START_TEST(upsample_replicates_each_pixel) {
    MapShape s = up_shapes[_i];
    Resample r = resample_create(s, true);
    forward(&r);
    MapShape out = {s.batch, 2 * s.height, 2 * s.width, s.channels};
    for (int n = 0; n < s.batch; n++)
        for (int y = 0; y < out.height; y++)
            for (int x = 0; x < out.width; x++)
                for (int c = 0; c < s.channels; c++)
                    ck_assert_float_eq(at(r.y, out, n, y, x, c), at(r.x, s, n, y / 2, x / 2, c));
    resample_destroy(&r);
}
END_TEST

START_TEST(downsample_gradient_matches_finite_differences) {
    Resample r = resample_create(down_shapes[_i], false);
    check_gradient(&r);
    resample_destroy(&r);
}
END_TEST

START_TEST(upsample_gradient_matches_finite_differences) {
    Resample r = resample_create(up_shapes[_i], true);
    check_gradient(&r);
    resample_destroy(&r);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("resample");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, downsample_averages_each_2x2_block, 0, N_DOWN);
    tcase_add_loop_test(tc, upsample_replicates_each_pixel, 0, N_UP);
    tcase_add_loop_test(tc, downsample_gradient_matches_finite_differences, 0, N_DOWN);
    tcase_add_loop_test(tc, upsample_gradient_matches_finite_differences, 0, N_UP);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
