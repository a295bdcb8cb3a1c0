#include "cpu_ops.h"

#include "disco/error.h"

void cpu_split_forward(Backend *be, float *y, const float *x, int rows, int channels, int offset, int count) {
    DISCO_FATAL("split_forward is not implemented on the CPU yet");
}

void cpu_split_backward(Backend *be, float *dx, const float *dy, int rows, int channels, int offset, int count) {
    DISCO_FATAL("split_backward is not implemented on the CPU yet");
}
