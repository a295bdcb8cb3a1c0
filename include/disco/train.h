/* Pieces every training loop shares: the EMA of the weights and the
 * learning-rate ramp-up, both counted in samples as EDM counts them, so
 * that they mean the same at any batch size or world size. */
#ifndef DISCO_TRAIN_H
#define DISCO_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t n;
    float *weights;           /* the average, laid out like the parameters */
    double half_life_samples; /* H: the average halves its memory every H samples */
    double rampup_ratio;      /* > 0: H_eff = min(H, ratio * samples_seen) early in training */
} Ema;

/* Starts the average at the current parameters. */
Ema *ema_create(const float *params, size_t n, double half_life_samples, double rampup_ratio);
void ema_destroy(Ema *e);
/* After a step of `batch` samples that brought the total to samples_seen:
   w <- beta w + (1 - beta) params with beta = 0.5^(batch / H_eff). */
void ema_update(Ema *e, const float *params, uint64_t batch, uint64_t samples_seen);
double ema_beta(const Ema *e, uint64_t batch, uint64_t samples_seen);

/* EDM's schedule: linear ramp from 0 over rampup_samples, then constant. */
static inline double lr_at(double base_lr, uint64_t samples_seen, uint64_t rampup_samples) {
    if (rampup_samples == 0 || samples_seen >= rampup_samples) return base_lr;
    return base_lr * (double)samples_seen / (double)rampup_samples;
}

#ifdef __cplusplus
}
#endif

#endif
