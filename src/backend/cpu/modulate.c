#include "cpu_ops.h"

#include "disco/error.h"

void cpu_modulate_forward(Backend *be, float *y, const float *x, const float *scale_shift, int batch, int tokens, int channels) {
    DISCO_FATAL("modulate_forward is not implemented on the CPU yet");
}

void cpu_modulate_backward(Backend *be, float *dx, float *dscale_shift, const float *dy, const float *x, const float *scale_shift, int batch, int tokens, int channels) {
    DISCO_FATAL("modulate_backward is not implemented on the CPU yet");
}
