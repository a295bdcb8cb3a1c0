/* EDM Algorithm 2 (SPEC 3.7): Heun's method on dx/dt = (x - D(x; t)) / t over
 * the EDM time grid, with optional churn, and the hook where the Restart
 * intervals (restart.c) run. The grid and the state live in float64 as in
 * EDM; only the denoiser sees float copies. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/edm.h"
#include "disco/error.h"
#include "sampler_internal.h"

static const char *const METHOD_NAMES[] = {
    [SAMPLER_HEUN] = "heun", [SAMPLER_EULER] = "euler", [SAMPLER_STOCHASTIC] = "stochastic",
    [SAMPLER_RESTART] = "restart"};
enum { METHODS = sizeof METHOD_NAMES / sizeof METHOD_NAMES[0] };

bool sampler_method_parse(const char *name, SamplerMethod *m) {
    for (int i = 0; i < METHODS; i++)
        if (strcmp(name, METHOD_NAMES[i]) == 0) {
            *m = (SamplerMethod)i;
            return true;
        }
    return false;
}

const char *sampler_method_name(SamplerMethod m) {
    DISCO_CHECK((int)m >= 0 && (int)m < METHODS, "no sampler method %d", (int)m);
    return METHOD_NAMES[m];
}

/* The main grid, checked; the caller frees it. */
static double *main_grid(const SamplerConfig *cfg) {
    DISCO_CHECK((int)cfg->method >= 0 && (int)cfg->method < METHODS, "no sampler method %d", (int)cfg->method);
    DISCO_CHECK(cfg->method != SAMPLER_STOCHASTIC || cfg->s_churn > 0,
                "the stochastic sampler needs s_churn > 0 (0 is the deterministic Heun sampler)");
    double *t = disco_malloc((size_t)(cfg->steps + 1) * sizeof(double), "sampler time grid");
    edm_time_steps(cfg->steps, cfg->sigma_min, cfg->sigma_max, cfg->rho, t);
    return t;
}

int sampler_nfe(const SamplerConfig *cfg) {
    double *t = main_grid(cfg);
    RestartPlan plan = restart_plan(cfg, t);
    free(t);
    /* Heun's last step ends at t = 0, where it stays Euler. */
    int nfe = cfg->method == SAMPLER_EULER ? cfg->steps : 2 * cfg->steps - 1;
    for (int j = 0; j < plan.count; j++) nfe += cfg->restart[j].repeats * 2 * (cfg->restart[j].steps - 1);
    return nfe;
}

/* slope = (x - D(x; t)) / t, element by element: slope may be x itself. */
static void slope_at(const SamplerWork *w, const double *x, double t, double *slope) {
    for (size_t k = 0; k < w->len; k++) w->xf[k] = (float)x[k];
    w->fn(w->ctx, w->xf, t, w->df, w->n, w->dim);
    for (size_t k = 0; k < w->len; k++) slope[k] = (x[k] - (double)w->df[k]) / t;
}

void sampler_add_noise(const SamplerWork *w, double *x, double scale, uint32_t site, uint32_t step) {
    DISCO_CHECK(w->key != NULL, "the sampler's churn and restart noise need a key");
    /* Row first_sample + r holds sample r's noise: a sample's path never
       depends on the batch it is drawn in. */
    RngKey key = *w->key;
    key.stream += 256u * site;
    key.step = step;
    key.row_len = (uint64_t)w->dim;
    for (size_t k = 0; k < w->len; k++) x[k] += scale * (double)rng_normal(&key, k);
}

void sampler_step(SamplerWork *w, double *x, double t_cur, double t_next, double gamma, double s_noise, uint32_t site,
                  uint32_t step, bool second_order) {
    double t_hat = t_cur;
    if (gamma > 0) { /* x becomes x_hat, a sample at the higher t_hat */
        t_hat = t_cur * (1.0 + gamma);
        sampler_add_noise(w, x, sqrt(t_hat * t_hat - t_cur * t_cur) * s_noise, site, step);
    }
    double h = t_next - t_hat;
    slope_at(w, x, t_hat, w->slope);
    for (size_t k = 0; k < w->len; k++) w->x_next[k] = x[k] + h * w->slope[k];
    /* The last main step stays Euler and lands exactly on D(x; t_hat). */
    if (second_order && t_next > 0) {
        slope_at(w, w->x_next, t_next, w->x_next);
        for (size_t k = 0; k < w->len; k++) x[k] += h * 0.5 * (w->slope[k] + w->x_next[k]);
    } else {
        memcpy(x, w->x_next, w->len * sizeof(double));
    }
}

void edm_sample(const SamplerConfig *cfg, DenoiseFn denoise, void *ctx, double *x, int n, int dim,
                const RngKey *churn_key, StepObserver observe, void *observe_ctx) {
    double *t = main_grid(cfg);
    RestartPlan plan = restart_plan(cfg, t);

    size_t len = (size_t)n * (size_t)dim;
    SamplerWork w = {.fn = denoise, .ctx = ctx, .len = len, .n = n, .dim = dim, .key = churn_key};
    w.xf = disco_malloc(2 * len * sizeof(float), "sampler float scratch");
    w.df = w.xf + len;
    w.slope = disco_malloc(2 * len * sizeof(double), "sampler scratch");
    w.x_next = w.slope + len;

    for (int i = 0; i < cfg->steps; i++) {
        double gamma = 0.0;
        if (cfg->s_churn > 0 && cfg->s_min <= t[i] && t[i] <= cfg->s_max)
            gamma = fmin(cfg->s_churn / cfg->steps, sqrt(2.0) - 1);
        sampler_step(&w, x, t[i], t[i + 1], gamma, cfg->s_noise, NOISE_SITE_CHURN, (uint32_t)i,
                     cfg->method != SAMPLER_EULER);
        restart_at(&w, cfg, &plan, t, i + 1, x);
        if (observe) observe(observe_ctx, i, t[i + 1], x, n, dim);
    }
    free(w.slope);
    free(w.xf);
    free(t);
}
