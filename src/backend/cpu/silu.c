#include "cpu_ops.h"

#include "disco/error.h"

void cpu_silu_forward(Backend *be, float *y, const float *x, size_t n) {
    DISCO_FATAL("silu_forward is not implemented on the CPU yet");
}

void cpu_silu_backward(Backend *be, float *dx, const float *dy, const float *x, size_t n) {
    DISCO_FATAL("silu_backward is not implemented on the CPU yet");
}
