/* The optimizer step every trainer shares, on one process or many.
 *
 * Each rank holds the same graph, built for its local batch of
 * global_batch / world samples. A step is: the caller feeds its samples and
 * runs the forward; trainer_backward seeds the backward with 1/global_batch
 * (so the sum over ranks is the gradient of the mean loss over the global
 * batch, as one process computes it) while the gradient reducer all-reduces
 * finished buckets during the backward; trainer_step applies Adam and the
 * EMA, identical on every rank because the gradients are, and advances
 * step, images seen and the data cursor.
 *
 * Checkpoints (checkpoint.h) hold the whole state: parameters, EMA, Adam's
 * moments and step, the progress counters and the seed. Random draws are
 * keyed by (seed, step, sample), never by a generator's history, so a run
 * resumed from a checkpoint continues bit for bit (at the same world size).
 * trainer_create resumes from the newest sound checkpoint in
 * checkpoint_dir, otherwise it broadcasts rank 0's initial parameters.
 *
 * Rank 0 writes the checkpoints; every rank reads the same file at resume
 * (its path is broadcast) and the ranks check that they agree on the step.
 * No collective sits in a rank-0-only branch. */
#ifndef DISCO_TRAINER_H
#define DISCO_TRAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disco/adam.h"
#include "disco/checkpoint.h"
#include "disco/comm.h"
#include "disco/grad_reducer.h"
#include "disco/graph.h"
#include "disco/train.h"
#include "disco/zero1.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int global_batch;
    uint64_t seed;
    double ema_half_life_samples, ema_rampup_ratio;
    Comm *comm;                 /* NULL: this process alone, whatever the MPI world */
    size_t bucket_bytes;        /* gradient all-reduce buckets (0: one) */
    bool zero1;                 /* Adam's moments split over the ranks (zero1.h) instead of the all-reduce */
    const char *checkpoint_dir; /* NULL: no checkpoints, no resume */
    int checkpoint_every;       /* steps between checkpoints (0: only when asked) */
    int keep_checkpoints;       /* newest kept (0: all) */
    const char *config_yaml;    /* stored in each checkpoint; may be NULL */
} TrainerConfig;

/* Where and how a model's training runs: alone or over the ranks of comm,
   with or without checkpoints. The model's own trainer turns it into a
   TrainerConfig. */
typedef struct {
    Comm *comm;                 /* NULL: this process alone */
    size_t bucket_bytes;
    bool zero1;                 /* Adam's moments split over the ranks */
    const char *checkpoint_dir; /* NULL: no checkpoints and no resume */
    int checkpoint_every, keep_checkpoints;
    const char *config_yaml;
} TrainRun;

typedef struct {
    Graph *graph;
    TrainerConfig config;
    int world, rank, local_batch;
    Adam *adam;           /* full Adam; NULL with ZeRO-1 */
    Zero1 *zero1;         /* NULL unless config.zero1 on several ranks */
    Ema *ema;
    GradReducer *reducer; /* NULL for a world of one, and with ZeRO-1 */
    TrainProgress progress;
    bool resumed; /* the state came from a checkpoint */
    uint64_t saved_step; /* step of the newest checkpoint written or loaded; UINT64_MAX before any */
} Trainer;

/* The trainer's configuration for a run (run may be NULL: alone, no checkpoints). */
TrainerConfig trainer_config(const TrainRun *run, int global_batch, uint64_t seed, double ema_half_life_samples,
                             double ema_rampup_ratio);
/* The ranks a run trains on: 1 without a comm. */
int trainer_world(const TrainRun *run);

/* g must be compiled for local_batch = global_batch / world samples. */
Trainer *trainer_create(Graph *g, const TrainerConfig *config);
void trainer_destroy(Trainer *t);

/* The global index of this rank's first sample in the current step: ranks
   take consecutive blocks of the global batch. */
uint64_t trainer_first_sample(const Trainer *t);
/* Zeroes the gradients, runs the backward and reduces the gradients over ranks. */
void trainer_backward(Trainer *t);
/* Adam at learning rate lr, the EMA, the counters; then a checkpoint when
   one is due. */
void trainer_step(Trainer *t, double lr);
/* Collective: true on every rank once any rank has been signalled (preempt.h). */
bool trainer_preempted(const Trainer *t);
/* Collective: rank 0 writes a checkpoint of the current state, the others
   wait for it. */
void trainer_save(Trainer *t);
/* Collective: at the end of a training, saves the current state unless it
   is already the newest checkpoint (or there is no checkpoint directory),
   so a rerun finds the training complete. */
void trainer_save_final(Trainer *t);
/* The mean over the global batch of a per-sample quantity whose sum over
   this rank's samples is local_sum (collective). */
double trainer_global_mean(const Trainer *t, double local_sum);

#ifdef __cplusplus
}
#endif

#endif
