/* An image experiment's stages; see image_run.h. */
#include "image_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/checkpoint.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "run_config.h"

/* Writes DIR/loss_by_sigma.json: the EMA weights' loss on a grid of noise
   levels. Returns the loss at the largest. */
static double evaluate(const ImageRunSpec *spec, ImageTrained *t, const char *dir) {
    const ImageEvalSpec *e = &spec->eval;
    size_t n;
    float *params = graph_params(t->graph, &n);
    memcpy(params, t->ema->weights, n * sizeof(float));
    double *sigmas = disco_malloc((size_t)e->levels * sizeof(double), "noise levels");
    double *loss = disco_malloc((size_t)e->levels * sizeof(double), "losses");
    for (int s = 0; s < e->levels; s++)
        sigmas[s] = e->sigma_min * pow(e->sigma_max / e->sigma_min, (double)s / (e->levels - 1));
    image_loss_by_sigma(t->graph, &t->net, &spec->model, e->path, e->images, sigmas, e->levels, e->seed, loss);
    if (dist_rank() == 0) {
        char path[1024], tmp[1040];
        run_path(path, sizeof path, dir, "loss_by_sigma.json");
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *f = fopen(tmp, "w");
        DISCO_CHECK(f, "cannot write '%s': %s", tmp, strerror(errno));
        fprintf(f, "{\"latents\": %s, \"data\": \"%s\", \"images\": %d, \"weights\": \"ema\", \"sigma\": [",
                spec->model.unet.latent_dim ? "true" : "false", e->path, e->images);
        for (int s = 0; s < e->levels; s++) fprintf(f, "%s%.6g", s ? ", " : "", sigmas[s]);
        fprintf(f, "], \"loss\": [");
        for (int s = 0; s < e->levels; s++) fprintf(f, "%s%.6f", s ? ", " : "", loss[s]);
        fprintf(f, "]}\n");
        DISCO_CHECK(fclose(f) == 0 && rename(tmp, path) == 0, "cannot write '%s'", path);
        printf("train: loss by sigma (EMA weights, %d images):", e->images);
        for (int s = 0; s < e->levels; s++) printf(" %.3g:%.4f", sigmas[s], loss[s]);
        printf("\n");
    }
    double at_sigma_max = loss[e->levels - 1];
    free(sigmas), free(loss);
    return at_sigma_max;
}

ImageStageResult image_stage_train(const ImageRunSpec *spec, const char *dir, const char *config_yaml, Comm *comm) {
    RunFiles files = run_files_open(dir, comm);
    TrainRun run = {.comm = comm, .bucket_bytes = spec->bucket_bytes, .zero1 = spec->zero1,
                    .checkpoint_dir = files.checkpoints, .checkpoint_every = spec->checkpoint_every,
                    .keep_checkpoints = spec->keep_checkpoints, .config_yaml = config_yaml};
    ImageTrained t = image_train(&spec->model, &spec->train, &run, spec->data_path, files.metrics);
    run_files_close(&files);
    ImageStageResult r = {.final_loss = t.final_loss, .seconds = t.seconds, .steps = t.step,
                          .finished = !t.preempted};
    if (dist_rank() == 0 && r.finished) {
        CheckpointInfo info = {.step = t.step, .images_seen = t.step * (uint64_t)spec->train.batch,
                               .config_yaml = config_yaml};
        char path[1024];
        run_path(path, sizeof path, dir, "checkpoints/stage1.h5");
        checkpoint_save(path, t.graph, t.ema->weights, &info);
    }
    r.loss_at_sigma_max = r.finished && spec->eval.images > 0 ? evaluate(spec, &t, dir) : NAN;
    image_trained_free(&t);
    dist_barrier(); /* stage1.h5 is there for whichever rank reads it next */
    return r;
}
