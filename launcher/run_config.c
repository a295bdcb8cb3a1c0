#include "run_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disco/checkpoint.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/files.h"

void run_path(char *path, size_t size, const char *dir, const char *name) {
    DISCO_CHECK((size_t)snprintf(path, size, "%s/%s", dir, name) < size, "path too long: '%s/%s'", dir, name);
}

RunFiles run_files_open(const char *dir, Comm *comm) {
    RunFiles f = {.metrics = NULL};
    run_path(f.checkpoints, sizeof f.checkpoints, dir, "checkpoints");
    if (comm && dist_rank() != 0) return f;
    DISCO_CHECK(mkdir(f.checkpoints, 0755) == 0 || errno == EEXIST, "cannot create '%s': %s", f.checkpoints,
                strerror(errno));
    char path[1024];
    bool resuming = comm && checkpoint_find_latest(f.checkpoints, path, sizeof path);
    run_path(path, sizeof path, dir, "metrics.jsonl");
    f.metrics = fopen(path, resuming ? "a" : "w");
    DISCO_CHECK(f.metrics, "cannot write '%s': %s", path, strerror(errno));
    return f;
}

void run_files_close(RunFiles *f) {
    if (f->metrics) fclose(f->metrics);
    f->metrics = NULL;
}

static const char *config_argument(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--config") == 0) path = argv[++i];
    return path;
}

bool run_config_is_image(int argc, char **argv) {
    const char *path = config_argument(argc, argv);
    if (!path) return false;
    char *kind = config_peek_top_level(path, "kind");
    bool image = kind && strcmp(kind, "image") == 0;
    free(kind);
    return image;
}

Config *run_config_from_args(int argc, char **argv, const char *command, const ConfigField *schema, int n_fields,
                             const char **run_dir, int *exit_code) {
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--run") == 0 && i + 1 < argc) {
            *run_dir = argv[++i];
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            i++; /* applied once the file is loaded */
        } else if (strcmp(argv[i], "--fields") == 0) {
            config_print_schema(stdout, schema, n_fields);
            *exit_code = 0;
            return NULL;
        } else {
            fprintf(stderr, "disco %s: unknown option '%s' (see disco %s --help)\n", command, argv[i], command);
            *exit_code = 2;
            return NULL;
        }
    }
    Config *c = config_load(config_path, schema, n_fields);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--set") == 0) config_set(c, argv[++i]);
    /* Under mpirun every rank parses the same arguments; one writes. */
    if (dist_rank() == 0) {
        make_directories(*run_dir);
        char path[1024];
        run_path(path, sizeof path, *run_dir, "config.yaml");
        config_write(c, path);
    }
    dist_barrier();
    return c;
}
