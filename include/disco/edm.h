/* EDM (Karras et al. 2022) machinery shared by every model: preconditioning,
 * the training noise distribution and loss weight, the sampler time grid,
 * the Heun / Euler sampler with optional churn, and classifier-free guidance
 * on the latents. Host code: arrays are plain host memory; the sampler calls
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

typedef struct {
    int steps;                  /* N: NFE = 2N - 1 for Heun */
    double sigma_min, sigma_max, rho;
    bool euler;                 /* first order only (for curvature and ablations) */
    double s_churn, s_min, s_max, s_noise; /* s_churn = 0: deterministic ODE */
} SamplerConfig;

SamplerConfig sampler_default(void); /* 18 steps, 0.002, 80, 7, Heun, no churn */

/* Called after each step with the state at t[i+1] (n x dim, double), if set. */
typedef void (*StepObserver)(void *ctx, int step, double t_next, const double *x, int n, int dim);

/* Integrates n samples of dimension dim from t[0] to 0. x holds the initial
   noise N(0, I) scaled by t[0] on entry (the caller draws it, per sample, so
   a sample never depends on its batch) and the result on return. Churn noise
   for sample r at step i is rng_normal(key with index first_sample + r and
   step i). Uses 2 n dim doubles and 2 n dim floats of scratch (allocated
   once per call). */
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
