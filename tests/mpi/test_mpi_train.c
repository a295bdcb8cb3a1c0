/* Distributed training under mpirun (-np 2 and -np 4) against one process:
 *   - every rank starts from rank 0's parameters, whatever it initialised;
 *   - K Adam steps of W ranks x B/W samples equal K steps of 1 process x B,
 *     for a small conv + attention model and for the toy DisCo-Diff model;
 *   - training 2n steps straight equals n steps, a checkpoint, and n more
 *     after a resume, bit for bit; a checkpoint written by W ranks resumes on
 *     one process and continues within tolerance;
 *   - a signal on one rank stops every rank at the same step after a
 *     checkpoint, and the resumed run ends bit-identical to a straight one.
 *
 * Tolerance: the ranks sum the same per-sample gradients in another order,
 * so a gradient differs from the one-process gradient by float rounding,
 * about 1e-6 of its size. Adam's update is lr * m / (sqrt(v) + eps), which
 * passes a relative gradient error on unchanged where |g| >> eps, so after K
 * steps a parameter is off by about K * lr * 1e-6. The tests allow
 * K * lr * 1e-3; a reduction bug (a rank's share missing or doubled)
 * moves the update by O(1) of lr per step, a thousand times more. Adam does
 * not see a gradient scaled by a constant, so the first step's reduced
 * gradients are compared too, within 1e-5 of the largest. The
 * argument fails for a parameter whose exact gradient is zero (a bias just
 * before a normalisation, a key bias before the softmax): its gradient is
 * rounding noise, which Adam scales up to about lr per step. The small model
 * has none: the conv's bias passes a SiLU before the group norm, and the qkv
 * projection has no bias.
 *
 * Usage: test_mpi_train SCRATCH_DIR */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "disco/dist.h"
#include "disco/error.h"
#include "disco/preempt.h"
#include "disco/rng.h"
#include "disco/toy_train.h"
#include "disco/trainer.h"
#include "mpi_suite.h"
#include "testutil.h"

static char scratch[1024];
static Comm *comm;

enum { B = 8, K = 6, SIDE = 4, CHANNELS = 3, TOKENS = SIDE * SIDE };
static const double LR = 1e-3;

static void path_for(char *path, size_t size, const char *name) { snprintf(path, size, "%s/%s", scratch, name); }

static double max_difference(const float *a, const float *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
        if (d > worst) worst = d;
    }
    return worst;
}

/* ---- a small conv + attention model on inputs keyed by sample index ---- */

typedef struct {
    Graph *g;
    int x, target, weight;
} SmallNet;

static SmallNet small_net(int batch, uint64_t init_seed) {
    SmallNet s = {.g = graph_create(backend_cpu(), init_seed)};
    Graph *g = s.g;
    Init fan = {INIT_UNIFORM_FAN_IN, 1.0f, 0};
    s.x = graph_input(g, "x", DTYPE_F32, 4, (int[]){batch, SIDE, SIDE, CHANNELS}, false);
    s.target = graph_input(g, "target", DTYPE_F32, 4, (int[]){batch, SIDE, SIDE, CHANNELS}, false);
    s.weight = graph_input(g, "weight", DTYPE_F32, 1, (int[]){batch}, false);
    fan.fan_in = 9 * CHANNELS;
    int h = graph_conv2d(g, s.x, graph_param(g, "conv.weight", 4, (int[]){8, 3, 3, CHANNELS}, fan),
                         graph_param(g, "conv.bias", 1, (int[]){8}, (Init){INIT_ZERO, 0, 0}));
    h = graph_group_norm(g, graph_silu(g, h), graph_param(g, "norm.weight", 1, (int[]){8}, (Init){INIT_CONSTANT, 1.0f, 0}),
                         graph_param(g, "norm.bias", 1, (int[]){8}, (Init){INIT_ZERO, 0, 0}), 2, 1e-5f);
    fan.fan_in = 8;
    int qkv = graph_linear(g, h, graph_param(g, "qkv.weight", 2, (int[]){24, 8}, fan), -1);
    h = graph_add(g, h, graph_self_attention(g, qkv, 2, false), 1.0f);
    int out = graph_linear(g, h, graph_param(g, "out.weight", 2, (int[]){CHANNELS, 8}, fan),
                           graph_param(g, "out.bias", 1, (int[]){CHANNELS}, (Init){INIT_ZERO, 0, 0}));
    graph_set_loss(g, graph_weighted_mse(g, out, s.target, s.weight));
    graph_compile(g);
    return s;
}

/* Sample s's input and target are Philox rows s, so any split of a batch
   feeds the same samples. */
static void feed_small(SmallNet *s, uint64_t first, int count) {
    RngKey key = {.seed = 5, .stream = RNG_STREAM_NOISE, .row_len = TOKENS * CHANNELS};
    float *x = graph_data(s->g, s->x), *target = graph_data(s->g, s->target), *w = graph_data(s->g, s->weight);
    size_t per = TOKENS * CHANNELS;
    for (int r = 0; r < count; r++)
        for (size_t j = 0; j < per; j++) {
            x[r * per + j] = rng_normal(&key, (first + (uint64_t)r) * per + j);
            target[r * per + j] = 0.5f * x[r * per + j] * x[r * per + j] - 0.3f;
        }
    for (int r = 0; r < count; r++) w[r] = 1.0f + 0.1f * (float)((first + (uint64_t)r) % 3);
}

/* K steps; returns the final parameters (malloc'd), and the first step's
   reduced gradients in first_grads when not NULL. */
static float *train_small(Comm *with, uint64_t init_seed, size_t *n, float **first_grads) {
    int world = with ? dist_world() : 1;
    SmallNet s = small_net(B / world, init_seed);
    Trainer *t = trainer_create(s.g, &(TrainerConfig){.global_batch = B, .seed = 1, .ema_half_life_samples = 100,
                                                      .comm = with, .bucket_bytes = 256});
    for (int step = 0; step < K; step++) {
        feed_small(&s, trainer_first_sample(t), t->local_batch);
        graph_forward(s.g);
        trainer_backward(t);
        if (step == 0 && first_grads) {
            graph_params(s.g, n);
            *first_grads = malloc(*n * sizeof(float));
            memcpy(*first_grads, graph_param_grads(s.g), *n * sizeof(float));
        }
        trainer_step(t, LR);
    }
    float *params = graph_params(s.g, n), *copy = malloc(*n * sizeof *copy);
    memcpy(copy, params, *n * sizeof *copy);
    trainer_destroy(t);
    graph_destroy(s.g);
    return copy;
}

START_TEST(ranks_start_from_rank_0_parameters) {
    SmallNet s = small_net(B / dist_world(), 100 + (uint64_t)dist_rank());
    size_t n;
    const float *params = graph_params(s.g, &n);
    int64_t before = (int64_t)crc32(0, (const Bytef *)params, (uInt)(n * sizeof(float)));
    int64_t all_before[8];
    dist_allgather_int64(&before, 1, all_before);
    ck_assert_int_ne(all_before[0], all_before[1]); /* they did start apart */
    Trainer *t = trainer_create(s.g, &(TrainerConfig){.global_batch = B, .seed = 1, .ema_half_life_samples = 100,
                                                      .comm = comm});
    int64_t after = (int64_t)crc32(0, (const Bytef *)params, (uInt)(n * sizeof(float))), all_after[8];
    dist_allgather_int64(&after, 1, all_after);
    for (int r = 0; r < dist_world(); r++) ck_assert_int_eq(all_after[r], all_before[0]);
    trainer_destroy(t);
    graph_destroy(s.g);
}
END_TEST

START_TEST(conv_attention_model_matches_one_process) {
    size_t n, n_one;
    float *grads_ranks, *grads_one;
    float *ranks = train_small(comm, 7, &n, &grads_ranks);
    float *one = train_small(NULL, 7, &n_one, &grads_one);
    ck_assert_uint_eq(n, n_one);
    /* Adam forgives a gradient scaled by a constant; the gradients do not. */
    double largest = 0;
    for (size_t i = 0; i < n; i++) largest = fmax(largest, fabs(grads_one[i]));
    double g = max_difference(grads_ranks, grads_one, n);
    ck_assert_msg(g <= 1e-5 * largest, "first gradients differ by %g (largest %g)", g, largest);
    free(grads_ranks);
    free(grads_one);
    double d = max_difference(ranks, one, n), tolerance = K * LR * 1e-3;
    if (dist_rank() == 0) printf("conv+attention: %d ranks vs 1 process after %d steps: max |diff| %.3g\n",
                                 dist_world(), K, d);
    ck_assert_msg(d <= tolerance, "parameters differ by %g > %g", d, tolerance);
    /* The steps moved the weights far more than the tolerance. */
    SmallNet initial = small_net(B, 7);
    double moved = max_difference(graph_params(initial.g, NULL), one, n);
    ck_assert_msg(moved > 100 * tolerance, "training moved the weights by only %g", moved);
    graph_destroy(initial.g);
    free(one);
    free(ranks);
}
END_TEST

/* ---- the toy model ---- */

static const ToyModelConfig toy_model = {.latents = 1, .codebook = 4, .hidden = 32, .layers = 2,
                                         .encoder_hidden = 16, .encoder_layers = 2, .embed = 16,
                                         .latent_mean = true, .sigma_1 = 0.2, .sigma_data = 2.13};

static ToyTrainConfig toy_config(int steps) {
    return (ToyTrainConfig){.steps = steps, .batch = B, .lr = LR, .ema_half_life_samples = 200,
                            .ema_rampup_ratio = 0.05, .p_mean = 0, .p_std = 1.2, .gumbel_tau = 1,
                            .gumbel_hard = true, .seed = 3};
}

static float toy_data[2 * 64];

static void make_toy_data(void) {
    RngKey key = {.seed = 9, .stream = RNG_STREAM_DATA_ORDER};
    for (int i = 0; i < 2 * 64; i++) toy_data[i] = 2.0f * rng_normal(&key, (uint64_t)i);
}

/* Trains and returns the parameters followed by the EMA (malloc'd). */
static float *train_toy(const TrainRun *run, int steps, size_t *n, ToyTrained *out) {
    ToyTrainConfig tc = toy_config(steps);
    ToyTrained t = toy_train(&toy_model, &tc, run, toy_data, 64, NULL);
    float *params = graph_params(t.graph, n), *copy = malloc(2 * *n * sizeof *copy);
    memcpy(copy, params, *n * sizeof *copy);
    memcpy(copy + *n, t.ema->weights, *n * sizeof *copy);
    if (out) *out = (ToyTrained){.step = t.step, .preempted = t.preempted};
    toy_trained_free(&t);
    return copy;
}

START_TEST(toy_model_matches_one_process) {
    size_t n;
    float *ranks = train_toy(&(TrainRun){.comm = comm, .bucket_bytes = 1024}, K, &n, NULL);
    float *one = train_toy(NULL, K, &n, NULL);
    double d = max_difference(ranks, one, n), tolerance = K * LR * 1e-3;
    if (dist_rank() == 0) printf("toy: %d ranks vs 1 process after %d steps: max |diff| %.3g\n", dist_world(), K, d);
    ck_assert_msg(d <= tolerance, "parameters differ by %g > %g", d, tolerance);
    free(one);
    free(ranks);
}
END_TEST

/* A fresh checkpoint directory, the same path on every rank. */
static void fresh_dir(char *path, size_t size, const char *name) {
    path_for(path, size, name);
    if (dist_rank() == 0) {
        char command[2048];
        snprintf(command, sizeof command, "rm -rf '%s'", path);
        ck_assert_int_eq(system(command), 0);
    }
    dist_barrier();
}

/* ZeRO-1 against one process, and its resume: the moments leave through a
   gather and come back as slices. */
START_TEST(zero1_matches_one_process_and_resumes) {
    char dir[1100];
    fresh_dir(dir, sizeof dir, "zero1");
    size_t n;
    TrainRun run = {.comm = comm, .zero1 = true};
    float *straight = train_toy(&run, 2 * K, &n, NULL);
    float *one = train_toy(NULL, 2 * K, &n, NULL);
    double d = max_difference(straight, one, n), tolerance = 2 * K * LR * 1e-3;
    if (dist_rank() == 0) printf("toy with ZeRO-1: %d ranks vs 1 process: max |diff| %.3g\n", dist_world(), d);
    ck_assert_msg(d <= tolerance, "parameters differ by %g > %g", d, tolerance);
    run.checkpoint_dir = dir;
    free(train_toy(&run, K, &n, NULL));
    float *resumed = train_toy(&run, 2 * K, &n, NULL);
    ck_assert_int_eq(memcmp(straight, resumed, 2 * n * sizeof(float)), 0);
    free(resumed);
    free(one);
    free(straight);
}
END_TEST

START_TEST(resume_is_bit_exact) {
    char dir[1100];
    fresh_dir(dir, sizeof dir, "resume");
    size_t n;
    float *straight = train_toy(&(TrainRun){.comm = comm}, 2 * K, &n, NULL);
    TrainRun run = {.comm = comm, .checkpoint_dir = dir, .checkpoint_every = 0, .keep_checkpoints = 2};
    free(train_toy(&run, K, &n, NULL));
    ToyTrained state;
    float *resumed = train_toy(&run, 2 * K, &n, &state);
    ck_assert_uint_eq(state.step, 2 * K);
    ck_assert_int_eq(memcmp(straight, resumed, 2 * n * sizeof(float)), 0);

    /* The W-rank checkpoint at step K, continued by one process. */
    if (dist_rank() == 0) {
        char one_dir[1200], command[8192];
        snprintf(one_dir, sizeof one_dir, "%s-one", dir);
        snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s' && cp '%s/checkpoint-%012d.h5' '%s/'", one_dir,
                 one_dir, dir, K, one_dir);
        ck_assert_int_eq(system(command), 0);
        float *one = train_toy(&(TrainRun){.checkpoint_dir = one_dir}, 2 * K, &n, &state);
        ck_assert_uint_eq(state.step, 2 * K);
        double d = max_difference(straight, one, n), tolerance = 2 * K * LR * 1e-3;
        printf("toy: resumed on 1 process from %d ranks' checkpoint: max |diff| %.3g\n", dist_world(), d);
        ck_assert_msg(d <= tolerance, "parameters differ by %g > %g", d, tolerance);
        free(one);
    }
    dist_barrier();
    free(resumed);
    free(straight);
}
END_TEST

static void *signal_later(void *arg) {
    struct timespec pause = {0, 30 * 1000 * 1000};
    nanosleep(&pause, NULL);
    raise(SIGUSR1);
    return NULL;
}

/* The last rank alone is signalled, mid-run. */
START_TEST(signal_on_one_rank_stops_all_at_one_step) {
    enum { LONG = 3000 };
    char dir[1100];
    fresh_dir(dir, sizeof dir, "preempt");
    preempt_install();
    preempt_clear();
    pthread_t thread;
    bool signaller = dist_rank() == dist_world() - 1;
    if (signaller) pthread_create(&thread, NULL, signal_later, NULL);
    TrainRun run = {.comm = comm, .checkpoint_dir = dir, .checkpoint_every = 0, .keep_checkpoints = 1};
    ToyTrained state;
    size_t n;
    free(train_toy(&run, LONG, &n, &state));
    if (signaller) pthread_join(thread, NULL);
    ck_assert(state.preempted);
    int64_t step = (int64_t)state.step, steps[8];
    dist_allgather_int64(&step, 1, steps);
    for (int r = 0; r < dist_world(); r++) ck_assert_int_eq(steps[r], step);
    ck_assert_int_lt(step, LONG);
    char saved[1200];
    checkpoint_path_for_step(dir, (uint64_t)step, saved, sizeof saved);
    ck_assert_int_eq(access(saved, F_OK), 0);
    if (dist_rank() == 0) printf("preempted at step %lld of %d\n", (long long)step, LONG);

    preempt_clear();
    float *resumed = train_toy(&run, LONG, &n, &state);
    ck_assert(!state.preempted);
    float *straight = train_toy(&(TrainRun){.comm = comm}, LONG, &n, NULL);
    ck_assert_int_eq(memcmp(straight, resumed, 2 * n * sizeof(float)), 0);
    free(straight);
    free(resumed);
}
END_TEST

int main(int argc, char **argv) {
    mpi_suite_begin(&argc, &argv, scratch, sizeof scratch);
    comm = comm_create_host();
    make_toy_data();
    Suite *s = suite_create("mpi_train");
    TCase *tc = tcase_create("mpi_train");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, ranks_start_from_rank_0_parameters);
    tcase_add_test(tc, conv_attention_model_matches_one_process);
    tcase_add_test(tc, toy_model_matches_one_process);
    tcase_add_test(tc, resume_is_bit_exact);
    tcase_add_test(tc, zero1_matches_one_process_and_resumes);
    tcase_add_test(tc, signal_on_one_rank_stops_all_at_one_step);
    suite_add_tcase(s, tc);
    int result = run_suite_in_process(s);
    comm_destroy(comm);
    dist_finalize();
    return result;
}
