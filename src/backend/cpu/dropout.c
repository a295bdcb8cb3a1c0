#include "cpu_ops.h"

#include "disco/error.h"

void cpu_dropout_forward(Backend *be, float *y, const float *x, size_t n, float p, RngKey key) {
    DISCO_FATAL("dropout_forward is not implemented on the CPU yet");
}

void cpu_dropout_backward(Backend *be, float *dx, const float *dy, size_t n, float p, RngKey key) {
    DISCO_FATAL("dropout_backward is not implemented on the CPU yet");
}
