/* Column slice y[rows, count] = x[rows, offset .. offset + count) of [rows, channels]. */
#include "cuda_ops.h"

static void check_slice(int channels, int offset, int count) {
    DISCO_CHECK(offset >= 0 && count >= 0 && offset + count <= channels,
                "split: columns [%d, %d) lie outside %d channels", offset, offset + count, channels);
}

void cuda_split_forward(Backend *be, float *y, const float *x, int rows, int channels, int offset, int count) {
    check_slice(channels, offset, count);
    cuda_copy_columns(be, y, count, x + offset, channels, rows, count);
}

/* Zeros outside the slice: clearing all of dx first and then copying the
   slice costs one extra pass over the slice, and no kernel. */
void cuda_split_backward(Backend *be, float *dx, const float *dy, int rows, int channels, int offset, int count) {
    check_slice(channels, offset, count);
    cuda_zero(be, dx, (size_t)rows * channels * sizeof(float));
    cuda_copy_columns(be, dx + offset, channels, dy, count, rows, count);
}
