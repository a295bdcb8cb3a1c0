/* Image experiments' configuration (configs/fmnist.yaml, kind: image): the
   schema, and the settings of a run that come out of it. */
#ifndef DISCO_IMAGE_CONFIG_H
#define DISCO_IMAGE_CONFIG_H

#include "disco/config.h"
#include "disco/edm.h"
#include "disco/image_train.h"
#include "disco/prior.h"

/* The loss at fixed noise levels after training (image_loss_by_sigma). */
typedef struct {
    const char *path;
    int images, levels; /* images 0: none */
    double sigma_min, sigma_max;
    uint64_t seed;
} ImageEvalSpec;

/* Stage 2: the AR prior's training on the encoded latents (disco prior). */
typedef struct {
    int steps, batch;
    double lr;
    uint64_t seed; /* initial weights, data order, dropout */
} ImagePriorSpec;

/* disco sample (image_sample.c). */
typedef struct {
    const char *seeds;   /* EDM's syntax: "0-63", "0,5,9-12" (seeds.h) */
    int label;           /* every image's class; -1: drawn per seed */
    double guidance;     /* D + guidance (D - D_null) (SPEC 1.5); 0: the plain conditional model */
    float temperature;   /* of the prior's draws */
    bool oracle;         /* latents (tau 0.01) and label of image `seed` of oracle_path, not the prior's */
    const char *oracle_path;
    SamplerConfig sampler;
    int batch;           /* images per forward on each rank */
    int grid;            /* grid.png holds the first grid x grid images; 0: none */
    const char *out_dir; /* "": RUN/samples */
} ImageSampleSpec;

typedef struct {
    const char *data_path;
    ImageModelConfig model;
    PriorConfig prior; /* the preset's; m, k and classes agree with model */
    ImagePriorSpec prior_training;
    ImageTrainConfig train;
    int checkpoint_every, keep_checkpoints;
    size_t bucket_bytes;
    bool zero1;
    ImageEvalSpec eval;
    ImageSampleSpec sample;
} ImageRunSpec;

/* run_config_from_args (run_config.h) with the image schema. */
Config *image_config_from_args(int argc, char **argv, const char *command, const char **run_dir, int *exit_code);
/* The run's settings; the model takes the channels of the data set at data.path. */
ImageRunSpec image_spec(const Config *c);
/* The sample.* fields, checked against the model; image_spec calls it. */
ImageSampleSpec image_sample_spec(const Config *c, const ImageModelConfig *model);

#endif
