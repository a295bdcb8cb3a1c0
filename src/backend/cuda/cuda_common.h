/* What every CUDA op file shares: the backend's device state, error checks
   that name the failing call, the launch shape of elementwise kernels and
   block-level sums. */
#ifndef DISCO_CUDA_COMMON_H
#define DISCO_CUDA_COMMON_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "disco/backend.h"
#include "disco/error.h"

typedef struct {
    int device;
    cudaStream_t stream; /* every op runs on it, in call order */
    cublasHandle_t cublas;
} CudaState;

static inline CudaState *cuda_state(Backend *be) { return (CudaState *)be->impl; }
static inline cudaStream_t cuda_stream(Backend *be) { return cuda_state(be)->stream; }

#define CUDA_CHECK(call)                                                                  \
    do {                                                                                  \
        cudaError_t err_ = (call);                                                        \
        if (err_ != cudaSuccess) DISCO_FATAL("CUDA: %s failed: %s", #call, cudaGetErrorString(err_)); \
    } while (0)

#define CUBLAS_CHECK(call)                                                                \
    do {                                                                                  \
        cublasStatus_t status_ = (call);                                                  \
        if (status_ != CUBLAS_STATUS_SUCCESS)                                             \
            DISCO_FATAL("cuBLAS: %s failed: %s", #call, cublasGetStatusString(status_));  \
    } while (0)

/* A bad launch configuration is reported here; a fault inside the kernel
   surfaces at the next synchronizing call (download, synchronize). */
#define CUDA_CHECK_LAUNCH(kernel_name)                                                    \
    do {                                                                                  \
        cudaError_t err_ = cudaGetLastError();                                            \
        if (err_ != cudaSuccess)                                                          \
            DISCO_FATAL("CUDA: launch of %s failed: %s", kernel_name, cudaGetErrorString(err_)); \
    } while (0)

/* ---- elementwise kernels ----
   One thread per element in a grid-stride loop: the same kernel serves any
   n, and the grid is capped so that sizes past what one launch can address
   loop instead of overflowing gridDim. */
#define CUDA_THREADS 256
#define CUDA_MAX_BLOCKS 65536

static inline unsigned int cuda_blocks_for(size_t n) {
    size_t blocks = (n + CUDA_THREADS - 1) / CUDA_THREADS;
    return (unsigned int)(blocks < CUDA_MAX_BLOCKS ? blocks : CUDA_MAX_BLOCKS);
}

#define CUDA_FOR_EACH(i, n) \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

/* Launches an elementwise kernel over n elements on the backend's stream.
   n == 0 launches nothing (an empty grid is a launch error). */
#define CUDA_LAUNCH_1D(be, n, kernel, ...)                                                \
    do {                                                                                  \
        size_t n_ = (n);                                                                  \
        if (n_ > 0) {                                                                     \
            kernel<<<cuda_blocks_for(n_), CUDA_THREADS, 0, cuda_stream(be)>>>(__VA_ARGS__); \
            CUDA_CHECK_LAUNCH(#kernel);                                                   \
        }                                                                                 \
    } while (0)

/* ---- block-level sums (used by kernels that give one block per group) ---- */
static inline __device__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

/* Sum of v over a 1-D block whose size is a multiple of 32, returned to
   every thread. Safe to call repeatedly: the first barrier keeps a new call
   from overwriting partial sums that a previous call is still reading. */
static inline __device__ float block_sum(float v) {
    __shared__ float partial[32];
    const unsigned int lane = threadIdx.x % 32;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) partial[threadIdx.x / 32] = v;
    __syncthreads();
    /* Every warp reads all partials and sums them, so every thread gets the total. */
    v = lane < blockDim.x / 32 ? partial[lane] : 0.0f;
    return warp_sum(v);
}

/* Column sums run on (32 x COLUMN_ROWS) blocks: threadIdx.x picks a column,
   so a warp reads 32 neighbouring floats of one row (coalesced), and
   threadIdx.y strides over rows. No atomics, so results are reproducible. */
#define COLUMN_ROWS 32

/* Sum of v over threadIdx.y for each threadIdx.x; valid where threadIdx.y == 0. */
static inline __device__ float column_block_sum(float v) {
    __shared__ float partial[COLUMN_ROWS][32];
    __syncthreads();
    partial[threadIdx.y][threadIdx.x] = v;
    __syncthreads();
    float sum = 0.0f;
    if (threadIdx.y == 0)
        for (int r = 0; r < COLUMN_ROWS; r++) sum += partial[r][threadIdx.x];
    return sum;
}

/* out[b * out_stride + c] = alpha * sum_r a[b, r, c] * (m ? m[b, r, c] : 1) + beta * out[...]
   for a (and m) [batch, rows, cols]. beta == 0 writes without reading out. */
void cuda_column_sum(Backend *be, float *out, size_t out_stride, const float *a, const float *m, int batch,
                     size_t rows, size_t cols, float alpha, float beta);

/* dst[r, 0 .. count) = src[r, 0 .. count) for r < rows, where consecutive
   rows lie dst_cols and src_cols floats apart (a strided 2-D copy). */
void cuda_copy_columns(Backend *be, float *dst, size_t dst_cols, const float *src, size_t src_cols, size_t rows,
                       size_t count);

#endif
