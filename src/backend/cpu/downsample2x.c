/* 2x2 box average, NHWC: x [B, H, W, C] -> y [B, H/2, W/2, C]. */
#include "cpu_ops.h"

#include "disco/error.h"

void cpu_downsample2x_forward(Backend *be, float *y, const float *x, int batch, int height, int width, int channels) {
    DISCO_CHECK(height % 2 == 0 && width % 2 == 0, "downsample2x needs an even size, got %dx%d", height, width);
    int out_h = height / 2, out_w = width / 2;
    size_t C = (size_t)channels, x_row = (size_t)width * C;
#pragma omp parallel for collapse(2) if ((size_t)batch * height * width * C >= PARALLEL_MIN_FLOATS)
    for (int n = 0; n < batch; n++)
        for (int oy = 0; oy < out_h; oy++) {
            const float *top = x + ((size_t)n * height + 2 * oy) * x_row;
            const float *bottom = top + x_row;
            float *dst = y + ((size_t)n * out_h + oy) * out_w * C;
            for (int ox = 0; ox < out_w; ox++)
                for (size_t c = 0; c < C; c++) {
                    size_t left = 2 * ox * C + c, right = left + C;
                    dst[ox * C + c] = 0.25f * (top[left] + top[right] + bottom[left] + bottom[right]);
                }
        }
}

/* Each input pixel feeds exactly one output with weight 1/4. */
void cpu_downsample2x_backward(Backend *be, float *dx, const float *dy, int batch, int height, int width, int channels) {
    DISCO_CHECK(height % 2 == 0 && width % 2 == 0, "downsample2x needs an even size, got %dx%d", height, width);
    int out_h = height / 2, out_w = width / 2;
    size_t C = (size_t)channels;
#pragma omp parallel for collapse(2) if ((size_t)batch * height * width * C >= PARALLEL_MIN_FLOATS)
    for (int n = 0; n < batch; n++)
        for (int iy = 0; iy < height; iy++) {
            const float *src = dy + ((size_t)n * out_h + iy / 2) * out_w * C;
            float *dst = dx + ((size_t)n * height + iy) * width * C;
            for (int ix = 0; ix < width; ix++)
                for (size_t c = 0; c < C; c++) dst[ix * C + c] = 0.25f * src[(ix / 2) * C + c];
        }
}
