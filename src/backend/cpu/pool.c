/* Max and average pooling over square windows, NHWC. Forward only: the FID
   Inception network that needs them is never trained.

   Padding never counts. PyTorch's max pool pads with -inf, so a padded tap
   never wins; TensorFlow's average pool, which FID's Inception was trained
   with, divides by the taps inside the image (PyTorch's
   count_include_pad=False), so windows at the border are not pulled toward
   zero. Both reduce to "the taps inside the image": one loop serves both. */
#include <math.h>

#include "cpu_ops.h"
#include "disco/error.h"

/* The taps of the window at output position o that fall inside [0, size). */
typedef struct {
    int first, end;
} Span;

static Span window_inside(int o, int stride, int pad, int kernel, int size) {
    int first = o * stride - pad, end = first + kernel;
    return (Span){first < 0 ? 0 : first, end > size ? size : end};
}

static void pool(float *y, const float *x, const PoolShape *s, bool average, const char *op) {
    DISCO_CHECK(s->batch > 0 && s->channels > 0 && s->kernel > 0 && s->stride > 0 && s->pad >= 0 &&
                    2 * s->pad <= s->kernel && s->height + 2 * s->pad >= s->kernel &&
                    s->width + 2 * s->pad >= s->kernel,
                "%s: a %dx%d window, stride %d, padding %d does not fit a %dx%d input (padding must be at most "
                "half the window)", op, s->kernel, s->kernel, s->stride, s->pad, s->height, s->width);
    int OH = window_output_size(s->height, s->kernel, s->stride, s->pad);
    int OW = window_output_size(s->width, s->kernel, s->stride, s->pad);
    int C = s->channels, outputs = s->batch * OH * OW;
#pragma omp parallel for if ((size_t)outputs * C >= PARALLEL_MIN_FLOATS)
    for (int p = 0; p < outputs; p++) {
        int n = p / (OH * OW), oy = p / OW % OH, ox = p % OW;
        Span rows = window_inside(oy, s->stride, s->pad, s->kernel, s->height);
        Span cols = window_inside(ox, s->stride, s->pad, s->kernel, s->width);
        const float *image = x + (size_t)n * s->height * s->width * C;
        float *out = y + (size_t)p * C;
        for (int c = 0; c < C; c++) out[c] = average ? 0.0f : -INFINITY;
        for (int iy = rows.first; iy < rows.end; iy++)
            for (int ix = cols.first; ix < cols.end; ix++) {
                const float *tap = image + ((size_t)iy * s->width + ix) * C;
                if (average)
                    for (int c = 0; c < C; c++) out[c] += tap[c];
                else
                    for (int c = 0; c < C; c++) out[c] = tap[c] > out[c] ? tap[c] : out[c];
            }
        if (average) {
            float taps = (float)((rows.end - rows.first) * (cols.end - cols.first));
            for (int c = 0; c < C; c++) out[c] /= taps;
        }
    }
}

void cpu_max_pool_forward(Backend *be, float *y, const float *x, const PoolShape *s) {
    pool(y, x, s, false, "max_pool");
}

void cpu_avg_pool_forward(Backend *be, float *y, const float *x, const PoolShape *s) {
    pool(y, x, s, true, "avg_pool");
}
