/* An image experiment's stages in one run directory. Today: stage 1,
     train   checkpoints/checkpoint-*.h5 (resumable), checkpoints/stage1.h5
             (weights and EMA at the end), metrics.jsonl (loss by sigma). */
#ifndef DISCO_IMAGE_RUN_H
#define DISCO_IMAGE_RUN_H

#include <stdbool.h>

#include "disco/comm.h"
#include "image_config.h"

typedef struct {
    double final_loss, seconds;
    uint64_t steps;
    bool finished; /* false: a signal stopped it after a checkpoint */
} ImageStageResult;

/* Over the ranks of comm (NULL: this process alone); resumes from DIR/checkpoints. */
ImageStageResult image_stage_train(const ImageRunSpec *spec, const char *dir, const char *config_yaml, Comm *comm);

#endif
