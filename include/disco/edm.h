/* EDM (Karras et al. 2022) machinery shared by every model: preconditioning,
 * the training noise distribution and loss weight, the sampler time grid,
 * the Heun / Euler sampler with optional churn and Restart intervals, and
 * classifier-free guidance on the latents. Host code: arrays are plain host memory; the sampler calls
 * a denoiser callback that may run anywhere. */
#ifndef DISCO_EDM_H
#define DISCO_EDM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disco/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* D(x; sigma) = c_skip x + c_out F(c_in x; c_noise)  (EDM eq. 7, Table 1). */
typedef struct {
    double c_skip, c_out, c_in, c_noise;
} EdmPrecond;

EdmPrecond edm_precond(double sigma, double sigma_data);
/* lambda(sigma) = (sigma^2 + sigma_data^2) / (sigma * sigma_data)^2 = 1 / c_out^2. */
double edm_loss_weight(double sigma, double sigma_data);
/* ln sigma ~ N(p_mean, p_std^2), drawn from element `row` of the key's stream
   (one draw per sample: the key's row is the global sample index). */
double edm_sample_sigma(const RngKey *key, uint64_t row, double p_mean, double p_std);

/* sigma_i = (smax^(1/rho) + i/(n-1) (smin^(1/rho) - smax^(1/rho)))^rho for
   i < n, and t[n] = 0: n + 1 values into t (n >= 1; n == 1 gives {smax, 0}). */
void edm_time_steps(int n, double sigma_min, double sigma_max, double rho, double *t);

/* out[n, dim] = D(x[n, dim]; sigma) for one shared sigma. */
typedef void (*DenoiseFn)(void *ctx, const float *x, double sigma, float *out, int n, int dim);

/* What edm_sample runs (SPEC 1.6, 3.7). Every method honours s_churn in its
   main loop, as EDM's and the Restart reference's samplers do. */
typedef enum {
    SAMPLER_HEUN = 0,   /* EDM Algorithm 1: deterministic unless s_churn > 0 */
    SAMPLER_EULER,      /* first order only (for curvature and ablations) */
    SAMPLER_STOCHASTIC, /* EDM Algorithm 2: Heun with churn, s_churn > 0 required */
    SAMPLER_RESTART,    /* Heun, then the restart intervals (Xu et al. 2023) */
} SamplerMethod;

/* "heun", "euler", "stochastic" or "restart"; false for anything else. */
bool sampler_method_parse(const char *name, SamplerMethod *m);
const char *sampler_method_name(SamplerMethod m);

#define SAMPLER_MAX_RESTARTS 8

/* One restart interval [N_restart, K, t_min, t_max] of the Restart sampler.
   t_min only chooses a point of the main grid: the one nearest to it (the
   first on a tie), which must lie strictly between t[0] and t[N] = 0, differ
   from every other interval's, and be below t_max. After the main step that
   lands there, K times: add N(0, (t_max^2 - t_grid^2) s_noise^2) noise, then
   integrate back from t_max to t_grid with steps - 1 Heun steps over
   EDM-spaced (rho) points. */
typedef struct {
    int steps;   /* N_restart >= 2 points, t_max first and t_grid last */
    int repeats; /* K >= 0 */
    double t_min, t_max;
} RestartInterval;

typedef struct {
    SamplerMethod method;
    int steps; /* N: NFE = 2N - 1 for Heun, N for Euler */
    double sigma_min, sigma_max, rho;
    /* Churn in the main loop (s_churn = 0: none). s_noise also scales the
       restart noise and the churn inside restart segments (the Restart
       reference's single S_noise). */
    double s_churn, s_min, s_max, s_noise;
    /* SAMPLER_RESTART only; other methods ignore them. restart_gamma is the
       churn gamma of each restart-segment step whose t lies in
       [s_min, s_max] (the reference's --restart_gamma, uncapped). */
    int restarts; /* intervals used in restart[] */
    RestartInterval restart[SAMPLER_MAX_RESTARTS];
    double restart_gamma;
} SamplerConfig;

SamplerConfig sampler_default(void); /* 18 steps, 0.002, 80, 7, Heun, no churn */
/* EDM's ImageNet-64 stochastic setting: 256 steps, S_churn 40, S_min 0.05,
   S_max 50, S_noise 1.003 (NFE 511, SPEC 3.7). */
SamplerConfig sampler_stochastic_imagenet64(void);
/* Restart's 623-NFE ImageNet-64 setting (SPEC 1.6): 36 main Heun steps and
   {[10, 3, 19.35, 40.79], [10, 3, 1.09, 1.92], [7, 6, 0.59, 1.09],
   [7, 6, 0.30, 0.59], [7, 25, 0.06, 0.30]}, S_min 0.01, S_max 1,
   S_noise 1.003, restart_gamma 0.05, no main-loop churn. */
SamplerConfig sampler_restart_imagenet64(void);
/* Denoiser calls per sample batch that edm_sample makes with cfg: 2N - 1
   (N for Euler), plus sum K * 2 (N_restart - 1) for Restart. Checks the
   restart intervals as edm_sample does. */
int sampler_nfe(const SamplerConfig *cfg);

/* Called after each main step with the state at t[i+1] (n x dim, double), if
   set; for Restart, after that point's restart repetitions. */
typedef void (*StepObserver)(void *ctx, int step, double t_next, const double *x, int n, int dim);

/* Integrates n samples of dimension dim from t[0] to 0. x holds the initial
   noise N(0, I) scaled by t[0] on entry (the caller draws it, per sample, so
   a sample never depends on its batch) and the result on return. The key's
   index is the global index of sample 0 (first_sample); sample r's noise
   lies in row first_sample + r, whatever its batch. Churn noise at main step
   i is drawn with the key's stream and step i; restart noise with the
   stream + 256 (rng_stream's site 1) and step = the repetition's number in
   the order the sampler runs them (0, 1, ... over all intervals); churn in
   restart segments with the stream + 512 and step = the segment step's
   running number. The key may be NULL when no noise is drawn. Uses 2 n dim
   doubles and 2 n dim floats of scratch (allocated once per call). */
void edm_sample(const SamplerConfig *cfg, DenoiseFn denoise, void *ctx, double *x, int n, int dim,
                const RngKey *churn_key, StepObserver observe, void *observe_ctx);

/* Curvature of the ODE at (x, t), as DisCo-Diff App. F measures it: with
   T = d / |d| the unit tangent of dx/dt = (x - D(x; t)) / t and x' = x - dt d
   one Euler step toward t - dt, kappa = |T(x, t) - T(x', t - dt)| / |x - x'|.
   Writes one value per sample into kappa[n]. */
void edm_curvature(DenoiseFn denoise, void *ctx, const float *x, double t, double dt, int n, int dim, double *kappa);

/* Guidance on the latents: out = cond + scale (cond - uncond) (SPEC 1.5:
   scale 0 is the plain conditional model). out may alias cond. */
void edm_guide(float *out, const float *cond, const float *uncond, size_t n, double scale);

#ifdef __cplusplus
}
#endif

#endif
