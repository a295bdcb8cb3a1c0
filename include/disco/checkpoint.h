/* Checkpoints as self-describing HDF5 files: every parameter under its
 * PyTorch-style name, in the logical shape the graph gives it, plus the EMA
 * copy, the step and the effective configuration. Written to a temporary
 * name, flushed and renamed, so a crash never leaves a half-written file
 * under the real name. Every dataset carries a CRC-32 of its bytes, and
 * the root one of everything else a load reads (docs/formats.md).
 *
 * A training checkpoint adds Adam's moments and where the run stands (step,
 * images seen, data cursor, seed), so a resumed run continues bit for bit. */
#ifndef DISCO_CHECKPOINT_H
#define DISCO_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t step;
    uint64_t images_seen;
    const char *config_yaml; /* may be NULL */
} CheckpointInfo;

/* Saves g's parameters (/params/<name>) and, if ema is not NULL, a flat
   host buffer laid out like g's parameters (/ema/<name>). */
void checkpoint_save(const char *path, Graph *g, const float *ema, const CheckpointInfo *info);
/* Loads by name into g (and ema if not NULL). A missing parameter, a shape
   or a checksum mismatch is fatal and names the parameter and the file.
   Returns the step; use_ema loads the EMA weights into g's parameters
   instead. */
uint64_t checkpoint_load(const char *path, Graph *g, float *ema, int use_ema);
/* The other way round: every parameter the file holds, by name, into g,
   which may have more (a DisCo-Diff model started from a baseline's U-Net:
   its encoder and cross-attention keep their initialisation). A tensor of
   the file that g lacks, or holds in another shape, is fatal, naming them
   all, before anything is loaded; checksums are checked as by
   checkpoint_load. use_ema loads the file's EMA weights (as EDM's --transfer
   does). Returns how many parameters were loaded. */
int checkpoint_load_subset(const char *path, Graph *g, bool use_ema);

/* ---- the whole training state, for exact resume ---- */

/* Where a run stands. */
typedef struct {
    uint64_t step;        /* optimizer steps taken */
    uint64_t images_seen; /* images consumed globally */
    uint64_t data_cursor; /* the data order's cursor (sharding.h) */
    uint64_t seed;        /* the run's seed: every random draw is keyed by it */
    uint64_t adam_step;   /* Adam's bias-correction count */
    int world_size;       /* ranks at save time (a resume may use another) */
    char *config_yaml;    /* save: may be NULL; load: malloc'd or NULL, the caller frees it */
} TrainProgress;

/* Flat host buffers laid out like the graph's parameters (NULL: absent). */
typedef struct {
    float *ema, *adam_m, *adam_v;
} TrainBuffers;

/* The parameters, the buffers that are not NULL and the progress
   (docs/formats.md, "Checkpoints"). */
void checkpoint_save_training(const char *path, Graph *g, const TrainBuffers *buffers, const TrainProgress *progress);
/* Everything a resume needs (buffers that are NULL are not read), checksums
   verified; fatal, naming the file and the dataset, on any problem. */
void checkpoint_load_training(const char *path, Graph *g, TrainBuffers *buffers, TrainProgress *progress);
/* Whether the file is a complete checkpoint whose every dataset matches its
   checksum; never fatal, never crashes (damaged files are examined in a
   child process, which has 20 s plus 1 s per 10 MB before it counts as
   hung); why (may be NULL) receives the reason when false. Call it while no
   other thread is inside HDF5 (before the data reader starts): the child
   inherits HDF5's lock as fork finds it. */
bool checkpoint_is_sound(const char *path, char *why, size_t why_size);

/* A run's checkpoint directory holds checkpoint-<step as 12 digits>.h5. */
void checkpoint_path_for_step(const char *dir, uint64_t step, char *path, size_t size);
/* Saves progress->step's checkpoint in dir (created if missing), then
   removes the oldest beyond the newest `keep` (0 keeps all) of those up to
   that step, and temporaries a crash left. Checkpoints of later steps, left
   by a run that resumed from an earlier one, are not touched. */
void checkpoint_save_in(const char *dir, int keep, Graph *g, const TrainBuffers *buffers,
                        const TrainProgress *progress);
/* The newest sound checkpoint in dir into path; each newer one that is not
   sound is reported (a warning with its name and why) and passed over.
   False when dir holds none or does not exist. */
bool checkpoint_find_latest(const char *dir, char *path, size_t size);

#ifdef __cplusplus
}
#endif

#endif
