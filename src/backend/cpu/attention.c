#include "cpu_ops.h"

#include "disco/error.h"

void cpu_attention_forward(Backend *be, float *out, float *probs, const float *q, const float *k, const float *v, const AttentionShape *s) {
    DISCO_FATAL("attention_forward is not implemented on the CPU yet");
}

void cpu_attention_backward(Backend *be, float *dq, float *dk, float *dv, const float *dout, const float *q, const float *k, const float *v, const float *probs, const AttentionShape *s) {
    DISCO_FATAL("attention_backward is not implemented on the CPU yet");
}
