/* checkpoint_load_subset: a checkpoint of a baseline loads into a graph
   with more parameters (a DisCo-Diff model started from the baseline's
   U-Net), bit for bit, weights or EMA, leaving the graph's other parameters
   as they were; a tensor the graph lacks or holds in another shape, a
   missing /ema and a damaged value are fatal, naming the file and the
   tensors. */
#include <stdlib.h>
#include <string.h>

#include "disco/checkpoint.h"
#include "fatal_check.h"
#include "h5_edit.h"
#include "testutil.h"

static const char *const CROSS_Q = "model.enc.block0.cross_attn.q.weight";
static const char *const ENCODER_HEAD = "encoder.head.weight";

/* Parameters only, as that is all a checkpoint holds: the baseline's, and
   with `larger` the new parts of a DisCo-Diff model beside them. */
static Graph *build(uint64_t seed, bool larger, int conv_out) {
    Graph *g = graph_create(backend_cpu(), seed);
    Init init = {INIT_NORMAL, 1.0f, 0};
    if (larger) graph_param(g, ENCODER_HEAD, 2, (int[]){5, 3}, init);
    graph_param(g, "model.enc.block0.conv0.weight", 4, (int[]){conv_out, 3, 3, 2}, init);
    graph_param(g, "model.enc.block0.conv0.bias", 1, (int[]){conv_out}, init);
    if (larger) graph_param(g, CROSS_Q, 4, (int[]){4, 1, 1, 4}, init);
    graph_param(g, "model.map_label.weight", 2, (int[]){6, 3}, init);
    graph_compile(g);
    return g;
}

static float *param_data(const Graph *g, const char *name) {
    int id = graph_find_param(g, name);
    ck_assert_msg(id >= 0, "no parameter '%s'", name);
    return graph_data(g, id);
}

/* Saves the baseline with random weights and EMA (different values). */
static Graph *save_baseline(Path path, const char *name, float **ema) {
    scratch_path(path, name);
    Graph *g = build(1, false, 4);
    size_t n;
    float *params = graph_params(g, &n);
    fill_normal(params, n, 1, 1.0f);
    *ema = alloc_normal(n, 2, 1.0f);
    checkpoint_save(path, g, *ema, &(CheckpointInfo){.step = 7});
    return g;
}

/* Every parameter of `from` (values laid out like from's parameters) equals
   the same-named one of g. */
static void assert_loaded(const Graph *g, const Graph *from, const float *values) {
    for (int k = 0; k < graph_param_count(from); k++) {
        int id = graph_param_id(from, k);
        const char *name = graph_name(from, id);
        ck_assert_msg(memcmp(param_data(g, name), values + graph_param_offset(from, id),
                             graph_numel(from, id) * sizeof(float)) == 0,
                      "%s differs", name);
    }
}

static float *copy_of(const Graph *g, const char *name) {
    size_t bytes = graph_numel(g, graph_find_param(g, name)) * sizeof(float);
    float *copy = malloc(bytes);
    memcpy(copy, param_data(g, name), bytes);
    return copy;
}

static void assert_untouched(const Graph *g, const char *name, const float *before) {
    size_t bytes = graph_numel(g, graph_find_param(g, name)) * sizeof(float);
    ck_assert_msg(memcmp(param_data(g, name), before, bytes) == 0, "%s changed", name);
}

static void check_load(bool use_ema) {
    Path path;
    float *ema;
    Graph *base = save_baseline(path, use_ema ? "ema.h5" : "params.h5", &ema);
    Graph *g = build(2, true, 4);
    float *head = copy_of(g, ENCODER_HEAD), *cross = copy_of(g, CROSS_Q);
    ck_assert_int_eq(checkpoint_load_subset(path, g, use_ema), graph_param_count(base));
    assert_loaded(g, base, use_ema ? ema : graph_params(base, NULL));
    assert_untouched(g, ENCODER_HEAD, head);
    assert_untouched(g, CROSS_Q, cross);
    free(head);
    free(cross);
    free(ema);
    graph_destroy(g);
    graph_destroy(base);
}

START_TEST(weights_load_into_a_larger_graph) { check_load(false); }
END_TEST

START_TEST(ema_loads_as_the_weights) { check_load(true); }
END_TEST

START_TEST(same_graph_loads_whole) {
    Path path;
    float *ema;
    Graph *base = save_baseline(path, "same.h5", &ema);
    Graph *g = build(3, false, 4);
    ck_assert_int_eq(checkpoint_load_subset(path, g, false), graph_param_count(g));
    assert_loaded(g, base, graph_params(base, NULL));
    free(ema);
    graph_destroy(g);
    graph_destroy(base);
}
END_TEST

START_TEST(tensor_the_graph_lacks_is_fatal) {
    Path path;
    scratch_path(path, "larger.h5");
    Graph *larger = build(1, true, 4);
    checkpoint_save(path, larger, NULL, &(CheckpointInfo){0});
    Graph *g = build(2, false, 4);
    expect_fatal_mentioning(path, "'encoder.head.weight' (under /params) is not one of the model's",
                            "2 mismatches in all, the first 2 listed above");
    checkpoint_load_subset(path, g, false);
}
END_TEST

START_TEST(reshaped_tensor_is_fatal) {
    Path path;
    float *ema;
    save_baseline(path, "reshaped.h5", &ema);
    Graph *g = build(2, true, 5);
    expect_fatal_mentioning(path, "'model.enc.block0.conv0.bias' (under /params) has another shape",
                            "than the model's [5] (2 mismatches");
    checkpoint_load_subset(path, g, false);
}
END_TEST

START_TEST(missing_ema_is_fatal) {
    Path path;
    scratch_path(path, "no_ema.h5");
    Graph *base = build(1, false, 4);
    checkpoint_save(path, base, NULL, &(CheckpointInfo){0});
    Graph *g = build(2, true, 4);
    expect_fatal_mentioning(path, "no /ema group", NULL);
    checkpoint_load_subset(path, g, true);
}
END_TEST

START_TEST(damaged_value_is_fatal) {
    Path path;
    float *ema;
    save_baseline(path, "damaged.h5", &ema);
    float changed = 12345.0f;
    edit_overwrite(path, "/params/model.enc.block0.conv0.bias", 1, &changed, H5T_NATIVE_FLOAT);
    Graph *g = build(2, true, 4);
    expect_fatal_mentioning(path, "crc32 mismatch in /params/model.enc.block0.conv0.bias", NULL);
    checkpoint_load_subset(path, g, false);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("checkpoint_subset");
    TCase *tc = tcase_create("checkpoint_subset");
    tcase_add_test(tc, weights_load_into_a_larger_graph);
    tcase_add_test(tc, ema_loads_as_the_weights);
    tcase_add_test(tc, same_graph_loads_whole);
    tcase_add_exit_test(tc, tensor_the_graph_lacks_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, reshaped_tensor_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, missing_ema_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, damaged_value_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
