/* Linear layer as GEMMs on row-major buffers: OpenBLAS threads them itself,
   so no GEMM here runs inside an OpenMP region. */
#include <cblas.h>

#include "cpu_ops.h"

void cpu_linear_forward(Backend *be, float *y, const float *x, const float *w, const float *b, int rows, int in,
                        int out) {
    /* Starting y at the bias lets the GEMM add x w^T onto it (beta = 1)
       instead of making a second pass over y. */
    float beta = 0.0f;
    if (b) {
#pragma omp parallel for if ((size_t)rows * out >= PARALLEL_MIN_FLOATS)
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) y[(size_t)r * out + o] = b[o];
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x, in, w, in, beta, y, out);
}

/* db[o] += sum_r dy[r, o]. Threads own disjoint column blocks so each adds
   into its own part of db, while the inner loop still walks dy's rows
   contiguously. */
static void add_column_sums(float *db, const float *dy, int rows, int cols) {
    enum { BLOCK = 64 };
    int blocks = (cols + BLOCK - 1) / BLOCK;
#pragma omp parallel for if ((size_t)rows * cols >= PARALLEL_MIN_FLOATS)
    for (int blk = 0; blk < blocks; blk++) {
        int first = blk * BLOCK;
        int last = first + BLOCK < cols ? first + BLOCK : cols;
        for (int r = 0; r < rows; r++) {
            const float *dy_row = dy + (size_t)r * cols;
            for (int o = first; o < last; o++) db[o] += dy_row[o];
        }
    }
}

void cpu_linear_backward(Backend *be, float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                         int rows, int in, int out) {
    if (dx) /* dx[rows, in] = dy[rows, out] w[out, in] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in);
    if (dw) /* dw[out, in] += dy^T[out, rows] x[rows, in] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, rows, 1.0f, dy, out, x, in, 1.0f, dw, in);
    if (db) add_column_sums(db, dy, rows, out);
}
