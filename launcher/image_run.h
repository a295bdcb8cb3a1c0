/* An image experiment's stages in one run directory:
     train   checkpoints/checkpoint-*.h5 (resumable), checkpoints/stage1.h5
             (weights and EMA at the end), metrics.jsonl (loss by sigma),
             loss_by_sigma.json
     encode  latents.h5: the training set's latents at tau 0.01, with labels
     prior   checkpoints/prior.h5
     sample  samples/: PNGs in seed folders, a grid, the ADM evaluator's npz */
#ifndef DISCO_IMAGE_RUN_H
#define DISCO_IMAGE_RUN_H

#include <stdbool.h>

#include "disco/comm.h"
#include "image_config.h"

typedef struct {
    double final_loss, seconds;
    double loss_at_sigma_max; /* of the evaluation after training (NAN: none) */
    uint64_t steps;
    bool finished; /* false: a signal stopped it after a checkpoint */
} ImageStageResult;

/* Over the ranks of comm (NULL: this process alone); resumes from DIR/checkpoints. */
ImageStageResult image_stage_train(const ImageRunSpec *spec, const char *dir, const char *config_yaml, Comm *comm);
void image_stage_encode(const ImageRunSpec *spec, const char *dir, Comm *comm);
/* Stage 1's encoder alone for `batch` images, with its EMA weights (what EDM
   samples with) and the Gumbel noise of disco encode (tau 0.01, keyed by
   train.seed and the image's index through graph_set_step): what encode and
   the oracle latents of disco sample share. */
Graph *image_encoder_load(const ImageRunSpec *spec, const char *dir, int batch, VitEncoder *encoder);
void image_stage_prior(const ImageRunSpec *spec, const char *dir, Comm *comm);
void image_stage_sample(const ImageRunSpec *spec, const char *dir, Comm *comm);
/* Where disco sample writes: sample.out, or DIR/samples. */
void image_samples_dir(const ImageRunSpec *spec, const char *dir, char *out_dir, size_t size);

#endif
