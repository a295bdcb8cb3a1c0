/* What every experiment command shares: --config FILE, --run DIR and
   --set key=value on the command line, the run directory, and which kind of
   experiment a config file describes. */
#ifndef DISCO_RUN_CONFIG_H
#define DISCO_RUN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "disco/comm.h"
#include "disco/config.h"
#include "disco/files.h"

/* Parses --config FILE, --run DIR and --set key=value (any number), loads the
   configuration against the schema, creates DIR and writes DIR/config.yaml.
   Returns NULL with *exit_code 2 (after a message) for an unknown option,
   and NULL with *exit_code 0 after printing the schema for --fields. */
Config *run_config_from_args(int argc, char **argv, const char *command, const ConfigField *schema, int n_fields,
                             const char **run_dir, int *exit_code);
/* Whether the --config file among the arguments says `kind: image`. */
bool run_config_is_image(int argc, char **argv);
/* A training stage's files in its run directory: DIR/checkpoints (created)
   and, on the rank that writes (rank 0, or the only process when comm is
   NULL), DIR/metrics.jsonl, continued when the run resumes from a checkpoint
   and started afresh otherwise. */
typedef struct {
    char checkpoints[1024];
    FILE *metrics; /* NULL on the other ranks */
} RunFiles;
RunFiles run_files_open(const char *dir, Comm *comm);
void run_files_close(RunFiles *f);

/* DIR/NAME into path. */
void run_path(char *path, size_t size, const char *dir, const char *name);

#endif
