/* disco pipeline's record of finished stages, and its report; see pipeline_record.h. */
#include "pipeline_record.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "disco/config.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "run_config.h"

static const ConfigField record_schema[] = {
    {"train.seconds", CONFIG_FLOAT, "-1", "wall time of disco train (-1: not finished)"},
    {"train.steps", CONFIG_FLOAT, "0", "steps trained"},
    {"train.loss", CONFIG_FLOAT, "0", "final training loss per element"},
    {"train.loss_at_sigma_max", CONFIG_FLOAT, "0", "the EMA weights' loss at eval.sigma_max (nan: not evaluated)"},
    {"encode.seconds", CONFIG_FLOAT, "-1", "wall time of disco encode"},
    {"prior.seconds", CONFIG_FLOAT, "-1", "wall time of disco prior"},
    {"sample.seconds", CONFIG_FLOAT, "-1", "wall time of disco sample"},
    {"fd.seconds", CONFIG_FLOAT, "-1", "wall time of the FD"},
    {"fd.value", CONFIG_FLOAT, "0", "Frechet distance of the samples to the reference"},
    {"fd.images", CONFIG_FLOAT, "0", "images it was computed on"},
};
#define RECORD_FIELDS ((int)(sizeof record_schema / sizeof record_schema[0]))

PipelineRecord pipeline_record_load(const char *dir) {
    char path[1024];
    run_path(path, sizeof path, dir, "pipeline.yaml");
    Config *c = config_load(access(path, F_OK) == 0 ? path : NULL, record_schema, RECORD_FIELDS);
    PipelineRecord r = {
        .train_seconds = config_float(c, "train.seconds"), .train_steps = config_float(c, "train.steps"),
        .train_loss = config_float(c, "train.loss"), .loss_at_sigma_max = config_float(c, "train.loss_at_sigma_max"),
        .encode_seconds = config_float(c, "encode.seconds"), .prior_seconds = config_float(c, "prior.seconds"),
        .sample_seconds = config_float(c, "sample.seconds"), .fd_seconds = config_float(c, "fd.seconds"),
        .fd = config_float(c, "fd.value"), .fd_images = config_float(c, "fd.images")};
    config_free(c);
    return r;
}

static void set(Config *c, const char *key, double value) {
    char assignment[256];
    snprintf(assignment, sizeof assignment, "%s=%.17g", key, value);
    config_set(c, assignment);
}

void pipeline_record_save(const char *dir, const PipelineRecord *r) {
    if (dist_rank() != 0) return;
    Config *c = config_load(NULL, record_schema, RECORD_FIELDS);
    set(c, "train.seconds", r->train_seconds), set(c, "train.steps", r->train_steps);
    set(c, "train.loss", r->train_loss), set(c, "train.loss_at_sigma_max", r->loss_at_sigma_max);
    set(c, "encode.seconds", r->encode_seconds), set(c, "prior.seconds", r->prior_seconds);
    set(c, "sample.seconds", r->sample_seconds), set(c, "fd.seconds", r->fd_seconds);
    set(c, "fd.value", r->fd), set(c, "fd.images", r->fd_images);
    char path[1024];
    run_path(path, sizeof path, dir, "pipeline.yaml");
    config_write(c, path);
    config_free(c);
}

/* A stage's time, or a dash for one the model has not (no latents: no encoder or prior). */
static void seconds_cell(FILE *f, double seconds) {
    if (seconds < 0)
        fprintf(f, " | –");
    else
        fprintf(f, " | %.0f s", seconds);
}

static void write_table(FILE *f, const PipelineRow *rows, int count, const char *network, double sigma_max) {
    fprintf(f, "| model | steps | train loss | loss at σ %g | FD (%s) | images | train | encode | prior | sample | "
               "FD time |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            sigma_max, network);
    for (int i = 0; i < count; i++) {
        const PipelineRecord *r = &rows[i].record;
        fprintf(f, "| %s | %.0f | %.4f | %.4f | %.3f | %.0f", rows[i].name, r->train_steps, r->train_loss,
                r->loss_at_sigma_max, r->fd, r->fd_images);
        seconds_cell(f, r->train_seconds), seconds_cell(f, r->encode_seconds), seconds_cell(f, r->prior_seconds);
        seconds_cell(f, r->sample_seconds), seconds_cell(f, r->fd_seconds);
        fprintf(f, " |\n");
    }
}

void pipeline_report(const char *run_dir, const PipelineRow *rows, int count, const char *network, double sigma_max,
                     double seconds) {
    char path[1024], tmp[1040];
    run_path(path, sizeof path, run_dir, "report.md");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    DISCO_CHECK(f, "cannot write '%s': %s", tmp, strerror(errno));
    fprintf(f, "# disco pipeline: %s\n\n", run_dir);
    write_table(f, rows, count, network, sigma_max);
    fprintf(f, "\nStage times are those of the run that finished each stage; this run took %.0f s.\n\n", seconds);
    for (int i = 0; i < count; i++) fprintf(f, "%s: ![%s samples](%s/samples/grid.png)\n\n", rows[i].name, rows[i].name,
                                            rows[i].name);
    DISCO_CHECK(!ferror(f) && fclose(f) == 0 && rename(tmp, path) == 0, "cannot write '%s': %s", path,
                strerror(errno));
    printf("\npipeline: done in %.0f s\n\n", seconds);
    write_table(stdout, rows, count, network, sigma_max);
    for (int i = 0; i < count; i++)
        printf("%s %s: FD %.3f; samples in %s/samples (grid.png, samples.npz)\n", network, rows[i].name,
               rows[i].record.fd, rows[i].dir);
    printf("report: %s\n", path);
}
