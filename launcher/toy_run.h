/* The toy experiment's stages, each reading and writing files in one run
   directory, so that any stage can be rerun alone:
     train   checkpoints/stage1.h5 (weights and EMA), metrics.jsonl
     encode  latents.h5            (the training set's latents at tau 0.01)
     prior   checkpoints/prior.h5
     sample  samples.h5            (points and their latents)
   The baseline has no latents: encode and prior do nothing for it. */
#ifndef DISCO_TOY_RUN_H
#define DISCO_TOY_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "disco/edm.h"
#include "disco/toy.h"
#include "disco/toy_train.h"

typedef struct {
    const char *name;
    ToyMixture mixture;
    int points;
    ToyModelConfig model;
    ToyTrainConfig train;
    SamplerConfig sampler;
    int samples;
    double guidance;
    uint64_t sample_seed;
    int prior_steps;
    double prior_lr;
    bool stratified_latents; /* exact latent counts from the prior's probabilities (m = 1) */
    int checkpoint_every, keep_checkpoints; /* disco train's checkpoints */
    size_t bucket_bytes;
    bool zero1;
} ToyRunSpec;

#define TOY_TRAJECTORIES 64
#define TOY_CURVATURE_SAMPLES 256

typedef struct {
    double train_loss, train_seconds;
    double latent_entropy; /* bits, of the first latent over the training set */
    int latents_used;
    float *samples;          /* [samples, 2] */
    int32_t *sample_latents; /* [samples, m], NULL for the baseline */
    float *trajectories;     /* [steps + 1][TOY_TRAJECTORIES][2] */
    float *curvature_by_step; /* [steps]: median over samples at each step's end time */
    double curvature;         /* mean of those medians over the times above 0.1 */
    ToyScores scores;
    double seconds;
} ToyRunResult;

/* Over the ranks of comm (NULL: alone, without checkpoints); resumes from
   DIR/checkpoints. Returns false when a signal stopped it (after a checkpoint). */
bool toy_stage_train(const ToyRunSpec *spec, const char *dir, const float *data, const char *config_yaml, Comm *comm,
                     ToyRunResult *r);
void toy_stage_encode(const ToyRunSpec *spec, const char *dir, const float *data, ToyRunResult *r);
void toy_stage_prior(const ToyRunSpec *spec, const char *dir);
void toy_stage_sample(const ToyRunSpec *spec, const char *dir, ToyRunResult *r);
void toy_run_free(ToyRunResult *r);

/* Samples coloured by latent, then trajectories, for both models, in one PNG. */
void toy_draw(const char *path, const ToyRunResult *baseline, const ToyRunResult *disco, int n, int steps,
              int codebook);

#endif
