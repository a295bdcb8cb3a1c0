/* Column slice y[rows, count] = x[rows, offset .. offset + count) of [rows, channels]. */
#include <string.h>

#include "cpu_ops.h"
#include "disco/error.h"

static void check_slice(int channels, int offset, int count) {
    DISCO_CHECK(offset >= 0 && count >= 0 && offset + count <= channels,
                "split: columns [%d, %d) lie outside %d channels", offset, offset + count, channels);
}

void cpu_split_forward(Backend *be, float *y, const float *x, int rows, int channels, int offset, int count) {
    check_slice(channels, offset, count);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++)
        memcpy(y + (size_t)r * count, x + (size_t)r * channels + offset, (size_t)count * sizeof(float));
}

void cpu_split_backward(Backend *be, float *dx, const float *dy, int rows, int channels, int offset, int count) {
    check_slice(channels, offset, count);
    const size_t tail = (size_t)channels - offset - count;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        float *row = dx + (size_t)r * channels;
        memset(row, 0, (size_t)offset * sizeof(float));
        memcpy(row + offset, dy + (size_t)r * count, (size_t)count * sizeof(float));
        memset(row + offset + count, 0, tail * sizeof(float));
    }
}
