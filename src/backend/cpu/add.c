#include "cpu_ops.h"

#include "disco/error.h"

void cpu_add_forward(Backend *be, float *y, const float *a, const float *b, size_t n, size_t nb, float scale) {
    DISCO_FATAL("add_forward is not implemented on the CPU yet");
}

void cpu_add_backward(Backend *be, float *da, float *db, const float *dy, size_t n, size_t nb, float scale) {
    DISCO_FATAL("add_backward is not implemented on the CPU yet");
}
