/* Stage 1 on images: the EDM loss over a data set of shards (dataset.h),
 * with the encoder's latents (or without, for the baseline), on one process
 * or many (trainer.h).
 *
 * The reader gives rank r positions c + r, c + r + W, ... of each global
 * batch (sharding.h); every per-sample draw (sigma, the noise image, latent
 * dropout, and the graph's Gumbel noise and dropout) is keyed by that
 * position, so a sample is treated the same in a world of any size. The
 * data cursor lives in the checkpoint, so a resumed run reads on where the
 * saved one stopped. */
#ifndef DISCO_IMAGE_TRAIN_H
#define DISCO_IMAGE_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "disco/image_model.h"
#include "disco/trainer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int steps, batch;
    double lr;
    uint64_t lr_rampup_samples;
    double ema_half_life_samples, ema_rampup_ratio;
    double p_mean, p_std;  /* ln sigma ~ N(p_mean, p_std^2) */
    double latent_dropout; /* probability of the null latents */
    bool hflip;
    int reader_workers;
    uint64_t seed;
    /* A checkpoint to start from (NULL or "": the initialisation): every
       parameter it holds is loaded by name, the rest keep their initial
       values (checkpoint_load_subset), e.g. EDM's U-Net converted by
       `disco weights import-edm`; its EMA weights when init_from_ema. A
       resumed run ignores it. */
    const char *init_weights;
    bool init_from_ema;
} ImageTrainConfig;

typedef struct {
    Graph *graph;
    ImageNetwork net;
    Ema *ema;          /* laid out like the graph's parameters */
    double final_loss; /* mean loss per element over the last 10% of the steps this process ran */
    double seconds;
    uint64_t step;
    bool preempted;
} ImageTrained;

/* metrics (rank 0 only, may be NULL) gets one JSON line per log interval:
   step, images, and the loss per element (as EDM logs it), overall and in
   five bands of sigma. */
ImageTrained image_train(const ImageModelConfig *model, const ImageTrainConfig *train, const TrainRun *run,
                         const char *data_path, FILE *metrics);
void image_trained_free(ImageTrained *t);

/* EDM's weighted loss per element (as EDM logs it) at each of `count` fixed
   noise levels, over the first batches of the data set at data_path in the
   order `seed` gives (images rounded down to whole global batches), every
   image at every level with the same noise; latents from the encoder, none
   dropped. Uses g's current parameters; collective over the MPI world when
   it has several ranks, each rank running its slice of every batch. */
void image_loss_by_sigma(Graph *g, const ImageNetwork *net, const ImageModelConfig *mc, const char *data_path,
                         int images, const double *sigmas, int count, uint64_t seed, double *loss);

#ifdef __cplusplus
}
#endif

#endif
