/* Stage 1 of the 2D toy: encoder and denoiser trained end to end with the
 * EDM loss (or the denoiser alone for the baseline), on the CPU. */
#ifndef DISCO_TOY_TRAIN_H
#define DISCO_TOY_TRAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "disco/toy_model.h"
#include "disco/train.h"
#include "disco/trainer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int steps, batch;
    double lr;
    uint64_t lr_rampup_samples;
    double ema_half_life_samples, ema_rampup_ratio;
    double p_mean, p_std;
    float gumbel_tau;
    bool gumbel_hard;
    double latent_dropout;
    uint64_t seed;
} ToyTrainConfig;

typedef struct {
    Graph *graph; /* the training graph, holding the last weights */
    ToyNet net;
    Ema *ema;     /* the EMA weights, laid out like the graph's parameters */
    double final_loss; /* mean loss over the last 10% of the steps this process ran */
    double seconds;
    uint64_t step;  /* steps done, counting those before a resume */
    bool preempted; /* stopped early by a signal, after saving a checkpoint */
} ToyTrained;

/* Trains on data [n, 2]. Batch rows, sigma, noise and dropout of global
   sample s come from Philox rows s, so the run is the same at any thread
   count, and over any number of ranks up to float rounding. Rank r takes
   the samples [r * B / W, (r + 1) * B / W) of each global batch. Writes one
   JSON line per log interval to metrics if not NULL (give it on rank 0
   only). run may be NULL. */
ToyTrained toy_train(const ToyModelConfig *model, const ToyTrainConfig *train, const TrainRun *run,
                     const float *data, int n, FILE *metrics);
void toy_trained_free(ToyTrained *t);

#ifdef __cplusplus
}
#endif

#endif
