#include "cpu_ops.h"

#include "disco/error.h"

size_t cpu_conv2d_workspace(Backend *be, const Conv2dShape *s) {
    DISCO_FATAL("conv2d_workspace is not implemented on the CPU yet");
}

void cpu_conv2d_forward(Backend *be, float *y, const float *x, const float *w, const float *b, const Conv2dShape *s, void *workspace) {
    DISCO_FATAL("conv2d_forward is not implemented on the CPU yet");
}

void cpu_conv2d_backward(Backend *be, float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, const Conv2dShape *s, void *workspace) {
    DISCO_FATAL("conv2d_backward is not implemented on the CPU yet");
}
