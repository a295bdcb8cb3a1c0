#include <math.h>

#include "cpu_ops.h"
#include "disco/error.h"

void cpu_softmax_xent_forward(Backend *be, float *loss, float *probs, const float *logits, const int32_t *targets,
                              int rows, int vocab) {
    /* Checked before the parallel region, so the error names the first bad row. */
    for (int r = 0; r < rows; r++)
        DISCO_CHECK(targets[r] >= 0 && targets[r] < vocab, "softmax_xent: row %d has target %d, outside [0, %d)", r,
                    targets[r], vocab);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *logit = logits + (size_t)r * vocab;
        float *p = probs + (size_t)r * vocab;
        float max = logit[0];
        for (int j = 1; j < vocab; j++) max = fmaxf(max, logit[j]);
        float sum = 0.0f;
        for (int j = 0; j < vocab; j++) {
            p[j] = expf(logit[j] - max);
            sum += p[j];
        }
        float inv_sum = 1.0f / sum;
        for (int j = 0; j < vocab; j++) p[j] *= inv_sum;
        /* From the logits rather than log(p): exact even where p underflows. */
        loss[r] = logf(sum) + max - logit[targets[r]];
    }
}

void cpu_softmax_xent_backward(Backend *be, float *dlogits, const float *dloss, const float *probs,
                               const int32_t *targets, int rows, int vocab) {
    if (!dlogits) return;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *p = probs + (size_t)r * vocab;
        float *d = dlogits + (size_t)r * vocab;
        for (int j = 0; j < vocab; j++) d[j] = dloss[r] * p[j];
        d[targets[r]] -= dloss[r];
    }
}
