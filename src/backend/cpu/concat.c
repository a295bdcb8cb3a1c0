/* Channel concat [rows, ca] ++ [rows, cb] -> [rows, ca + cb]; its backward is
   two column slices, which is what split's forward computes. */
#include <string.h>

#include "cpu_ops.h"

void cpu_concat_forward(Backend *be, float *y, const float *a, const float *b, int rows, int ca, int cb) {
    const size_t width = (size_t)ca + cb;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        memcpy(y + r * width, a + (size_t)r * ca, (size_t)ca * sizeof(float));
        memcpy(y + r * width + ca, b + (size_t)r * cb, (size_t)cb * sizeof(float));
    }
}

void cpu_concat_backward(Backend *be, float *da, float *db, const float *dy, int rows, int ca, int cb) {
    if (da) cpu_split_forward(be, da, dy, rows, ca + cb, 0, ca);
    if (db) cpu_split_forward(be, db, dy, rows, ca + cb, ca, cb);
}
