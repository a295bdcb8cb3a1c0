/* The shared optimizer step, checkpoints and resume; see include/disco/trainer.h. */
#include "disco/trainer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "disco/dist.h"
#include "disco/error.h"
#include "disco/log.h"
#include "disco/preempt.h"

/* Checkpoints hold full moments; ZeRO-1 keeps a slice of them per rank, so
   they pass through these full-size buffers on the way in and out. */
static TrainBuffers buffers_of(Trainer *t, float *full_m, float *full_v) {
    if (t->adam) return (TrainBuffers){.ema = t->ema->weights, .adam_m = t->adam->m, .adam_v = t->adam->v};
    return (TrainBuffers){.ema = t->ema->weights, .adam_m = full_m, .adam_v = full_v};
}

/* Zeroed: the flat buffer has alignment gaps between parameters, which a
   checkpoint does not hold, and Adam must find zero moments there. */
static float *moments_buffer(const Trainer *t) {
    size_t n;
    graph_params(t->graph, &n);
    return t->adam ? NULL : disco_calloc(n, sizeof(float), "full Adam moments");
}

/* Rank 0 picks the file, so every rank loads the same one even if another
   checkpoint appears meanwhile; then the ranks check they agree. */
static void resume(Trainer *t) {
    char path[4096] = "";
    int64_t found = 0;
    if (t->rank == 0) found = checkpoint_find_latest(t->config.checkpoint_dir, path, sizeof path);
    if (t->config.comm) {
        found = dist_max_int64(found);
        dist_broadcast(path, sizeof path, 0);
    }
    if (!found) return;
    float *full_m = moments_buffer(t), *full_v = moments_buffer(t);
    TrainBuffers b = buffers_of(t, full_m, full_v);
    checkpoint_load_training(path, t->graph, &b, &t->progress);
    if (t->adam)
        t->adam->step = t->progress.adam_step;
    else
        zero1_load_moments(t->zero1, full_m, full_v, t->progress.adam_step);
    free(full_m);
    free(full_v);
    free(t->progress.config_yaml);
    t->progress.config_yaml = NULL;
    if (t->config.comm)
        DISCO_CHECK(dist_max_int64((int64_t)t->progress.step) == (int64_t)t->progress.step,
                    "rank %d resumed '%s' at step %" PRIu64 ", but another rank is at a later step", t->rank, path,
                    t->progress.step);
    if (t->progress.seed != t->config.seed)
        LOG_WARN("resuming '%s' with its seed %" PRIu64 " (the configuration says %" PRIu64 ")", path,
                 t->progress.seed, t->config.seed);
    if (t->progress.world_size != t->world)
        LOG_INFO("resuming a run saved by %d ranks on %d: the data order continues; sums may round differently",
                 t->progress.world_size, t->world);
    t->progress.world_size = t->world;
    t->resumed = true;
    t->saved_step = t->progress.step;
    LOG_INFO("resumed from '%s' at step %" PRIu64 " (%" PRIu64 " images seen)", path, t->progress.step,
             t->progress.images_seen);
}

TrainerConfig trainer_config(const TrainRun *run, int global_batch, uint64_t seed, double ema_half_life_samples,
                             double ema_rampup_ratio) {
    const TrainRun alone = {0};
    if (!run) run = &alone;
    return (TrainerConfig){.global_batch = global_batch, .seed = seed, .ema_half_life_samples = ema_half_life_samples,
                           .ema_rampup_ratio = ema_rampup_ratio, .comm = run->comm, .bucket_bytes = run->bucket_bytes,
                           .zero1 = run->zero1, .checkpoint_dir = run->checkpoint_dir,
                           .checkpoint_every = run->checkpoint_every, .keep_checkpoints = run->keep_checkpoints,
                           .config_yaml = run->config_yaml};
}

int trainer_world(const TrainRun *run) { return run && run->comm ? dist_world() : 1; }

Trainer *trainer_create(Graph *g, const TrainerConfig *config) {
    Trainer *t = disco_calloc(1, sizeof *t, "trainer");
    t->graph = g;
    t->config = *config;
    t->world = config->comm ? dist_world() : 1;
    t->rank = config->comm ? dist_rank() : 0;
    DISCO_CHECK(config->global_batch > 0 && config->global_batch % t->world == 0,
                "the global batch %d is not divisible by the %d ranks", config->global_batch, t->world);
    t->local_batch = config->global_batch / t->world;
    size_t n;
    float *params = graph_params(g, &n);
    /* Ranks may have initialised differently (another seed, another
       library); from here on they hold rank 0's weights. */
    if (config->comm) comm_broadcast(config->comm, params, n, 0);
    if (config->zero1 && config->comm && t->world > 1)
        t->zero1 = zero1_create(config->comm, n);
    else
        t->adam = adam_create(n);
    t->ema = ema_create(params, n, config->ema_half_life_samples, config->ema_rampup_ratio);
    t->progress = (TrainProgress){.seed = config->seed, .world_size = t->world};
    t->saved_step = UINT64_MAX;
    if (config->checkpoint_dir) resume(t);
    if (config->comm && t->world > 1 && !t->zero1) {
        t->reducer = grad_reducer_create(config->comm, graph_param_grads(g), n, config->bucket_bytes);
        grad_reducer_attach(t->reducer, g);
    }
    return t;
}

void trainer_destroy(Trainer *t) {
    if (!t) return;
    grad_reducer_destroy(t->reducer);
    zero1_destroy(t->zero1);
    adam_destroy(t->adam);
    ema_destroy(t->ema);
    free(t);
}

uint64_t trainer_first_sample(const Trainer *t) {
    return t->progress.step * (uint64_t)t->config.global_batch + (uint64_t)t->rank * (uint64_t)t->local_batch;
}

void trainer_backward(Trainer *t) {
    graph_zero_param_grads(t->graph);
    if (t->reducer) grad_reducer_begin(t->reducer);
    graph_backward(t->graph, 1.0f / (float)t->config.global_batch);
    if (t->reducer) grad_reducer_finish(t->reducer);
}

void trainer_step(Trainer *t, double lr) {
    size_t n;
    float *params = graph_params(t->graph, &n);
    if (t->zero1)
        zero1_step(t->zero1, params, graph_param_grads(t->graph), (float)lr);
    else
        adam_step(t->adam, params, graph_param_grads(t->graph), (float)lr);
    Adam *adam = t->adam ? t->adam : zero1_adam(t->zero1);
    uint64_t batch = (uint64_t)t->config.global_batch;
    TrainProgress *p = &t->progress;
    p->step++;
    p->images_seen += batch;
    p->data_cursor += batch;
    p->adam_step = adam->step;
    ema_update(t->ema, params, batch, p->images_seen);
    if (t->config.checkpoint_dir && t->config.checkpoint_every > 0 && p->step % (uint64_t)t->config.checkpoint_every == 0)
        trainer_save(t);
}

bool trainer_preempted(const Trainer *t) {
    int64_t mine = preempt_signalled();
    return (t->config.comm ? dist_max_int64(mine) : mine) != 0;
}

void trainer_save(Trainer *t) {
    DISCO_CHECK(t->config.checkpoint_dir, "trainer_save without a checkpoint directory");
    float *full_m = moments_buffer(t), *full_v = moments_buffer(t);
    if (t->zero1) zero1_gather_moments(t->zero1, full_m, full_v);
    if (t->rank == 0) {
        TrainBuffers b = buffers_of(t, full_m, full_v);
        TrainProgress p = t->progress;
        p.config_yaml = (char *)t->config.config_yaml;
        checkpoint_save_in(t->config.checkpoint_dir, t->config.keep_checkpoints, t->graph, &b, &p);
    }
    free(full_m);
    free(full_v);
    t->saved_step = t->progress.step;
    if (t->config.comm) dist_barrier();
}

void trainer_save_final(Trainer *t) {
    if (t->config.checkpoint_dir && t->saved_step != t->progress.step) trainer_save(t);
}

double trainer_global_mean(const Trainer *t, double local_sum) {
    double sum = t->config.comm ? dist_sum_double(local_sum) : local_sum;
    return sum / t->config.global_batch;
}
