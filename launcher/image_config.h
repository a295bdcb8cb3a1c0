/* Image experiments' configuration (configs/fmnist.yaml, kind: image): the
   schema, and the settings of a run that come out of it. */
#ifndef DISCO_IMAGE_CONFIG_H
#define DISCO_IMAGE_CONFIG_H

#include "disco/config.h"
#include "disco/image_train.h"
#include "disco/prior.h"

/* The loss at fixed noise levels after training (image_loss_by_sigma). */
typedef struct {
    const char *path;
    int images, levels; /* images 0: none */
    double sigma_min, sigma_max;
    uint64_t seed;
} ImageEvalSpec;

typedef struct {
    const char *data_path;
    ImageModelConfig model;
    PriorConfig prior; /* the preset's; m, k and classes agree with model */
    ImageTrainConfig train;
    int checkpoint_every, keep_checkpoints;
    size_t bucket_bytes;
    bool zero1;
    ImageEvalSpec eval;
} ImageRunSpec;

/* run_config_from_args (run_config.h) with the image schema. */
Config *image_config_from_args(int argc, char **argv, const char *command, const char **run_dir, int *exit_code);
/* The run's settings; the model takes the channels of the data set at data.path. */
ImageRunSpec image_spec(const Config *c);

#endif
