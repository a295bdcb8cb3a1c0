#include <stdlib.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

typedef struct {
    ConvGeneralShape s;
    bool has_bias;
} ConvCase;

/* Every kernel shape of FID's Inception (1x1, 3x3, 5x5, 1x3, 3x1, 1x7, 7x1)
   with its padding and stride, on odd and even sizes; windows wider than the
   image, padding wider than half the kernel, stride 2 where the last window
   ends before the image does; and a case whose rows fill more than one
   column block with a short last one. */
static const ConvCase cases[] = {
    {{.batch = 2, .height = 5, .width = 3, .in_channels = 7, .out_channels = 5, .kernel_h = 1, .kernel_w = 1,
      .stride = 1}, true},
    {{.batch = 1, .height = 7, .width = 6, .in_channels = 3, .out_channels = 4, .kernel_h = 1, .kernel_w = 1,
      .stride = 2}, false},
    {{.batch = 2, .height = 7, .width = 9, .in_channels = 3, .out_channels = 6, .kernel_h = 3, .kernel_w = 3,
      .stride = 2}, true},
    {{.batch = 1, .height = 8, .width = 8, .in_channels = 5, .out_channels = 3, .kernel_h = 3, .kernel_w = 3,
      .stride = 2, .pad_h = 1, .pad_w = 1}, true},
    {{.batch = 2, .height = 4, .width = 5, .in_channels = 6, .out_channels = 7, .kernel_h = 3, .kernel_w = 3,
      .stride = 1, .pad_h = 1, .pad_w = 1}, false},
    {{.batch = 1, .height = 3, .width = 3, .in_channels = 4, .out_channels = 2, .kernel_h = 5, .kernel_w = 5,
      .stride = 1, .pad_h = 2, .pad_w = 2}, true},
    {{.batch = 2, .height = 5, .width = 4, .in_channels = 3, .out_channels = 5, .kernel_h = 1, .kernel_w = 7,
      .stride = 1, .pad_h = 0, .pad_w = 3}, true},
    {{.batch = 1, .height = 4, .width = 6, .in_channels = 5, .out_channels = 3, .kernel_h = 7, .kernel_w = 1,
      .stride = 1, .pad_h = 3, .pad_w = 0}, false},
    {{.batch = 1, .height = 3, .width = 5, .in_channels = 4, .out_channels = 4, .kernel_h = 1, .kernel_w = 3,
      .stride = 1, .pad_h = 0, .pad_w = 1}, true},
    {{.batch = 1, .height = 5, .width = 3, .in_channels = 4, .out_channels = 4, .kernel_h = 3, .kernel_w = 1,
      .stride = 1, .pad_h = 1, .pad_w = 0}, true},
    {{.batch = 1, .height = 5, .width = 4, .in_channels = 3, .out_channels = 2, .kernel_h = 1, .kernel_w = 1,
      .stride = 2, .pad_h = 1, .pad_w = 2}, true},
    {{.batch = 1, .height = 1, .width = 1, .in_channels = 2, .out_channels = 3, .kernel_h = 3, .kernel_w = 3,
      .stride = 1, .pad_h = 1, .pad_w = 1}, true},
    {{.batch = 2, .height = 45, .width = 47, .in_channels = 64, .out_channels = 5, .kernel_h = 3, .kernel_w = 3,
      .stride = 1, .pad_h = 1, .pad_w = 1}, true},
};
enum { N_CASES = sizeof(cases) / sizeof(cases[0]), BLOCKED_CASE = N_CASES - 1 };

static int out_height(const ConvGeneralShape *s) {
    return window_output_size(s->height, s->kernel_h, s->stride, s->pad_h);
}
static int out_width(const ConvGeneralShape *s) {
    return window_output_size(s->width, s->kernel_w, s->stride, s->pad_w);
}

/* Direct convolution in double, as PyTorch's Conv2d(stride, padding=(pad_h, pad_w)) defines it. */
static void reference_conv(float *y, const float *x, const float *w, const float *b, const ConvGeneralShape *s) {
    int H = s->height, W = s->width, OH = out_height(s), OW = out_width(s), cin = s->in_channels;
    for (int n = 0; n < s->batch; n++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int co = 0; co < s->out_channels; co++) {
                    double sum = b ? b[co] : 0.0;
                    for (int ky = 0; ky < s->kernel_h; ky++)
                        for (int kx = 0; kx < s->kernel_w; kx++) {
                            int iy = oy * s->stride + ky - s->pad_h, ix = ox * s->stride + kx - s->pad_w;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            for (int ci = 0; ci < cin; ci++)
                                sum += (double)w[((co * s->kernel_h + ky) * s->kernel_w + kx) * cin + ci] *
                                       x[(((size_t)n * H + iy) * W + ix) * cin + ci];
                        }
                    y[(((size_t)n * OH + oy) * OW + ox) * s->out_channels + co] = (float)sum;
                }
}

START_TEST(forward_matches_direct_convolution) {
    Backend *be = backend_cpu();
    const ConvGeneralShape *s = &cases[_i].s;
    size_t nx = (size_t)s->batch * s->height * s->width * s->in_channels;
    size_t nw = (size_t)s->out_channels * s->kernel_h * s->kernel_w * s->in_channels;
    size_t ny = (size_t)s->batch * out_height(s) * out_width(s) * s->out_channels;
    float *x = alloc_normal(nx, 1, 1.0f), *w = alloc_normal(nw, 2, 0.3f);
    float *b = cases[_i].has_bias ? alloc_normal((size_t)s->out_channels, 3, 1.0f) : NULL;
    float *y = alloc_normal(ny, 4, 1.0f), *expected = alloc_zeros(ny); /* y starts as garbage: all of it is written */
    size_t bytes = be->ops->conv_general_workspace(be, s);
    void *workspace = bytes ? disco_malloc(bytes, "conv workspace") : NULL;
    be->ops->conv_general_forward(be, y, x, w, b, s, workspace);
    reference_conv(expected, x, w, b, s);
    double err = relative_error(y, expected, ny);
    ck_assert_msg(err < 1e-5, "case %d: relative error %g", _i, err);
    free(x), free(w), free(b), free(y), free(expected), free(workspace);
}
END_TEST

/* The blocked case must really take several blocks, with a short last one,
   and the workspace must not grow with the batch. */
START_TEST(workspace_is_bounded_and_rows_come_in_blocks) {
    Backend *be = backend_cpu();
    ConvGeneralShape s = cases[BLOCKED_CASE].s;
    size_t patch_bytes = (size_t)s.kernel_h * s.kernel_w * s.in_channels * sizeof(float);
    size_t rows = (size_t)s.batch * out_height(&s) * out_width(&s);
    size_t block_rows = be->ops->conv_general_workspace(be, &s) / patch_bytes;
    ck_assert_uint_lt(block_rows, rows);
    ck_assert_uint_ne(rows % block_rows, 0);
    ConvGeneralShape big = s;
    big.batch = 1000;
    ck_assert_uint_eq(be->ops->conv_general_workspace(be, &big), block_rows * patch_bytes);
    ck_assert_uint_eq(be->ops->conv_general_workspace(be, &cases[0].s), 0); /* 1x1, stride 1: no gathering */
}
END_TEST

int main(void) {
    Suite *suite = suite_create("conv_general");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, forward_matches_direct_convolution, 0, N_CASES);
    tcase_add_test(tc, workspace_is_bounded_and_rows_come_in_blocks);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
