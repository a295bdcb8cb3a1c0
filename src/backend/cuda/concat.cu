/* Channel concat [rows, ca] ++ [rows, cb] -> [rows, ca + cb]. Every piece is
   a strided 2-D copy, which the copy engine does without a kernel of ours. */
#include "cuda_ops.h"

void cuda_concat_forward(Backend *be, float *y, const float *a, const float *b, int rows, int ca, int cb) {
    const size_t width = (size_t)ca + cb;
    cuda_copy_columns(be, y, width, a, ca, rows, ca);
    cuda_copy_columns(be, y + ca, width, b, cb, rows, cb);
}

void cuda_concat_backward(Backend *be, float *da, float *db, const float *dy, int rows, int ca, int cb) {
    const size_t width = (size_t)ca + cb;
    if (da) cuda_copy_columns(be, da, ca, dy, width, rows, ca);
    if (db) cuda_copy_columns(be, db, cb, dy + ca, width, rows, cb);
}
