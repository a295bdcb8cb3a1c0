#include "cpu_ops.h"

void cpu_weighted_mse_forward(Backend *be, float *loss, const float *pred, const float *target, const float *weight,
                              int rows, int dim) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *p = pred + (size_t)r * dim, *t = target + (size_t)r * dim;
        /* A row is a whole image (3*64*64 terms): sum in double. */
        double sum = 0.0;
        for (int d = 0; d < dim; d++) {
            double diff = (double)p[d] - (double)t[d];
            sum += diff * diff;
        }
        loss[r] = weight[r] * (float)sum;
    }
}

void cpu_weighted_mse_backward(Backend *be, float *dpred, float *dtarget, const float *dloss, const float *pred,
                               const float *target, const float *weight, int rows, int dim) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        float g = 2.0f * dloss[r] * weight[r];
        const float *p = pred + (size_t)r * dim, *t = target + (size_t)r * dim;
        for (int d = 0; d < dim; d++) {
            float dp = g * (p[d] - t[d]);
            if (dpred) dpred[(size_t)r * dim + d] = dp;
            if (dtarget) dtarget[(size_t)r * dim + d] = -dp;
        }
    }
}
