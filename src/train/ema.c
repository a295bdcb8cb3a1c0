#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/train.h"

Ema *ema_create(const float *params, size_t n, double half_life_samples, double rampup_ratio) {
    DISCO_CHECK(half_life_samples > 0, "EMA half-life must be positive, not %g samples", half_life_samples);
    Ema *e = disco_calloc(1, sizeof(Ema), "EMA");
    e->n = n;
    e->weights = disco_malloc(n * sizeof(float), "EMA weights");
    memcpy(e->weights, params, n * sizeof(float));
    e->half_life_samples = half_life_samples;
    e->rampup_ratio = rampup_ratio;
    return e;
}

void ema_destroy(Ema *e) {
    if (!e) return;
    free(e->weights);
    free(e);
}

double ema_beta(const Ema *e, uint64_t batch, uint64_t samples_seen) {
    double half_life = e->half_life_samples;
    /* Early on a long memory would keep the random initial weights alive. */
    if (e->rampup_ratio > 0) half_life = fmin(half_life, e->rampup_ratio * (double)samples_seen);
    return half_life > 0 ? pow(0.5, (double)batch / half_life) : 0.0;
}

void ema_update(Ema *e, const float *params, uint64_t batch, uint64_t samples_seen) {
    float beta = (float)ema_beta(e, batch, samples_seen);
#pragma omp parallel for schedule(static) if (e->n >= (1 << 15))
    for (size_t i = 0; i < e->n; i++) e->weights[i] = beta * e->weights[i] + (1.0f - beta) * params[i];
}
