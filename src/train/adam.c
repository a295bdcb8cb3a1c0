#include "disco/adam.h"

#include <math.h>
#include <stdlib.h>

#include "disco/error.h"

/* EDM's bounds for infinite gradients: large enough to move the moments
   decisively, finite so the second moment stays finite. */
#define ADAM_GRAD_LIMIT 1e5f

Adam *adam_create(size_t n) {
    Adam *a = disco_calloc(1, sizeof(Adam), "Adam");
    *a = (Adam){.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .n = n};
    a->m = disco_calloc(n, sizeof(float), "Adam first moments");
    a->v = disco_calloc(n, sizeof(float), "Adam second moments");
    return a;
}

void adam_destroy(Adam *a) {
    if (!a) return;
    free(a->m);
    free(a->v);
    free(a);
}

static float finite_or_clamped(float g) {
    if (isnan(g)) return 0.0f;
    if (isinf(g)) return g > 0 ? ADAM_GRAD_LIMIT : -ADAM_GRAD_LIMIT;
    return g;
}

void adam_step(Adam *a, float *params, float *grads, float lr) {
    a->step++;
    /* torch's arrangement: p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps),
       with the bias corrections in double so early steps are exact. */
    double t = (double)a->step;
    float step_size = (float)(lr / (1.0 - pow(a->beta1, t)));
    float inv_sqrt_bc2 = (float)(1.0 / sqrt(1.0 - pow(a->beta2, t)));
    float b1 = a->beta1, b2 = a->beta2, eps = a->eps;
    float *m = a->m, *v = a->v;
    ptrdiff_t n = (ptrdiff_t)a->n;
#pragma omp parallel for simd schedule(static)
    for (ptrdiff_t i = 0; i < n; i++) {
        float g = finite_or_clamped(grads[i]);
        grads[i] = g;
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        params[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
    }
}
