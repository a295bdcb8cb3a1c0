/* The pieces of `disco toy`: one model's whole pipeline (train, encode,
   prior, sample, score) and the pictures. */
#ifndef DISCO_TOY_RUN_H
#define DISCO_TOY_RUN_H

#include <stdint.h>

#include "disco/config.h"
#include "disco/edm.h"
#include "disco/toy.h"
#include "disco/toy_train.h"

typedef struct {
    const char *name;
    ToyModelConfig model;
    ToyTrainConfig train;
    SamplerConfig sampler;
    int samples;
    double guidance;
    uint64_t sample_seed;
} ToyRunSpec;

typedef struct {
    ToyScores scores;
    double curvature;      /* median over samples at each grid time, averaged over the grid */
    double latent_entropy; /* bits, of the encoder's latents over the training set */
    int latents_used;
    double train_loss, train_seconds, total_seconds;
    float *samples;        /* [samples, 2] */
    int32_t *sample_latents; /* [samples, m], NULL for the baseline */
    float *trajectories;   /* [steps + 1][TOY_TRAJECTORIES][2] */
} ToyRunResult;

#define TOY_TRAJECTORIES 64
#define TOY_CURVATURE_SAMPLES 256

ToyRunResult toy_run(const ToyRunSpec *spec, const float *data, const float *reference, int n, FILE *metrics);
void toy_run_free(ToyRunResult *r);

/* Left: samples coloured by latent (or grey); right: trajectories. */
void toy_draw(const char *path, const ToyRunResult *baseline, const ToyRunResult *disco, int n, int steps,
              int codebook);

#endif
