/* Pinned host memory (include/disco/backend.h). cudaHostAlloc fails when the
   machine has no device (a CUDA build on a login node), and then the block
   comes from malloc instead; a header in front of each block records which,
   so that host_free_pinned releases it the way it was allocated. */
#include <atomic>
#include <stdlib.h>

#include "cuda_common.h"
#include "disco/log.h"

/* 64 bytes, so a page-aligned pinned block stays 64-byte aligned for the caller. */
struct alignas(64) PinnedHeader {
    bool pinned;
};

void *host_alloc_pinned(size_t bytes, const char *what) {
    void *block = NULL;
    cudaError_t err = cudaHostAlloc(&block, sizeof(PinnedHeader) + bytes, cudaHostAllocPortable);
    bool pinned = err == cudaSuccess;
    if (!pinned) {
        (void)cudaGetLastError(); /* handled here: later CUDA calls must not see it */
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true))
            LOG_WARN("cannot pin host memory (%s): %s and later buffers use pageable memory",
                     cudaGetErrorString(err), what);
        block = disco_malloc(sizeof(PinnedHeader) + bytes, what);
    }
    static_cast<PinnedHeader *>(block)->pinned = pinned;
    return static_cast<PinnedHeader *>(block) + 1;
}

void host_free_pinned(void *p) {
    if (!p) return;
    PinnedHeader *header = static_cast<PinnedHeader *>(p) - 1;
    if (header->pinned)
        CUDA_CHECK(cudaFreeHost(header));
    else
        free(header);
}
