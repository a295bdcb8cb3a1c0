/* Column sums, shared by the backward passes that reduce over rows:
   linear's bias gradient, add's broadcast gradient, modulate's scale and
   shift gradients. Blocks own 32 columns of one batch entry; the grid does
   not split rows, so no two blocks add into one output and the result does
   not depend on scheduling. */
#include "cuda_ops.h"

static __global__ void column_sum_kernel(float *out, size_t out_stride, const float *a, const float *m,
                                         size_t rows, size_t cols, float alpha, float beta) {
    const size_t c = (size_t)blockIdx.x * 32 + threadIdx.x;
    const size_t base = (size_t)blockIdx.y * rows * cols;
    float sum = 0.0f;
    if (c < cols)
        for (size_t r = threadIdx.y; r < rows; r += COLUMN_ROWS) {
            size_t i = base + r * cols + c;
            sum += m ? a[i] * m[i] : a[i];
        }
    sum = column_block_sum(sum);
    if (threadIdx.y == 0 && c < cols) {
        float *o = out + blockIdx.y * out_stride + c;
        *o = beta == 0.0f ? alpha * sum : alpha * sum + beta * *o;
    }
}

void cuda_column_sum(Backend *be, float *out, size_t out_stride, const float *a, const float *m, int batch,
                     size_t rows, size_t cols, float alpha, float beta) {
    if (batch == 0 || cols == 0) return;
    DISCO_CHECK(batch <= 65535, "column sum: batch %d exceeds the grid's y limit", batch);
    dim3 grid((unsigned int)((cols + 31) / 32), (unsigned int)batch), block(32, COLUMN_ROWS);
    column_sum_kernel<<<grid, block, 0, cuda_stream(be)>>>(out, out_stride, a, m, rows, cols, alpha, beta);
    CUDA_CHECK_LAUNCH("column_sum_kernel");
}
