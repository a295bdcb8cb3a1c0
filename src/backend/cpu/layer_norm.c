/* Layer norm over [rows, channels] is group norm with one token per sample and
   one group: the statistics layout (rows means, then rows rstds) is the same. */
#include "cpu_ops.h"

void cpu_layer_norm_forward(Backend *be, float *y, float *stats, const float *x, const float *gamma,
                            const float *beta, int rows, int channels, float eps) {
    cpu_group_norm_forward(be, y, stats, x, gamma, beta, rows, 1, channels, 1, eps);
}

void cpu_layer_norm_backward(Backend *be, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                             const float *stats, const float *gamma, int rows, int channels) {
    cpu_group_norm_backward(be, dx, dgamma, dbeta, dy, x, stats, gamma, rows, 1, channels, 1);
}
