#include "cpu_ops.h"

#include "disco/error.h"

void cpu_weighted_mse_forward(Backend *be, float *loss, const float *pred, const float *target, const float *weight, int rows, int dim) {
    DISCO_FATAL("weighted_mse_forward is not implemented on the CPU yet");
}

void cpu_weighted_mse_backward(Backend *be, float *dpred, float *dtarget, const float *dloss, const float *pred, const float *target, const float *weight, int rows, int dim) {
    DISCO_FATAL("weighted_mse_backward is not implemented on the CPU yet");
}
