#include "cpu_ops.h"

#include "disco/error.h"

void cpu_gumbel_softmax_forward(Backend *be, float *y, float *soft, const float *logits, int rows, int k, float tau, bool hard, RngKey key) {
    DISCO_FATAL("gumbel_softmax_forward is not implemented on the CPU yet");
}

void cpu_gumbel_softmax_backward(Backend *be, float *dlogits, const float *dy, const float *soft, int rows, int k, float tau) {
    DISCO_FATAL("gumbel_softmax_backward is not implemented on the CPU yet");
}
