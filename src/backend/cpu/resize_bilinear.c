/* Bilinear resize, NHWC, forward only (FID's Inception resizes every image
   to 299x299 before its trunk and is never trained).

   Output index i samples the input at i * in / out: the first pixels of
   input and output coincide, with no half-pixel offset, and coordinates past
   the last pixel are clamped to it. That is what EDM's Inception computes
   with affine_grid (translation 1/in - 1/out, align_corners=False) and
   grid_sample (border padding): its grid point for output i is
   (2i + 1)/out - 1 + 1/in - 1/out, which grid_sample maps to the source
   coordinate ((grid + 1) in - 1) / 2 = i * in / out. */
#include "cpu_ops.h"
#include "disco/error.h"

/* The two input indices around a source coordinate and the second one's weight. */
typedef struct {
    int lo, hi;
    float frac;
} Neighbours;

static Neighbours neighbours(int i, int in, int out) {
    double coordinate = (double)i * in / out;
    if (coordinate > in - 1) coordinate = in - 1;
    int lo = (int)coordinate;
    return (Neighbours){lo, lo + 1 < in ? lo + 1 : lo, (float)(coordinate - lo)};
}

void cpu_resize_bilinear_forward(Backend *be, float *y, const float *x, int batch, int height, int width,
                                 int channels, int out_height, int out_width) {
    DISCO_CHECK(batch > 0 && height > 0 && width > 0 && channels > 0 && out_height > 0 && out_width > 0,
                "resize_bilinear: sizes must be positive: [%d, %d, %d, %d] to %dx%d", batch, height, width, channels,
                out_height, out_width);
    int C = channels, rows = batch * out_height;
#pragma omp parallel for if ((size_t)rows * out_width * C >= PARALLEL_MIN_FLOATS)
    for (int r = 0; r < rows; r++) {
        int n = r / out_height;
        Neighbours v = neighbours(r % out_height, height, out_height);
        const float *image = x + (size_t)n * height * width * C;
        const float *top = image + (size_t)v.lo * width * C, *bottom = image + (size_t)v.hi * width * C;
        float *out = y + (size_t)r * out_width * C;
        for (int j = 0; j < out_width; j++, out += C) {
            Neighbours h = neighbours(j, width, out_width);
            float w00 = (1 - v.frac) * (1 - h.frac), w01 = (1 - v.frac) * h.frac;
            float w10 = v.frac * (1 - h.frac), w11 = v.frac * h.frac;
            for (int c = 0; c < C; c++)
                out[c] = w00 * top[h.lo * C + c] + w01 * top[h.hi * C + c] + w10 * bottom[h.lo * C + c] +
                         w11 * bottom[h.hi * C + c];
        }
    }
}
