/* conv2d of any kernel, stride and zero padding, NHWC, weights [out, kh, kw, in].
   Forward only: the FID Inception network that needs it is never trained.

   As in conv2d.c, each output pixel's im2col row gathers its kh x kw window in
   (ky, kx, ci) order, the memory order of one output channel's weights, so w
   already is the [out, kh*kw*in] matrix and a block of rows is one GEMM. A
   forward needs no col2im, so blocks are runs of output pixels rather than
   whole images: the column buffer stays a few MB even at 299x299. A 1x1
   conv with stride 1 and no padding gathers nothing: x is the matrix. */
#include <string.h>

#include "cpu_ops.h"
#include "disco/error.h"

/* Column buffer per block, in floats (8 MiB), and never fewer rows than
   MIN_BLOCK_ROWS: at least 520 rows for Inception's widest window (3x3x448),
   GEMMs big enough that its whole forward runs at ~74 GFLOP/s on one core
   (docs/fid_inception.md). */
enum { COLUMN_FLOATS = 1 << 21, MIN_BLOCK_ROWS = 256 };

static int output_height(const ConvGeneralShape *s) {
    return window_output_size(s->height, s->kernel_h, s->stride, s->pad_h);
}
static int output_width(const ConvGeneralShape *s) {
    return window_output_size(s->width, s->kernel_w, s->stride, s->pad_w);
}

static void check_shape(const ConvGeneralShape *s) {
    DISCO_CHECK(s->batch > 0 && s->in_channels > 0 && s->out_channels > 0 && s->kernel_h > 0 && s->kernel_w > 0 &&
                    s->stride > 0 && s->pad_h >= 0 && s->pad_w >= 0,
                "conv_general: batch %d, channels %d -> %d, kernel %dx%d, stride %d and padding %dx%d must be "
                "positive (padding may be 0)", s->batch, s->in_channels, s->out_channels, s->kernel_h, s->kernel_w,
                s->stride, s->pad_h, s->pad_w);
    DISCO_CHECK(s->height + 2 * s->pad_h >= s->kernel_h && s->width + 2 * s->pad_w >= s->kernel_w,
                "conv_general: a %dx%d kernel does not fit a %dx%d input padded by %dx%d", s->kernel_h, s->kernel_w,
                s->height, s->width, s->pad_h, s->pad_w);
}

static bool gathers_nothing(const ConvGeneralShape *s) {
    return s->kernel_h == 1 && s->kernel_w == 1 && s->stride == 1 && s->pad_h == 0 && s->pad_w == 0;
}

static int patch_len(const ConvGeneralShape *s) { return s->kernel_h * s->kernel_w * s->in_channels; }

static int output_pixels(const ConvGeneralShape *s) { return s->batch * output_height(s) * output_width(s); }

static int rows_per_block(const ConvGeneralShape *s) {
    int rows = COLUMN_FLOATS / patch_len(s);
    if (rows < MIN_BLOCK_ROWS) rows = MIN_BLOCK_ROWS;
    return rows < output_pixels(s) ? rows : output_pixels(s);
}

size_t cpu_conv_general_workspace(Backend *be, const ConvGeneralShape *s) {
    check_shape(s);
    if (gathers_nothing(s)) return 0;
    return (size_t)rows_per_block(s) * patch_len(s) * sizeof(float);
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* One output pixel's window into dst: for each kernel row, the taps inside
   the image are one contiguous run of NHWC memory, with zeros either side. */
static void gather_window(float *dst, const float *image, int oy, int ox, const ConvGeneralShape *s) {
    int C = s->in_channels, kw = s->kernel_w;
    int top = oy * s->stride - s->pad_h, left = ox * s->stride - s->pad_w;
    int first = clamp(-left, 0, kw);            /* the first tap inside the image */
    int last = clamp(s->width - left, first, kw); /* one past the last */
    for (int ky = 0; ky < s->kernel_h; ky++, dst += (size_t)kw * C) {
        int iy = top + ky;
        if (iy < 0 || iy >= s->height) {
            memset(dst, 0, (size_t)kw * C * sizeof(float));
            continue;
        }
        memset(dst, 0, (size_t)first * C * sizeof(float));
        memcpy(dst + (size_t)first * C, image + ((size_t)iy * s->width + left + first) * C,
               (size_t)(last - first) * C * sizeof(float));
        memset(dst + (size_t)last * C, 0, (size_t)(kw - last) * C * sizeof(float));
    }
}

/* col[r] = the window of output pixel first + r, for r < rows. */
static void im2col(float *col, const float *x, int first, int rows, const ConvGeneralShape *s) {
    int OH = output_height(s), OW = output_width(s);
    size_t patch = (size_t)patch_len(s), image_floats = (size_t)s->height * s->width * s->in_channels;
#pragma omp parallel for if ((size_t)rows * patch >= PARALLEL_MIN_FLOATS)
    for (int r = 0; r < rows; r++) {
        int p = first + r, n = p / (OH * OW), oy = p / OW % OH, ox = p % OW;
        gather_window(col + (size_t)r * patch, x + (size_t)n * image_floats, oy, ox, s);
    }
}

void cpu_conv_general_forward(Backend *be, float *y, const float *x, const float *w, const float *b,
                              const ConvGeneralShape *s, void *workspace) {
    check_shape(s);
    int cin = s->in_channels, cout = s->out_channels;
    if (gathers_nothing(s)) {
        cpu_linear_forward(be, y, x, w, b, s->batch * s->height * s->width, cin, cout);
        return;
    }
    float *col = workspace;
    int total = output_pixels(s), block = rows_per_block(s);
    for (int first = 0; first < total; first += block) {
        int rows = total - first < block ? total - first : block;
        im2col(col, x, first, rows, s);
        cpu_linear_forward(be, y + (size_t)first * cout, col, w, b, rows, patch_len(s), cout);
    }
}
