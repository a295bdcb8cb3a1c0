/* EDM Algorithm 2 (SPEC 3.7): Heun's method on dx/dt = (x - D(x; t)) / t over
 * the EDM time grid, with optional churn. The grid and the state live in
 * float64 as in EDM; only the denoiser sees float copies. */
#include <math.h>
#include <stdlib.h>

#include "disco/edm.h"
#include "disco/error.h"

typedef struct {
    DenoiseFn fn;
    void *ctx;
    float *xf, *df; /* float copy of the state, and the denoiser's output */
    size_t len;
    int n, dim;
} Denoiser;

/* slope = (x - D(x; t)) / t, element by element: slope may be x itself. */
static void slope_at(const Denoiser *d, const double *x, double t, double *slope) {
    for (size_t k = 0; k < d->len; k++) d->xf[k] = (float)x[k];
    d->fn(d->ctx, d->xf, t, d->df, d->n, d->dim);
    for (size_t k = 0; k < d->len; k++) slope[k] = (x[k] - (double)d->df[k]) / t;
}

/* Raises t_i to t_hat = t_i (1 + gamma) by adding fresh noise to x in place. */
static double churn(const SamplerConfig *cfg, const RngKey *churn_key, int step, double t, double *x, int n,
                    int dim) {
    double gamma = 0.0;
    if (cfg->s_churn > 0 && cfg->s_min <= t && t <= cfg->s_max) gamma = fmin(cfg->s_churn / cfg->steps, sqrt(2.0) - 1);
    if (gamma == 0.0) return t;
    DISCO_CHECK(churn_key != NULL, "the sampler's churn needs a key");
    double t_hat = t * (1.0 + gamma);
    double scale = sqrt(t_hat * t_hat - t * t) * cfg->s_noise;
    /* Row first_sample + r holds sample r's noise: a sample's path never
       depends on the batch it is drawn in. */
    RngKey key = *churn_key;
    key.step = (uint32_t)step;
    key.row_len = (uint64_t)dim;
    size_t len = (size_t)n * (size_t)dim;
    for (size_t k = 0; k < len; k++) x[k] += scale * (double)rng_normal(&key, k);
    return t_hat;
}

void edm_sample(const SamplerConfig *cfg, DenoiseFn denoise, void *ctx, double *x, int n, int dim,
                const RngKey *churn_key, StepObserver observe, void *observe_ctx) {
    int steps = cfg->steps;
    double *t = disco_malloc((size_t)(steps + 1) * sizeof(double), "sampler time grid");
    edm_time_steps(steps, cfg->sigma_min, cfg->sigma_max, cfg->rho, t);

    size_t len = (size_t)n * (size_t)dim;
    Denoiser d = {.fn = denoise, .ctx = ctx, .len = len, .n = n, .dim = dim};
    d.xf = disco_malloc(2 * len * sizeof(float), "sampler float scratch");
    d.df = d.xf + len;
    double *slope = disco_malloc(2 * len * sizeof(double), "sampler scratch");
    double *x_next = slope + len;

    for (int i = 0; i < steps; i++) {
        double t_hat = churn(cfg, churn_key, i, t[i], x, n, dim); /* x is now x_hat */
        double h = t[i + 1] - t_hat;
        slope_at(&d, x, t_hat, slope);
        for (size_t k = 0; k < len; k++) x_next[k] = x[k] + h * slope[k];
        /* The trapezoidal correction needs the slope at t_{i+1}, undefined at
           t = 0: the last step stays Euler, which lands exactly on D(x; t_hat). */
        if (!cfg->euler && t[i + 1] > 0) {
            slope_at(&d, x_next, t[i + 1], x_next);
            for (size_t k = 0; k < len; k++) x[k] += h * 0.5 * (slope[k] + x_next[k]);
        } else {
            for (size_t k = 0; k < len; k++) x[k] = x_next[k];
        }
        if (observe) observe(observe_ctx, i, t[i + 1], x, n, dim);
    }
    free(slope);
    free(d.xf);
    free(t);
}
