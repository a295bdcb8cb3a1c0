/* What sampler.c (the EDM main loop) and restart.c (the Restart intervals)
 * share: one Heun / Euler step with optional churn, and the restart plan. */
#ifndef DISCO_SAMPLER_INTERNAL_H
#define DISCO_SAMPLER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disco/edm.h"

/* The denoiser and the scratch of one edm_sample call. */
typedef struct {
    DenoiseFn fn;
    void *ctx;
    float *xf, *df;         /* float copy of the state, and the denoiser's output */
    double *slope, *x_next; /* the slope at the step's start, and the Euler point */
    size_t len;             /* n * dim */
    int n, dim;
    const RngKey *key;      /* the caller's key: row first_sample + r is sample r */
} SamplerWork;

/* Fresh noise comes from the caller's key with its stream moved to a site
   (rng_stream's high bits) and a step of its own, so each use of noise in a
   sample's path has its own numbers. Site 0 is the caller's stream itself:
   the main loop's churn, as before Restart existed. */
enum { NOISE_SITE_CHURN = 0, NOISE_SITE_RESTART = 1, NOISE_SITE_RESTART_CHURN = 2 };

/* x += scale * N(0, I), drawn from (site, step) of the caller's key. */
void sampler_add_noise(const SamplerWork *w, double *x, double scale, uint32_t site, uint32_t step);

/* One step of EDM Algorithm 2 from t_cur to t_next: churn gamma > 0 first
   raises t_cur to t_cur (1 + gamma) with noise from (site, step); then an
   Euler step, and the trapezoidal correction when second_order and
   t_next > 0 (the slope at t = 0 is undefined). x is updated in place. */
void sampler_step(SamplerWork *w, double *x, double t_cur, double t_next, double gamma, double s_noise, uint32_t site,
                  uint32_t step, bool second_order);

/* Which main-grid index each restart interval returns to (SPEC 1.6), and
   the running counts that give each jump and each segment step its own
   noise step: they follow the order the sampler runs them, the same for
   every sample and batch. */
typedef struct {
    int at[SAMPLER_MAX_RESTARTS];
    int count;              /* intervals in use: 0 unless method is Restart */
    uint32_t repetitions;   /* jumps made so far */
    uint32_t segment_steps; /* segment steps made so far */
} RestartPlan;

/* Resolves and checks cfg's intervals against the main grid t[0..N]. */
RestartPlan restart_plan(const SamplerConfig *cfg, const double *t);
/* Runs the repetitions of the interval that returns to t[i], if any. */
void restart_at(SamplerWork *w, const SamplerConfig *cfg, RestartPlan *plan, const double *t, int i, double *x);

#endif
