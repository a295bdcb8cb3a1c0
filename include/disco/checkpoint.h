/* Checkpoints as self-describing HDF5 files: every parameter under its
 * PyTorch-style name, in the logical shape the graph gives it, plus the EMA
 * copy, the step and the effective configuration. Written to a temporary
 * name, flushed and renamed, so a crash never leaves a half-written file
 * under the real name. (Optimizer state, data cursors and checksums arrive
 * with the distributed trainer.) */
#ifndef DISCO_CHECKPOINT_H
#define DISCO_CHECKPOINT_H

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
/* Loads by name into g (and ema if not NULL). A missing parameter or a shape
   mismatch is fatal and names the parameter and the file. Returns the step;
   use_ema loads the EMA weights into g's parameters instead. */
uint64_t checkpoint_load(const char *path, Graph *g, float *ema, int use_ema);

#ifdef __cplusplus
}
#endif

#endif
