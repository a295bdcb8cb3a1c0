/* Nearest-neighbour 2x upsampling, NHWC: x [B, H, W, C] -> y [B, 2H, 2W, C]. */
#include "cpu_ops.h"

void cpu_upsample2x_forward(Backend *be, float *y, const float *x, int batch, int height, int width, int channels) {
    int out_h = 2 * height, out_w = 2 * width;
    size_t C = (size_t)channels;
#pragma omp parallel for collapse(2) if ((size_t)batch * height * width * C >= PARALLEL_MIN_FLOATS)
    for (int n = 0; n < batch; n++)
        for (int oy = 0; oy < out_h; oy++) {
            const float *src = x + ((size_t)n * height + oy / 2) * width * C;
            float *dst = y + ((size_t)n * out_h + oy) * out_w * C;
            for (int ox = 0; ox < out_w; ox++)
                for (size_t c = 0; c < C; c++) dst[ox * C + c] = src[(ox / 2) * C + c];
        }
}

/* Each input pixel was copied to a 2x2 block, so its gradient is that block's sum. */
void cpu_upsample2x_backward(Backend *be, float *dx, const float *dy, int batch, int height, int width, int channels) {
    int out_w = 2 * width;
    size_t C = (size_t)channels, dy_row = (size_t)out_w * C;
#pragma omp parallel for collapse(2) if ((size_t)batch * height * width * C >= PARALLEL_MIN_FLOATS)
    for (int n = 0; n < batch; n++)
        for (int iy = 0; iy < height; iy++) {
            const float *top = dy + ((size_t)n * 2 * height + 2 * iy) * dy_row;
            const float *bottom = top + dy_row;
            float *dst = dx + ((size_t)n * height + iy) * width * C;
            for (int ix = 0; ix < width; ix++)
                for (size_t c = 0; c < C; c++) {
                    size_t left = 2 * ix * C + c, right = left + C;
                    dst[ix * C + c] = top[left] + top[right] + bottom[left] + bottom[right];
                }
        }
}
