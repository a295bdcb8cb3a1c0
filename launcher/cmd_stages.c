/* disco train / encode / prior / sample: the stages of the pipeline, each on
   its own, reading and writing one run directory. The 2D toy config
   (configs/toy2d.yaml, the default; model.latents=0 for the baseline) runs
   every stage on one process, and train on any number of ranks; an image
   config (kind: image, e.g. configs/fmnist.yaml; model.latents=false for the
   baseline) runs every stage on any number of ranks. train checkpoints,
   resumes, and exits with PREEMPT_EXIT_REQUEUE after a SIGUSR1 or SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "disco/comm.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/preempt.h"
#include "fid_run.h"
#include "image_run.h"
#include "toy_config.h"

typedef enum { STAGE_TRAIN, STAGE_ENCODE, STAGE_PRIOR, STAGE_SAMPLE } Stage;

/* The FD of what disco sample wrote, when fid.reference names statistics. */
static void samples_fd(const Config *c, const ImageRunSpec *spec, const char *dir) {
    const char *ref_path = config_string(c, "fid.reference");
    FidOptions fid = {.network = config_string(c, "fid.network"), .weights = config_string(c, "fid.weights")};
    DISCO_CHECK(*fid.weights, "fid.weights: the FD of the samples needs the %s network's weights", fid.network);
    FrechetStats ref = fid_stats_load(ref_path);
    char samples[1024], path[1024];
    image_samples_dir(spec, dir, samples, sizeof samples);
    run_path(path, sizeof path, samples, "samples.npz");
    int64_t images;
    double distance = fid_distance_of_path(path, &fid, &ref, ref_path, &images);
    if (dist_rank() == 0)
        printf("sample: %s %.4f of %lld images against %s\n", strcmp(fid.network, "inception") == 0 ? "FID" : "FD",
               distance, (long long)images, ref_path);
    frechet_stats_free(&ref);
}

/* An image config's stage over the ranks of one host communicator. */
static int run_image_stage(int argc, char **argv, const char *command, Stage stage) {
    const char *dir = "runs/fmnist";
    int exit_code = 0;
    Config *c = image_config_from_args(argc, argv, command, &dir, &exit_code);
    if (!c) return exit_code;
    ImageRunSpec spec = image_spec(c);
    Comm *comm = comm_create_host();
    switch (stage) {
    case STAGE_TRAIN: {
        char path[1024];
        run_path(path, sizeof path, dir, "config.yaml");
        char *yaml = read_text_file(path);
        ImageStageResult r = image_stage_train(&spec, dir, yaml, comm);
        free(yaml);
        if (!r.finished) {
            if (dist_rank() == 0) printf("train: stopped by a signal after a checkpoint; rerun to resume\n");
            exit_code = PREEMPT_EXIT_REQUEUE;
        } else if (dist_rank() == 0) {
            printf("train: %llu steps in %.1f s, final loss %.4f; wrote %s/checkpoints/stage1.h5\n",
                   (unsigned long long)r.steps, r.seconds, r.final_loss, dir);
        }
        break;
    }
    case STAGE_ENCODE: image_stage_encode(&spec, dir, comm); break;
    case STAGE_PRIOR: image_stage_prior(&spec, dir, comm); break;
    case STAGE_SAMPLE:
        image_stage_sample(&spec, dir, comm);
        if (*config_string(c, "fid.reference")) samples_fd(c, &spec, dir);
        break;
    }
    comm_destroy(comm);
    config_free(c);
    return exit_code;
}

static int run_stage(int argc, char **argv, const char *command, Stage stage) {
    const char *dir = "runs/toy2d";
    int exit_code = 0;
    /* First, so that a signal during start-up is not fatal either. */
    if (stage == STAGE_TRAIN) preempt_install();
    dist_init(&argc, &argv);
    if (run_config_is_image(argc, argv)) {
        exit_code = run_image_stage(argc, argv, command, stage);
        dist_finalize();
        return exit_code;
    }
    DISCO_CHECK(stage == STAGE_TRAIN || dist_world() == 1,
                "disco %s on the toy runs on one process; only its train takes ranks", command);
    Config *c = toy_config_from_args(argc, argv, command, &dir, &exit_code);
    if (!c) {
        dist_finalize();
        return exit_code;
    }
    ToyRunSpec spec = toy_spec(c, false);
    ToyRunResult r = {0};
    float *data = toy_points(c, 0);
    char path[1024];
    switch (stage) {
    case STAGE_TRAIN: {
        snprintf(path, sizeof path, "%s/config.yaml", dir);
        char *yaml = read_text_file(path);
        Comm *comm = comm_create_host();
        bool finished = toy_stage_train(&spec, dir, data, yaml, comm, &r);
        comm_destroy(comm);
        free(yaml);
        if (!finished) {
            if (dist_rank() == 0) printf("train: stopped by a signal after a checkpoint; rerun to resume\n");
            exit_code = PREEMPT_EXIT_REQUEUE;
        } else if (dist_rank() == 0) {
            printf("train: %d steps in %.1f s, final loss %.4f; wrote %s/checkpoints/stage1.h5\n",
                   spec.train.steps, r.train_seconds, r.train_loss, dir);
        }
        break;
    }
    case STAGE_ENCODE:
        toy_stage_encode(&spec, dir, data, &r);
        if (spec.model.latents == 0)
            printf("encode: the model has no latents; nothing to do\n");
        else
            printf("encode: %d of %d latent values used (entropy %.2f bits); wrote %s/latents.h5\n",
                   r.latents_used, spec.model.codebook, r.latent_entropy, dir);
        break;
    case STAGE_PRIOR:
        toy_stage_prior(&spec, dir);
        printf(spec.model.latents ? "prior: wrote %s/checkpoints/prior.h5\n" : "prior: no latents; nothing to do\n",
               dir);
        break;
    case STAGE_SAMPLE: {
        toy_stage_sample(&spec, dir, &r);
        float *reference = toy_points(c, 1);
        ToyScores s = toy_score(&spec.mixture, r.samples, reference, spec.samples);
        printf("sample: %d points, W2 %.3f, W2 by mode %.3f, curvature %.3f, coverage %.2f; wrote %s/samples.h5\n",
               spec.samples, s.w2, s.w2_by_mode, r.curvature, s.coverage, dir);
        free(reference);
        break;
    }
    }
    toy_run_free(&r);
    free(data);
    config_free(c);
    dist_finalize();
    return exit_code;
}

int command_train(int argc, char **argv) { return run_stage(argc, argv, "train", STAGE_TRAIN); }
int command_encode(int argc, char **argv) { return run_stage(argc, argv, "encode", STAGE_ENCODE); }
int command_prior(int argc, char **argv) { return run_stage(argc, argv, "prior", STAGE_PRIOR); }
int command_sample(int argc, char **argv) { return run_stage(argc, argv, "sample", STAGE_SAMPLE); }
