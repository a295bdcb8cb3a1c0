#include "cpu_ops.h"

#include "disco/error.h"

void cpu_embedding_forward(Backend *be, float *y, const int32_t *idx, const float *table, int rows, int vocab, int dim) {
    DISCO_FATAL("embedding_forward is not implemented on the CPU yet");
}

void cpu_embedding_backward(Backend *be, float *dtable, const float *dy, const int32_t *idx, int rows, int vocab, int dim) {
    DISCO_FATAL("embedding_backward is not implemented on the CPU yet");
}
