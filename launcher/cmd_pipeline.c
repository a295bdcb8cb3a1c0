/* disco pipeline: every stage of an image experiment from one config, for
 * DisCo-Diff and (pipeline.baseline) EDM's baseline side by side:
 *
 *   RUN/data import        Fashion-MNIST into data.path / eval.path, if missing
 *   RUN/classifier.h5      the FD's feature network (fid.network fmnist)
 *   RUN/reference.h5       the features' statistics of data.path
 *   RUN/disco/, RUN/baseline/: train, encode, prior, sample, FD
 *   RUN/report.md          losses, FD and timings; the sample grids
 *
 * Each model's directory is what `disco train/encode/prior/sample` would
 * make of it, so any stage can also be rerun alone. Rerunning the pipeline
 * resumes: a finished stage is recorded in the model's pipeline.yaml
 * (pipeline_record.c) and skipped, an unfinished training resumes from its
 * newest checkpoint and sampling skips the images already written.
 *
 * The coordinator, rank 0, trains the classifier and the prior (inside
 * image_stage_prior) while the other ranks wait at a barrier; every other
 * stage runs on all ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "commands.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/import.h"
#include "disco/preempt.h"
#include "disco/timer.h"
#include "fid_run.h"
#include "image_run.h"
#include "pipeline_record.h"
#include "run_config.h"

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* Fashion-MNIST at 32x32 grey, as configs/fmnist.yaml trains on. */
static void import_fmnist(const char *dir, const char *split) {
    char index[1024];
    run_path(index, sizeof index, dir, "index.h5");
    if (exists(index)) return;
    FmnistImport options = {.data_dir = "/usr/share/datasets/fashion-mnist", .split = split, .size = 32};
    ImportSource source = import_source_fmnist(&options);
    ImportReport r = import_dataset(&source, &(ImportOptions){.out_dir = dir, .shard_images = 10000});
    if (dist_rank() == 0) printf("pipeline: imported %lld %s images into %s\n", (long long)r.images, split, dir);
}

/* The feature network's weights: fid.weights, or the classifier trained here. */
static const char *feature_weights(const Config *c, const char *dir, char *path, size_t size) {
    if (*config_string(c, "fid.weights")) return config_string(c, "fid.weights");
    DISCO_CHECK(strcmp(config_string(c, "fid.network"), "fmnist") == 0,
                "fid.weights: the %s network needs its weights file", config_string(c, "fid.network"));
    run_path(path, size, dir, "classifier.h5");
    if (!exists(path) && dist_rank() == 0) {
        ClassifyOptions o = classify_defaults();
        o.steps = (int)config_int(c, "fid.classifier_steps");
        o.save_path = path;
        ClassifyResults r = classify_run(&o);
        printf("pipeline: FD classifier, %d steps in %.0f s, test accuracy %.2f%%; wrote %s\n", o.steps, r.seconds,
               100.0 * r.correct / r.tested, path);
    }
    dist_barrier();
    return path;
}

/* fid.reference, or data.path's statistics, computed once into RUN/reference.h5. */
static FrechetStats reference_stats(const Config *c, const FidOptions *fid, const char *dir, char *path,
                                    size_t size) {
    if (*config_string(c, "fid.reference")) {
        snprintf(path, size, "%s", config_string(c, "fid.reference"));
        return fid_stats_load(path);
    }
    run_path(path, size, dir, "reference.h5");
    if (exists(path)) return fid_stats_load(path);
    FrechetStats stats = fid_stats_of_path(config_string(c, "data.path"), fid);
    if (dist_rank() == 0) fid_stats_save(path, &stats);
    dist_barrier();
    return stats;
}

typedef struct {
    const char *name; /* "disco" or "baseline" */
    char dir[1024];
    Config *config; /* the run's, with model.latents for this model */
    ImageRunSpec spec;
    PipelineRecord record;
} Model;

static Model model_open(Config *c, const char *run_dir, bool latents) {
    Model m = {.name = latents ? "disco" : "baseline", .config = c};
    run_path(m.dir, sizeof m.dir, run_dir, m.name);
    config_set(c, latents ? "model.latents=true" : "model.latents=false");
    m.spec = image_spec(c);
    char path[1024];
    run_path(path, sizeof path, m.dir, "config.yaml");
    if (dist_rank() == 0) {
        make_directories(m.dir);
        config_write(c, path);
    }
    dist_barrier();
    m.record = pipeline_record_load(m.dir);
    return m;
}

/* Runs every stage not yet recorded; false when a signal stopped training. */
static bool run_model(Model *m, Comm *comm, const FidOptions *fid, const FrechetStats *ref, const char *ref_path) {
    PipelineRecord *r = &m->record;
    char path[1024];
    if (r->train_seconds < 0) {
        run_path(path, sizeof path, m->dir, "config.yaml");
        char *yaml = read_text_file(path);
        ImageStageResult t = image_stage_train(&m->spec, m->dir, yaml, comm);
        free(yaml);
        if (!t.finished) return false;
        r->train_seconds = t.seconds, r->train_steps = (double)t.steps;
        r->train_loss = t.final_loss, r->loss_at_sigma_max = t.loss_at_sigma_max;
        pipeline_record_save(m->dir, r);
        if (dist_rank() == 0)
            printf("train: %s, %llu steps in %.1f s, final loss %.4f\n", m->name, (unsigned long long)t.steps,
                   t.seconds, t.final_loss);
    }
    bool latents = m->spec.model.unet.latent_dim > 0;
    if (latents && r->encode_seconds < 0) {
        double start = time_now();
        image_stage_encode(&m->spec, m->dir, comm);
        r->encode_seconds = time_now() - start;
        pipeline_record_save(m->dir, r);
    }
    if (latents && r->prior_seconds < 0) {
        double start = time_now();
        image_stage_prior(&m->spec, m->dir, comm);
        r->prior_seconds = time_now() - start;
        pipeline_record_save(m->dir, r);
    }
    if (r->sample_seconds < 0) {
        double start = time_now();
        image_stage_sample(&m->spec, m->dir, comm);
        r->sample_seconds = time_now() - start;
        pipeline_record_save(m->dir, r);
    }
    if (r->fd_seconds < 0) {
        double start = time_now();
        char samples[1024];
        image_samples_dir(&m->spec, m->dir, samples, sizeof samples);
        run_path(path, sizeof path, samples, "samples.npz");
        int64_t images;
        r->fd = fid_distance_of_path(path, fid, ref, ref_path, &images);
        r->fd_images = (double)images;
        r->fd_seconds = time_now() - start;
        pipeline_record_save(m->dir, r);
    }
    return true;
}

int command_pipeline(int argc, char **argv) {
    preempt_install(); /* first, so that a signal during start-up is not fatal either */
    dist_init(&argc, &argv);
    const char *dir = "runs/fmnist";
    int exit_code = 0;
    DISCO_CHECK(run_config_is_image(argc, argv), "disco pipeline: needs an image config (kind: image), e.g. "
                                                 "--config configs/fmnist.yaml");
    Config *c = image_config_from_args(argc, argv, "pipeline", &dir, &exit_code);
    if (!c) {
        dist_finalize();
        return exit_code;
    }
    double start = time_now();
    if (strcmp(config_string(c, "pipeline.import"), "fmnist") == 0) {
        import_fmnist(config_string(c, "data.path"), "train");
        if (*config_string(c, "eval.path")) import_fmnist(config_string(c, "eval.path"), "t10k");
    } else {
        DISCO_CHECK(!*config_string(c, "pipeline.import"), "pipeline.import: '%s' is not fmnist or empty",
                    config_string(c, "pipeline.import"));
    }
    char weights[1024], ref_path[1024];
    FidOptions fid = {.network = config_string(c, "fid.network"),
                      .weights = feature_weights(c, dir, weights, sizeof weights)};
    FrechetStats ref = reference_stats(c, &fid, dir, ref_path, sizeof ref_path);

    Comm *comm = comm_create_host();
    bool latents = config_bool(c, "model.latents"), finished = true;
    Model models[2];
    int count = 0;
    if (latents) models[count++] = model_open(c, dir, true);
    if (!latents || config_bool(c, "pipeline.baseline")) models[count++] = model_open(c, dir, false);
    for (int i = 0; i < count && finished; i++) finished = run_model(&models[i], comm, &fid, &ref, ref_path);
    comm_destroy(comm);

    if (!finished) {
        if (dist_rank() == 0) printf("pipeline: stopped by a signal after a checkpoint; rerun to resume\n");
        exit_code = PREEMPT_EXIT_REQUEUE;
    } else if (dist_rank() == 0) {
        PipelineRow rows[2];
        for (int i = 0; i < count; i++) rows[i] = (PipelineRow){models[i].name, models[i].dir, models[i].record};
        pipeline_report(dir, rows, count, fid.network, config_float(c, "eval.sigma_max"), time_now() - start);
    }
    frechet_stats_free(&ref);
    config_free(c);
    dist_finalize();
    return exit_code;
}
