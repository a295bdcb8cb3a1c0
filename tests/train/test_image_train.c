/* Image DisCo-Diff end to end at the tiny sizes: the whole training graph
   (encoder, Gumbel-softmax, latent transformer, U-Net, EDM loss) passes a
   finite-difference gradient check with and without latents; the fed target
   is exactly what makes D equal the clean image; training on a small data
   set lowers the loss; 2n steps straight equal n steps, a checkpoint and n
   more after a resume, bit for bit. */
#include "disco/image_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_fixture.h"
#include "disco/edm.h"
#include "fatal_check.h"
#include "graph_check.h"
#include "testutil.h"

enum { SIDE = 8, CHANNELS = 3, CLASSES = 3, COUNT = 48 };

/* Smooth images whose brightness follows the class: something to learn. */
static uint8_t pixel(int64_t index, int k) {
    int y = k / (SIDE * CHANNELS), x = (k / CHANNELS) % SIDE, c = k % CHANNELS;
    return (uint8_t)(40 + 60 * (index % CLASSES) + 10 * ((x + y + c + (int)(index / CLASSES)) % 8));
}
static int32_t label(int64_t index) { return (int32_t)(index % CLASSES); }

static void write_data(Path dir) {
    scratch_path(dir, "images");
    if (access(dir, F_OK) == 0) return;
    FixtureImages images = {.height = SIDE, .width = SIDE, .channels = CHANNELS, .classes = CLASSES,
                            .pixel = pixel, .label = label};
    fixture_write_dataset(dir, &images, 2, (int64_t[]){30, COUNT - 30});
}

static void check_graph(bool latents) {
    ImageModelConfig c = image_model_tiny(latents);
    c.gumbel_hard = false; /* straight-through has no finite-difference gradient */
    Graph *g = graph_create(backend_cpu(), 5);
    ImageNetwork net = image_build_training(g, &c, 2);
    graph_compile(g);
    float clean[2 * SIDE * SIDE * CHANNELS], noise[2 * SIDE * SIDE * CHANNELS];
    fill_uniform(clean, 2 * SIDE * SIDE * CHANNELS, 1, -1, 1);
    fill_normal(noise, 2 * SIDE * SIDE * CHANNELS, 2, 1);
    image_feed(g, &net, &c, clean, (double[]){0.3, 4.0}, noise, (int32_t[]){2, 0}, (float[]){1, 0});
    /* Zero-initialised output layers would hide every gradient behind them. */
    size_t n;
    float *params = graph_params(g, &n);
    fill_normal(params, n, 3, 0.2f);
    /* Each part has its full check in its own suite; this one checks how
       they are joined, with fewer probes per tensor. */
    check_whole_graph_probing(g, net.loss, NULL, 0, 4);
    graph_destroy(g);
}

START_TEST(whole_graph_gradients_with_latents) { check_graph(true); }
END_TEST

START_TEST(whole_graph_gradients_baseline) { check_graph(false); }
END_TEST

/* D = c_skip x + c_out F with F = target gives back the clean image. */
START_TEST(target_makes_d_the_clean_image) {
    ImageModelConfig c = image_model_tiny(true);
    Graph *g = graph_create(backend_cpu(), 5);
    ImageNetwork net = image_build_training(g, &c, 1);
    graph_compile(g);
    enum { N = SIDE * SIDE * CHANNELS };
    float clean[N], noise[N];
    fill_uniform(clean, N, 4, -1, 1);
    fill_normal(noise, N, 5, 1);
    double sigma = 2.5;
    image_feed(g, &net, &c, clean, &sigma, noise, (int32_t[]){1}, (float[]){1});
    EdmPrecond p = edm_precond(sigma, c.sigma_data);
    const float *x_in = graph_data(g, net.x_in), *target = graph_data(g, net.target);
    for (int i = 0; i < N; i++) {
        double noisy = x_in[i] / p.c_in;
        ck_assert_double_eq_tol(noisy, clean[i] + sigma * noise[i], 1e-5);
        ck_assert_double_eq_tol(p.c_skip * noisy + p.c_out * target[i], clean[i], 1e-5);
    }
    ck_assert_double_eq_tol(((float *)graph_data(g, net.weight))[0], 1.0, 1e-6);
    graph_destroy(g);
}
END_TEST

static ImageTrainConfig train_config(int steps) {
    return (ImageTrainConfig){.steps = steps, .batch = 8, .lr = 2e-3, .ema_half_life_samples = 500,
                              .ema_rampup_ratio = 0.05, .p_mean = -1.2, .p_std = 1.2, .latent_dropout = 0.1,
                              .hflip = true, .reader_workers = 1, .seed = 9};
}

/* Parameters then EMA (malloc'd). */
static float *train(const TrainRun *run, int steps, double *final_loss, size_t *n) {
    Path data;
    write_data(data);
    ImageModelConfig c = image_model_tiny(true);
    ImageTrainConfig tc = train_config(steps);
    ImageTrained t = image_train(&c, &tc, run, data, NULL);
    if (final_loss) *final_loss = t.final_loss;
    const float *params = graph_params(t.graph, n);
    float *copy = malloc(2 * *n * sizeof *copy);
    memcpy(copy, params, *n * sizeof *copy);
    memcpy(copy + *n, t.ema->weights, *n * sizeof *copy);
    image_trained_free(&t);
    return copy;
}

START_TEST(training_lowers_the_loss) {
    double early, late;
    size_t n;
    free(train(NULL, 10, &early, &n));
    free(train(NULL, 120, &late, &n));
    printf("image training: loss %.4f after 10 steps, %.4f after 120\n", early, late);
    ck_assert_msg(late < 0.8 * early, "loss went from %g to %g", early, late);
}
END_TEST

START_TEST(resume_is_bit_exact) {
    Path dir;
    scratch_path(dir, "checkpoints");
    size_t n;
    float *straight = train(NULL, 12, NULL, &n);
    TrainRun run = {.checkpoint_dir = dir, .keep_checkpoints = 1};
    free(train(&run, 6, NULL, &n));
    float *resumed = train(&run, 12, NULL, &n);
    ck_assert_int_eq(memcmp(straight, resumed, 2 * n * sizeof(float)), 0);
    free(resumed);
    free(straight);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("image_train");
    TCase *tc = tcase_create("image_train");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, whole_graph_gradients_with_latents);
    tcase_add_test(tc, whole_graph_gradients_baseline);
    tcase_add_test(tc, target_makes_d_the_clean_image);
    tcase_add_test(tc, training_lowers_the_loss);
    tcase_add_test(tc, resume_is_bit_exact);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
