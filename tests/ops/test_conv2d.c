#include <stdlib.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

typedef struct {
    Conv2dShape s;
    bool has_bias;
} ConvCase;

/* Kernel 1 and 3, with and without bias; odd channel counts; images of one
   pixel (every 3x3 tap but the centre is padding), non-square images. */
static const ConvCase cases[] = {
    {{.batch = 1, .height = 1, .width = 1, .in_channels = 1, .out_channels = 1, .kernel = 3}, true},
    {{.batch = 2, .height = 3, .width = 3, .in_channels = 5, .out_channels = 13, .kernel = 3}, false},
    {{.batch = 2, .height = 6, .width = 3, .in_channels = 13, .out_channels = 5, .kernel = 3}, true},
    {{.batch = 1, .height = 1, .width = 6, .in_channels = 5, .out_channels = 1, .kernel = 3}, true},
    {{.batch = 3, .height = 6, .width = 6, .in_channels = 1, .out_channels = 5, .kernel = 3}, false},
    {{.batch = 2, .height = 3, .width = 6, .in_channels = 13, .out_channels = 5, .kernel = 1}, true},
    {{.batch = 1, .height = 1, .width = 1, .in_channels = 5, .out_channels = 1, .kernel = 1}, false},
    /* Batch bigger than one chunk with a short last chunk (see chunking test). */
    {{.batch = 9, .height = 16, .width = 16, .in_channels = 2, .out_channels = 3, .kernel = 3}, true},
};
enum { N_CASES = sizeof(cases) / sizeof(cases[0]) };

typedef struct {
    Backend *be;
    Conv2dShape s;
    size_t nx, nw, ny;
    float *x, *w, *b, *y;
    float *dx, *dw, *db, *dy;
    void *workspace;
} Conv;

static Conv conv_create(ConvCase c) {
    Conv v = {.be = backend_cpu(), .s = c.s};
    const Conv2dShape *s = &c.s;
    size_t pixels = (size_t)s->batch * s->height * s->width;
    v.nx = pixels * s->in_channels;
    v.ny = pixels * s->out_channels;
    v.nw = (size_t)s->out_channels * s->kernel * s->kernel * s->in_channels;
    v.x = alloc_normal(v.nx, 1, 1.0f);
    v.w = alloc_normal(v.nw, 2, 0.3f);
    v.b = c.has_bias ? alloc_normal((size_t)s->out_channels, 3, 1.0f) : NULL;
    v.y = alloc_zeros(v.ny);
    v.dy = alloc_zeros(v.ny);
    v.dx = alloc_zeros(v.nx);
    v.dw = alloc_zeros(v.nw);
    v.db = c.has_bias ? alloc_zeros((size_t)s->out_channels) : NULL;
    size_t bytes = v.be->ops->conv2d_workspace(v.be, s);
    v.workspace = bytes ? disco_malloc(bytes, "conv workspace") : NULL;
    return v;
}

static void conv_destroy(Conv *v) {
    float *buffers[] = {v->x, v->w, v->b, v->y, v->dx, v->dw, v->db, v->dy};
    for (size_t i = 0; i < sizeof(buffers) / sizeof(buffers[0]); i++) free(buffers[i]);
    free(v->workspace);
}

static void forward(void *ctx) {
    Conv *v = ctx;
    v->be->ops->conv2d_forward(v->be, v->y, v->x, v->w, v->b, &v->s, v->workspace);
}

static void backward(void *ctx) {
    Conv *v = ctx;
    v->be->ops->conv2d_backward(v->be, v->dx, v->dw, v->db, v->dy, v->x, v->w, &v->s, v->workspace);
}

/* Direct convolution in double, padding as PyTorch's Conv2d(padding=k//2). */
static void reference_conv(float *y, const Conv *v) {
    const Conv2dShape *s = &v->s;
    int H = s->height, W = s->width, K = s->kernel, pad = K / 2, cin = s->in_channels;
    for (int n = 0; n < s->batch; n++)
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++)
                for (int co = 0; co < s->out_channels; co++) {
                    double sum = v->b ? v->b[co] : 0.0;
                    for (int ky = 0; ky < K; ky++)
                        for (int kx = 0; kx < K; kx++) {
                            int iy = oy + ky - pad, ix = ox + kx - pad;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            for (int ci = 0; ci < cin; ci++)
                                sum += (double)v->w[((co * K + ky) * K + kx) * cin + ci] *
                                       v->x[(((size_t)n * H + iy) * W + ix) * cin + ci];
                        }
                    y[(((size_t)n * H + oy) * W + ox) * s->out_channels + co] = (float)sum;
                }
}

START_TEST(forward_matches_direct_convolution) {
    Conv v = conv_create(cases[_i]);
    forward(&v);
    float *expected = alloc_zeros(v.ny);
    reference_conv(expected, &v);
    double err = relative_error(v.y, expected, v.ny);
    ck_assert_msg(err < 1e-5, "case %d: relative error %g", _i, err);
    free(expected);
    conv_destroy(&v);
}
END_TEST

/* The backward as direct loops in double: dx[q] = sum over taps and co of
   w * dy at the output that tap maps q to; dw and db sum over all outputs. */
static void reference_conv_backward(double *dx, double *dw, double *db, const Conv *v) {
    const Conv2dShape *s = &v->s;
    int H = s->height, W = s->width, K = s->kernel, pad = K / 2, cin = s->in_channels, cout = s->out_channels;
    for (int n = 0; n < s->batch; n++)
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++)
                for (int co = 0; co < cout; co++) {
                    double g = v->dy[(((size_t)n * H + oy) * W + ox) * cout + co];
                    db[co] += g;
                    for (int ky = 0; ky < K; ky++)
                        for (int kx = 0; kx < K; kx++) {
                            int iy = oy + ky - pad, ix = ox + kx - pad;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            for (int ci = 0; ci < cin; ci++) {
                                size_t xi = (((size_t)n * H + iy) * W + ix) * cin + ci;
                                size_t wi = ((size_t)(co * K + ky) * K + kx) * cin + ci;
                                dx[xi] += v->w[wi] * g;
                                dw[wi] += v->x[xi] * g;
                            }
                        }
                }
}

static double relative_error_to(const float *got, const double *want, size_t n) {
    float *want_f = alloc_zeros(n);
    for (size_t i = 0; i < n; i++) want_f[i] = (float)want[i];
    double err = relative_error(got, want_f, n);
    free(want_f);
    return err;
}

/* Exact where finite differences are not: on big outputs their noise floor
   hides errors of a few percent, and the chunked case is the big one. */
START_TEST(backward_matches_direct_loops) {
    Conv v = conv_create(cases[_i]);
    size_t nb = (size_t)v.s.out_channels;
    fill_normal(v.dy, v.ny, 4, 1.0f);
    fill_normal(v.dw, v.nw, 5, 1.0f); /* parameter gradients accumulate onto what is there */
    if (v.db) fill_normal(v.db, nb, 6, 1.0f);
    double *dx = calloc(v.nx, sizeof(double)), *dw = calloc(v.nw, sizeof(double)), *db = calloc(nb, sizeof(double));
    for (size_t i = 0; i < v.nw; i++) dw[i] = v.dw[i];
    for (size_t i = 0; v.db && i < nb; i++) db[i] = v.db[i];
    reference_conv_backward(dx, dw, db, &v);
    backward(&v);
    double err_x = relative_error_to(v.dx, dx, v.nx), err_w = relative_error_to(v.dw, dw, v.nw);
    double err_b = v.db ? relative_error_to(v.db, db, nb) : 0.0;
    ck_assert_msg(err_x < 1e-5 && err_w < 1e-5 && err_b < 1e-5, "case %d: relative error dx %g, dw %g, db %g", _i,
                  err_x, err_w, err_b);
    free(dx);
    free(dw);
    free(db);
    conv_destroy(&v);
}
END_TEST

START_TEST(gradients_match_finite_differences) {
    Conv v = conv_create(cases[_i]);
    GradInput inputs[] = {
        {"x", v.x, v.dx, v.nx, false},
        {"w", v.w, v.dw, v.nw, true},
        {"b", v.b, v.db, (size_t)v.s.out_channels, true},
    };
    GradCheck gc = {.ctx = &v, .forward = forward, .backward = backward, .out = v.y, .dout = v.dy,
                    .n_out = v.ny, .inputs = inputs, .n_inputs = v.b ? 3 : 2};
    gradcheck_run(&gc);
    conv_destroy(&v);
}
END_TEST

/* The last case must really go through the column buffer in pieces, and the
   workspace must stop growing with the batch. */
START_TEST(workspace_is_bounded_and_the_batch_is_chunked) {
    Backend *be = backend_cpu();
    Conv2dShape s = cases[N_CASES - 1].s;
    size_t columns_per_image = (size_t)s.height * s.width * 9 * s.in_channels * sizeof(float);
    size_t bytes = be->ops->conv2d_workspace(be, &s);
    ck_assert_uint_lt(bytes, (size_t)s.batch * columns_per_image);
    ck_assert_uint_ne(s.batch % (bytes / columns_per_image), 0);
    Conv2dShape big = s;
    big.batch = 1000;
    ck_assert_uint_eq(be->ops->conv2d_workspace(be, &big), bytes);
    Conv2dShape pointwise = s;
    pointwise.kernel = 1;
    ck_assert_uint_eq(be->ops->conv2d_workspace(be, &pointwise), 0);
}
END_TEST

/* Asking for one gradient gives the same numbers as asking for all three. */
START_TEST(null_gradients_are_skipped) {
    Conv v = conv_create(cases[2]);
    fill_normal(v.dy, v.ny, 4, 1.0f);
    backward(&v);
    float *dx = alloc_zeros(v.nx), *dw = alloc_zeros(v.nw), *db = alloc_zeros((size_t)v.s.out_channels);
    Backend *be = v.be;
    be->ops->conv2d_backward(be, dx, NULL, NULL, v.dy, v.x, v.w, &v.s, v.workspace);
    be->ops->conv2d_backward(be, NULL, dw, NULL, v.dy, v.x, v.w, &v.s, v.workspace);
    be->ops->conv2d_backward(be, NULL, NULL, db, v.dy, v.x, v.w, &v.s, v.workspace);
    ck_assert_double_eq(max_abs_difference(dx, v.dx, v.nx), 0.0);
    ck_assert_double_eq(max_abs_difference(dw, v.dw, v.nw), 0.0);
    ck_assert_double_eq(max_abs_difference(db, v.db, (size_t)v.s.out_channels), 0.0);
    free(dx);
    free(dw);
    free(db);
    conv_destroy(&v);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("conv2d");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, forward_matches_direct_convolution, 0, N_CASES);
    tcase_add_loop_test(tc, backward_matches_direct_loops, 0, N_CASES);
    tcase_add_loop_test(tc, gradients_match_finite_differences, 0, N_CASES);
    tcase_add_test(tc, workspace_is_bounded_and_the_batch_is_chunked);
    tcase_add_test(tc, null_gradients_are_skipped);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
