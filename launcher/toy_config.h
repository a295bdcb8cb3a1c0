/* The toy experiment's configuration: its schema, how the run's settings
   come out of it, and the common options of the commands that use it. */
#ifndef DISCO_TOY_CONFIG_H
#define DISCO_TOY_CONFIG_H

#include <stdbool.h>

#include "disco/config.h"
#include "run_config.h"
#include "toy_run.h"

/* run_config_from_args (run_config.h) with the toy schema. */
Config *toy_config_from_args(int argc, char **argv, const char *command, const char **run_dir, int *exit_code);
/* The settings of one model: DisCo-Diff with model.latents, or the baseline
   (no latents) when `baseline`. */
ToyRunSpec toy_spec(const Config *c, bool baseline);
/* The training points ([data.points, 2], 1000 per mode at the default)
   drawn with data.seed plus `offset` (0 training, 1 reference, 2 floor). */
float *toy_points(const Config *c, int offset);

#endif
