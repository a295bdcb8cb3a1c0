#include "cpu_ops.h"

#include "disco/error.h"

void cpu_linear_forward(Backend *be, float *y, const float *x, const float *w, const float *b, int rows, int in, int out) {
    DISCO_FATAL("linear_forward is not implemented on the CPU yet");
}

void cpu_linear_backward(Backend *be, float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, int rows, int in, int out) {
    DISCO_FATAL("linear_backward is not implemented on the CPU yet");
}
