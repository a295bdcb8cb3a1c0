#include "cpu_ops.h"

#include "disco/error.h"

void cpu_positional_embedding_forward(Backend *be, float *y, const float *x, int rows, int channels, float max_positions, bool endpoint) {
    DISCO_FATAL("positional_embedding_forward is not implemented on the CPU yet");
}

void cpu_positional_embedding_backward(Backend *be, float *dx, const float *dy, const float *x, int rows, int channels, float max_positions, bool endpoint) {
    DISCO_FATAL("positional_embedding_backward is not implemented on the CPU yet");
}
