/* Host memory and randomness for the CPU backend. Buffers are 256-byte
   aligned so that vector loads and the arena share one alignment rule. */
#include <stdlib.h>
#include <string.h>

#include "cpu_ops.h"
#include "disco/arena.h"
#include "disco/error.h"

void *cpu_alloc(Backend *be, size_t bytes, const char *what) {
    (void)be;
    void *p = NULL;
    DISCO_CHECK(posix_memalign(&p, ARENA_ALIGN, arena_round_up(bytes ? bytes : 1)) == 0,
                "out of memory allocating %zu bytes for %s", bytes, what);
    return p;
}

void cpu_free(Backend *be, void *ptr) {
    (void)be;
    free(ptr);
}

void cpu_upload(Backend *be, void *dst, const void *host_src, size_t bytes) {
    (void)be;
    memcpy(dst, host_src, bytes);
}

void cpu_download(Backend *be, void *host_dst, const void *src, size_t bytes) {
    (void)be;
    memcpy(host_dst, src, bytes);
}

void cpu_copy(Backend *be, void *dst, const void *src, size_t bytes) {
    (void)be;
    memcpy(dst, src, bytes);
}

void cpu_zero(Backend *be, void *dst, size_t bytes) {
    (void)be;
    memset(dst, 0, bytes);
}

void cpu_synchronize(Backend *be) { (void)be; }

void cpu_rng_u32(Backend *be, uint32_t *out, size_t n, RngKey key) {
    (void)be;
    rng_fill_u32(&key, out, n);
}

void cpu_rng_uniform(Backend *be, float *out, size_t n, RngKey key) {
    (void)be;
    rng_fill_uniform(&key, out, n);
}

void cpu_rng_normal(Backend *be, float *out, size_t n, RngKey key) {
    (void)be;
    rng_fill_normal(&key, out, n);
}
