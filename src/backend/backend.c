#include "disco/backend.h"

#include <stdlib.h>

#include "disco/error.h"

const char *precision_name(Precision p) { return p == PRECISION_BF16 ? "bf16" : "fp32"; }

int backend_cuda_device_for(int local_rank) {
    int count = backend_cuda_device_count();
    return count > 0 ? local_rank % count : -1;
}

#ifndef DISCO_HAVE_CUDA
bool backend_cuda_available(void) { return false; }
int backend_cuda_device_count(void) { return 0; }

Backend *backend_cuda_create(int device_index, Precision precision, const char **why) {
    (void)device_index, (void)precision;
    *why = "this build has no CUDA support (configure with nvcc present and DISCO_CUDA=ON)";
    return NULL;
}

void backend_cuda_destroy(Backend *be) { (void)be; }

void *backend_cuda_stream(const Backend *be) {
    (void)be;
    return NULL;
}

/* Without CUDA nothing copies by DMA, so pinning would buy nothing. */
void *host_alloc_pinned(size_t bytes, const char *what) { return disco_malloc(bytes, what); }

void host_free_pinned(void *p) { free(p); }
#endif
