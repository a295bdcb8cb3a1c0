/* disco fid: the feature statistics of a set of images and their Fréchet
   distance to a reference (FID with Inception, FD with the Fashion-MNIST
   classifier; docs/fid.md), on any number of MPI ranks. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "fid_run.h"

typedef struct {
    FidOptions fid;
    const char *input, *ref, *save;
} FidArgs;

static bool parse_batch(const char *text, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > 1 << 16) return false;
    *out = (int)v;
    return true;
}

/* Options come in pairs; the one argument that is not an option is the input. */
static bool parse_option(FidArgs *a, const char *name, const char *value) {
    if (strcmp(name, "--features") == 0) a->fid.network = value;
    else if (strcmp(name, "--weights") == 0) a->fid.weights = value;
    else if (strcmp(name, "--ref") == 0) a->ref = value;
    else if (strcmp(name, "--save-stats") == 0) a->save = value;
    else if (strcmp(name, "--batch") == 0) return parse_batch(value, &a->fid.batch);
    else return false;
    return true;
}

static bool parse_args(int argc, char **argv, FidArgs *a) {
    *a = (FidArgs){0};
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-' && !a->input) {
            a->input = argv[i];
        } else if (i + 1 >= argc || !parse_option(a, argv[i], argv[i + 1])) {
            fprintf(stderr, "disco fid: bad argument '%s' (see 'disco fid --help')\n", argv[i]);
            return false;
        } else {
            i++;
        }
    }
    if (!a->input || !a->fid.network || !a->fid.weights || !(a->ref || a->save)) {
        fprintf(stderr, "disco fid: needs INPUT, --features, --weights, and --ref or --save-stats (see 'disco fid "
                        "--help')\n");
        return false;
    }
    return true;
}

/* On rank 0. */
static void report(const FidArgs *a, const FrechetStats *stats, const FrechetStats *ref) {
    printf("fid: %lld images from %s, %d %s features\n", (long long)stats->count, a->input, stats->dim,
           stats->network);
    if (a->save) {
        fid_stats_save(a->save, stats);
        printf("fid: wrote %s\n", a->save);
    }
    if (!ref) return;
    double distance = fid_distance(stats, ref, a->ref);
    printf("fid: %s %.8g against %s\n", strcmp(a->fid.network, "inception") == 0 ? "FID" : "FD", distance, a->ref);
}

int command_fid(int argc, char **argv) {
    dist_init(&argc, &argv);
    FidArgs a;
    if (!parse_args(argc, argv, &a)) {
        dist_finalize();
        return 2;
    }
    /* First, so that a bad file name or reference fails before hours of features. */
    if (a.save) fid_stats_check_name(a.save);
    FrechetStats ref = {0};
    if (a.ref && dist_rank() == 0) ref = fid_stats_load(a.ref);
    FrechetStats stats = fid_stats_of_path(a.input, &a.fid);
    if (dist_rank() == 0) report(&a, &stats, a.ref ? &ref : NULL);
    frechet_stats_free(&stats);
    frechet_stats_free(&ref);
    dist_finalize();
    return 0;
}
