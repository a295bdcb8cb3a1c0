/* conv2d, stride 1, zero padding kernel/2, NHWC, weights [out, kh, kw, in].

   A 1x1 conv is a linear layer over all B*H*W pixels. A 3x3 conv becomes one
   after im2col: each output pixel's row gathers its 3x3 neighbourhood in
   (ky, kx, ci) order, which is the memory order of one output channel's
   weights, so w already is the [out, 9*in] matrix. The column buffer is 9x
   the input, so images pass through it in chunks: enough rows to keep the
   GEMM efficient, and a workspace that does not grow with the batch. */
#include <cblas.h>
#include <string.h>

#include "cpu_ops.h"
#include "disco/error.h"

/* GEMM rows per chunk: enough for OpenBLAS to stay near its large-matrix rate
   (docs/benchmarks.md), while the column buffer stays in the tens of MB at
   U-Net widths. */
enum { CHUNK_ROWS = 2048 };

static void check_kernel(const Conv2dShape *s) {
    DISCO_CHECK(s->kernel == 1 || s->kernel == 3, "conv2d: kernel must be 1 or 3, got %d", s->kernel);
}

/* Whole images only, so im2col never needs a neighbour outside its chunk. */
static int images_per_chunk(const Conv2dShape *s) {
    int images = CHUNK_ROWS / (s->height * s->width);
    if (images < 1) images = 1;
    return images < s->batch ? images : s->batch;
}

static int patch_len(const Conv2dShape *s) { return s->kernel * s->kernel * s->in_channels; }

size_t cpu_conv2d_workspace(Backend *be, const Conv2dShape *s) {
    check_kernel(s);
    if (s->kernel == 1) return 0;
    return (size_t)images_per_chunk(s) * s->height * s->width * patch_len(s) * sizeof(float);
}

/* col[p, (ky, kx, ci)] = x[pixel p moved by (ky - pad, kx - pad), ci], zero outside the image. */
static void im2col(float *col, const float *x, int images, const Conv2dShape *s) {
    int H = s->height, W = s->width, C = s->in_channels, K = s->kernel, pad = K / 2;
    size_t patch = (size_t)patch_len(s);
    int rows = images * H * W;
#pragma omp parallel for if (rows * patch >= PARALLEL_MIN_FLOATS)
    for (int p = 0; p < rows; p++) {
        int n = p / (H * W), oy = p / W % H, ox = p % W;
        float *dst = col + (size_t)p * patch;
        for (int ky = 0; ky < K; ky++) {
            int iy = oy + ky - pad;
            for (int kx = 0; kx < K; kx++, dst += C) {
                int ix = ox + kx - pad;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                    memset(dst, 0, (size_t)C * sizeof(float));
                else
                    memcpy(dst, x + (((size_t)n * H + iy) * W + ix) * C, (size_t)C * sizeof(float));
            }
        }
    }
}

/* The adjoint of im2col: dx[q] = sum over taps t of dcol[q - t + pad, t].
   Gathering per input pixel instead of scattering per column row gives each
   thread its own outputs, so no two threads add into the same dx. */
static void col2im(float *dx, const float *dcol, int images, const Conv2dShape *s) {
    int H = s->height, W = s->width, C = s->in_channels, K = s->kernel, pad = K / 2;
    size_t patch = (size_t)patch_len(s);
    int pixels = images * H * W;
#pragma omp parallel for if (pixels * patch >= PARALLEL_MIN_FLOATS)
    for (int q = 0; q < pixels; q++) {
        int n = q / (H * W), iy = q / W % H, ix = q % W;
        float *dst = dx + (size_t)q * C;
        memset(dst, 0, (size_t)C * sizeof(float));
        for (int ky = 0; ky < K; ky++) {
            int oy = iy - ky + pad;
            if (oy < 0 || oy >= H) continue;
            for (int kx = 0; kx < K; kx++) {
                int ox = ix - kx + pad;
                if (ox < 0 || ox >= W) continue;
                const float *src = dcol + (((size_t)n * H + oy) * W + ox) * patch + (size_t)(ky * K + kx) * C;
                for (int c = 0; c < C; c++) dst[c] += src[c];
            }
        }
    }
}

void cpu_conv2d_forward(Backend *be, float *y, const float *x, const float *w, const float *b, const Conv2dShape *s,
                        void *workspace) {
    check_kernel(s);
    int pixels = s->height * s->width, cin = s->in_channels, cout = s->out_channels;
    if (s->kernel == 1) {
        cpu_linear_forward(be, y, x, w, b, s->batch * pixels, cin, cout);
        return;
    }
    float *col = workspace;
    int chunk = images_per_chunk(s);
    for (int first = 0; first < s->batch; first += chunk) {
        int images = s->batch - first < chunk ? s->batch - first : chunk;
        size_t first_pixel = (size_t)first * pixels;
        im2col(col, x + first_pixel * cin, images, s);
        cpu_linear_forward(be, y + first_pixel * cout, col, w, b, images * pixels, patch_len(s), cout);
    }
}

void cpu_conv2d_backward(Backend *be, float *dx, float *dw, float *db, const float *dy, const float *x,
                         const float *w, const Conv2dShape *s, void *workspace) {
    check_kernel(s);
    int pixels = s->height * s->width, cin = s->in_channels, cout = s->out_channels, patch = patch_len(s);
    if (s->kernel == 1) {
        cpu_linear_backward(be, dx, dw, db, dy, x, w, s->batch * pixels, cin, cout);
        return;
    }
    float *col = workspace;
    int chunk = images_per_chunk(s);
    for (int first = 0; first < s->batch; first += chunk) {
        int images = s->batch - first < chunk ? s->batch - first : chunk;
        int rows = images * pixels;
        size_t first_pixel = (size_t)first * pixels;
        const float *dy_chunk = dy + first_pixel * cout;
        if (dw || db) {
            im2col(col, x + first_pixel * cin, images, s);
            cpu_linear_backward(be, NULL, dw, db, dy_chunk, col, w, rows, patch, cout);
        }
        if (dx) {
            /* dcol[rows, patch] = dy w, into the column buffer that dw is done with. */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, patch, cout, 1.0f, dy_chunk, cout, w, patch,
                        0.0f, col, patch);
            col2im(dx + first_pixel * cin, col, images, s);
        }
    }
}
