/* Linear layer as cuBLAS GEMMs on row-major buffers.
 *
 * cuBLAS is column-major: a row-major [r, c] buffer is the column-major
 * [c, r] matrix, i.e. its transpose. So y = x w^T (row-major) is computed as
 * y^T = w x^T (column-major): op(A) = w^T read as [in, out] -> transposed,
 * op(B) = x read as [in, rows] -> not transposed.
 *
 * Precision. fp32 asks for CUBLAS_COMPUTE_32F; with the handle's default
 * math mode that never rounds inputs to TF32 (that takes
 * CUBLAS_COMPUTE_32F_FAST_TF32 or CUBLAS_TF32_TENSOR_OP_MATH), so the parity
 * mode is true fp32. bf16 asks for CUBLAS_COMPUTE_32F_FAST_16BF on the same
 * fp32 buffers: cuBLAS rounds the inputs to bf16 on their way into the tensor
 * cores and accumulates in fp32. We chose that over converting x and w into a
 * bf16 scratch copy ourselves because the op table gives linear no workspace
 * (and the training step must not allocate), it needs no conversion kernels,
 * and the numbers are the same: bf16 inputs, fp32 accumulation and output. */
#include "cuda_ops.h"

static cublasComputeType_t compute_type(const Backend *be) {
    return be->precision == PRECISION_BF16 ? CUBLAS_COMPUTE_32F_FAST_16BF : CUBLAS_COMPUTE_32F;
}

/* C = op(A) op(B) + beta C, column-major, every matrix fp32 in memory. */
static void gemm(Backend *be, cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    const float alpha = 1.0f;
    CUBLAS_CHECK(cublasGemmEx(cuda_state(be)->cublas, op_a, op_b, m, n, k, &alpha, a, CUDA_R_32F, lda, b,
                              CUDA_R_32F, ldb, &beta, c, CUDA_R_32F, ldc, compute_type(be), CUBLAS_GEMM_DEFAULT));
}

static __global__ void broadcast_rows_kernel(float *y, const float *b, size_t n, int out) {
    CUDA_FOR_EACH(i, n) y[i] = b[i % out];
}

void cuda_linear_forward(Backend *be, float *y, const float *x, const float *w, const float *b, int rows, int in,
                         int out) {
    if (rows == 0 || out == 0) return;
    /* Starting y at the bias lets the GEMM add x w^T onto it (beta = 1)
       instead of making a second pass over y. */
    float beta = 0.0f;
    if (b) {
        CUDA_LAUNCH_1D(be, (size_t)rows * out, broadcast_rows_kernel, y, b, (size_t)rows * out, out);
        beta = 1.0f;
    }
    gemm(be, CUBLAS_OP_T, CUBLAS_OP_N, out, rows, in, w, in, x, in, beta, y, out);
}

void cuda_linear_backward(Backend *be, float *dx, float *dw, float *db, const float *dy, const float *x,
                          const float *w, int rows, int in, int out) {
    if (dx && rows > 0 && in > 0) /* dx[rows, in] = dy[rows, out] w[out, in]: dx^T = w^T dy^T */
        gemm(be, CUBLAS_OP_N, CUBLAS_OP_N, in, rows, out, w, in, dy, out, 0.0f, dx, in);
    if (dw && out > 0 && in > 0) /* dw[out, in] += dy^T x: dw^T += x^T dy */
        gemm(be, CUBLAS_OP_N, CUBLAS_OP_T, in, out, rows, x, in, dy, out, 1.0f, dw, in);
    if (db) cuda_column_sum(be, db, 0, dy, NULL, 1, rows, out, 1.0f, 1.0f);
}
