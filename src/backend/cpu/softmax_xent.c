#include "cpu_ops.h"

#include "disco/error.h"

void cpu_softmax_xent_forward(Backend *be, float *loss, float *probs, const float *logits, const int32_t *targets, int rows, int vocab) {
    DISCO_FATAL("softmax_xent_forward is not implemented on the CPU yet");
}

void cpu_softmax_xent_backward(Backend *be, float *dlogits, const float *dloss, const float *probs, const int32_t *targets, int rows, int vocab) {
    DISCO_FATAL("softmax_xent_backward is not implemented on the CPU yet");
}
