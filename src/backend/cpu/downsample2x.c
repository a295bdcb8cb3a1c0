#include "cpu_ops.h"

#include "disco/error.h"

void cpu_downsample2x_forward(Backend *be, float *y, const float *x, int batch, int height, int width, int channels) {
    DISCO_FATAL("downsample2x_forward is not implemented on the CPU yet");
}

void cpu_downsample2x_backward(Backend *be, float *dx, const float *dy, int batch, int height, int width, int channels) {
    DISCO_FATAL("downsample2x_backward is not implemented on the CPU yet");
}
