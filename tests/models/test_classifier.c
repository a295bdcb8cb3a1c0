/* The Fashion-MNIST classifier: its whole-graph gradients, names and shapes,
   the image packing, and that graph + Adam can fit a small batch. */
#include <math.h>
#include <stdlib.h>

#include "disco/adam.h"
#include "disco/models.h"
#include "graph_check.h"
#include "testutil.h"

/* Small enough for a gradient check, with every stage still present. */
static const ClassifierConfig tiny = {.batch = 2, .width = 8, .features = 16};

static void fill_batch(Graph *g, const Classifier *m, uint32_t tag) {
    fill_uniform(graph_data(g, m->images), graph_numel(g, m->images), tag, -1.0f, 1.0f);
    int32_t *labels = graph_data(g, m->labels);
    for (size_t i = 0; i < graph_numel(g, m->labels); i++) labels[i] = (int32_t)((i * 7 + tag) % CLASSIFIER_CLASSES);
}

START_TEST(whole_graph_gradients) {
    Graph *g = graph_create(backend_cpu(), 3);
    Classifier m = classifier_build(g, &tiny);
    graph_compile(g);
    /* Norm scales start at 1 and biases at 0; move them off those values so a
       gradient routed to the wrong one cannot hide behind them. */
    for (int i = 0; i < graph_param_count(g); i++) {
        int id = graph_param_id(g, i);
        if (graph_tensor(g, id).ndim != 1) continue;
        float *p = graph_data(g, id), *noise = alloc_normal(graph_numel(g, id), 100 + (uint32_t)i, 0.3f);
        for (size_t j = 0; j < graph_numel(g, id); j++) p[j] += noise[j];
        free(noise);
    }
    fill_batch(g, &m, 1);
    check_whole_graph(g, m.loss, NULL, 0);
    graph_destroy(g);
}
END_TEST

START_TEST(names_and_shapes) {
    Graph *g = graph_create(backend_cpu(), 1);
    Classifier m = classifier_build(g, &tiny);
    graph_compile(g);
    const char *names[] = {"enc.32x32.conv.weight", "enc.32x32.norm.weight", "enc.16x16.conv.bias",
                           "enc.4x4.norm.bias", "features.weight", "logits.bias"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(graph_find_param(g, names[i]) >= 0, "no parameter '%s'", names[i]);
    ck_assert_int_eq(graph_param_count(g), 4 * 4 + 2 + 2);
    Tensor w = graph_tensor(g, graph_find_param(g, "enc.4x4.conv.weight"));
    ck_assert_int_eq(w.shape[0], 8 * tiny.width);
    ck_assert_int_eq(w.shape[3], 4 * tiny.width);
    Tensor f = graph_tensor(g, m.features), l = graph_tensor(g, m.logits);
    ck_assert_int_eq(f.ndim, 4);
    ck_assert_int_eq(f.shape[0], tiny.batch);
    ck_assert_int_eq(f.shape[1] * f.shape[2], 1);
    ck_assert_int_eq(f.shape[3], tiny.features);
    ck_assert_int_eq(l.shape[3], CLASSIFIER_CLASSES);
    ck_assert_int_eq((int)graph_numel(g, m.loss), tiny.batch);
    graph_destroy(g);
}
END_TEST

START_TEST(packs_images_centred_on_black) {
    uint8_t image[28 * 28];
    for (int i = 0; i < 28 * 28; i++) image[i] = 255;
    image[0] = 0, image[1] = 51;
    float x[CLASSIFIER_SIZE * CLASSIFIER_SIZE];
    classifier_pack_image(x, image, 28, 28);
    const int s = CLASSIFIER_SIZE;
    ck_assert_float_eq(x[0], -1.0f);                  /* border */
    ck_assert_float_eq(x[1 * s + 2], -1.0f);          /* border above the image */
    ck_assert_float_eq(x[2 * s + 2], -1.0f);          /* pixel 0 */
    ck_assert_float_eq_tol(x[2 * s + 3], -0.6f, 1e-6f); /* pixel 51 */
    ck_assert_float_eq(x[2 * s + 4], 1.0f);           /* pixel 255 */
    ck_assert_float_eq(x[29 * s + 29], 1.0f);         /* last image pixel */
    ck_assert_float_eq(x[30 * s + 30], -1.0f);        /* border below */
}
END_TEST

/* Graph, ops and Adam together must drive the loss on one fixed batch of
   noise images with arbitrary labels close to zero. */
START_TEST(fits_a_fixed_batch) {
    ClassifierConfig config = {.batch = 8, .width = 8, .features = 32};
    Graph *g = graph_create(backend_cpu(), 5);
    Classifier m = classifier_build(g, &config);
    graph_compile(g);
    fill_batch(g, &m, 2);
    size_t n;
    float *params = graph_params(g, &n);
    Adam *adam = adam_create(n);
    double first = 0, last = 0;
    for (int step = 0; step < 150; step++) {
        graph_forward(g);
        const float *loss = graph_data(g, m.loss);
        double mean = 0;
        for (int r = 0; r < config.batch; r++) mean += loss[r] / config.batch;
        if (step == 0) first = mean;
        last = mean;
        graph_zero_param_grads(g);
        graph_backward(g, 1.0f / (float)config.batch);
        adam_step(adam, params, graph_param_grads(g), 1e-2f);
    }
    ck_assert_msg(first > 1.5 && last < 0.05, "loss went from %g to %g", first, last);
    adam_destroy(adam);
    graph_destroy(g);
}
END_TEST

int main(void) {
    Suite *s = suite_create("classifier");
    TCase *tc = tcase_create("classifier");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, whole_graph_gradients);
    tcase_add_test(tc, names_and_shapes);
    tcase_add_test(tc, packs_images_centred_on_black);
    tcase_add_test(tc, fits_a_fixed_batch);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
