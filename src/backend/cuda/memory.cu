/* Device memory for the CUDA backend. Transfers from and to the host are
   synchronous, as on the CPU backend: when upload returns, the caller may
   reuse its buffer (pinned or not), and when download returns, the data is
   there. Device-side copies and fills are queued on the backend's stream. */
#include "cuda_ops.h"

void *cuda_alloc(Backend *be, size_t bytes, const char *what) {
    (void)be;
    void *p = NULL;
    /* cudaMalloc aligns to at least 256 bytes, the arena's alignment. */
    cudaError_t err = cudaMalloc(&p, bytes ? bytes : 1);
    if (err != cudaSuccess)
        DISCO_FATAL("CUDA: cannot allocate %zu bytes for %s: %s", bytes, what, cudaGetErrorString(err));
    return p;
}

void cuda_free(Backend *be, void *ptr) {
    (void)be;
    CUDA_CHECK(cudaFree(ptr));
}

void cuda_upload(Backend *be, void *dst, const void *host_src, size_t bytes) {
    CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, cuda_stream(be)));
    CUDA_CHECK(cudaStreamSynchronize(cuda_stream(be)));
}

void cuda_download(Backend *be, void *host_dst, const void *src, size_t bytes) {
    CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, cuda_stream(be)));
    CUDA_CHECK(cudaStreamSynchronize(cuda_stream(be)));
}

/* The CPU backend's copy is a memmove; cudaMemcpy is undefined on
   overlapping ranges, so overlap is refused instead of silently garbled. */
void cuda_copy(Backend *be, void *dst, const void *src, size_t bytes) {
    if (bytes == 0 || dst == src) return;
    const char *d = (const char *)dst, *s = (const char *)src;
    DISCO_CHECK(d + bytes <= s || s + bytes <= d, "CUDA copy: source and destination overlap (%zu bytes)", bytes);
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cuda_stream(be)));
}

void cuda_zero(Backend *be, void *dst, size_t bytes) {
    CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, cuda_stream(be)));
}

void cuda_synchronize(Backend *be) { CUDA_CHECK(cudaStreamSynchronize(cuda_stream(be))); }

void cuda_copy_columns(Backend *be, float *dst, size_t dst_cols, const float *src, size_t src_cols, size_t rows,
                       size_t count) {
    if (rows == 0 || count == 0) return;
    CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_cols * sizeof(float), src, src_cols * sizeof(float), count * sizeof(float),
                                 rows, cudaMemcpyDeviceToDevice, cuda_stream(be)));
}
