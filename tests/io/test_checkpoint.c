/* HDF5 checkpoints: parameters and EMA come back bit-identical by name, the
   EMA can stand in for the parameters, and a checkpoint that does not fit
   the graph (a renamed or reshaped parameter, a cut or foreign file) is
   fatal with a message naming the parameter and the file. */
#include "disco/checkpoint.h"

#include <stdlib.h>
#include <string.h>

#include "fatal_check.h"
#include "testutil.h"

static const char *const PROJ = "dec.out.proj.weight";

/* A graph of parameters only, as that is all a checkpoint holds: dotted
   names from scopes, one to four dimensions. The last parameter's name and
   shape can be changed to make a graph the checkpoint does not fit. */
static Graph *build(uint64_t seed, const char *proj_name, int proj_rows) {
    Graph *g = graph_create(backend_cpu(), seed);
    Init init = {INIT_NORMAL, 1.0f, 0};
    graph_push_scope(g, "enc");
    graph_push_scope(g, "block0");
    graph_param(g, "conv.weight", 4, (int[]){4, 3, 3, 2}, init);
    graph_param(g, "conv.bias", 1, (int[]){4}, init);
    graph_pop_scope(g);
    graph_pop_scope(g);
    graph_param(g, "logit_scale", 1, (int[]){1}, init);
    graph_param(g, "enc.norm.weight", 3, (int[]){2, 1, 3}, init);
    graph_param(g, proj_name, 2, (int[]){proj_rows, 20 / proj_rows}, init);
    graph_compile(g);
    return g;
}

static Graph *build_standard(uint64_t seed) { return build(seed, PROJ, 5); }

/* Bit-identical over every parameter; the padding between them in the flat
   layout is not part of a checkpoint. */
static void assert_same_params(const Graph *g, const float *a, const float *b) {
    for (int k = 0; k < graph_param_count(g); k++) {
        int id = graph_param_id(g, k);
        size_t offset = graph_param_offset(g, id);
        ck_assert_msg(memcmp(a + offset, b + offset, graph_numel(g, id) * sizeof(float)) == 0, "%s differs",
                      graph_name(g, id));
    }
}

/* Saves a graph with known random parameters (and EMA) under `name`. */
static Graph *save_reference(Path path, const char *name, float **ema) {
    scratch_path(path, name);
    Graph *g = build_standard(1);
    size_t n;
    fill_normal(graph_params(g, &n), n, 1, 1.0f);
    if (ema) *ema = alloc_normal(n, 2, 1.0f);
    CheckpointInfo info = {.step = 1234, .images_seen = 567890, .config_yaml = "train:\n  lr: 0.001\n"};
    checkpoint_save(path, g, ema ? *ema : NULL, &info);
    return g;
}

START_TEST(parameters_and_ema_round_trip) {
    Path path, tmp;
    float *ema;
    Graph *saved = save_reference(path, "round_trip.h5", &ema);
    scratch_path(tmp, "round_trip.h5.tmp");
    ck_assert_int_ne(access(tmp, F_OK), 0);

    Graph *g = build_standard(2);
    size_t n;
    graph_params(g, &n);
    float *ema_back = alloc_zeros(n);
    ck_assert_uint_eq(checkpoint_load(path, g, ema_back, 0), 1234);
    assert_same_params(g, graph_params(g, NULL), graph_params(saved, NULL));
    assert_same_params(g, ema_back, ema);

    /* The file is plain HDF5 that other tools read. */
    if (access("/usr/bin/h5dump", X_OK) == 0) {
        Path dump;
        scratch_path(dump, "dump.txt");
        char command[1200];
        snprintf(command, sizeof command, "h5dump -H '%s' > '%s'", path, dump);
        ck_assert_int_eq(system(command), 0);
        FILE *f = fopen(dump, "r");
        char text[16384];
        text[fread(text, 1, sizeof text - 1, f)] = '\0';
        fclose(f);
        ck_assert_ptr_nonnull(strstr(text, "DATASET \"enc.block0.conv.weight\""));
        ck_assert_ptr_nonnull(strstr(text, "( 4, 3, 3, 2 )"));
        ck_assert_ptr_nonnull(strstr(text, "ATTRIBUTE \"images_seen\""));
        ck_assert_ptr_nonnull(strstr(text, "ATTRIBUTE \"config\""));
    }
    free(ema_back);
    free(ema);
    graph_destroy(g);
    graph_destroy(saved);
}
END_TEST

START_TEST(use_ema_loads_the_ema_weights) {
    Path path;
    float *ema;
    Graph *saved = save_reference(path, "ema.h5", &ema);
    Graph *g = build_standard(3);
    checkpoint_load(path, g, NULL, 1);
    assert_same_params(g, graph_params(g, NULL), ema);
    free(ema);
    graph_destroy(g);
    graph_destroy(saved);
}
END_TEST

START_TEST(saving_again_replaces_the_file) {
    Path path;
    Graph *g = save_reference(path, "again.h5", NULL);
    size_t n;
    fill_normal(graph_params(g, &n), n, 9, 1.0f);
    checkpoint_save(path, g, NULL, &(CheckpointInfo){.step = 7});
    Graph *back = build_standard(4);
    ck_assert_uint_eq(checkpoint_load(path, back, NULL, 0), 7);
    assert_same_params(g, graph_params(back, NULL), graph_params(g, NULL));
    graph_destroy(back);
    graph_destroy(g);
}
END_TEST

/* ---- checkpoints that do not fit ---- */

START_TEST(renamed_parameter_is_fatal) {
    Path path;
    save_reference(path, "renamed.h5", NULL);
    Graph *g = build(2, "dec.out.proj.weights", 5);
    expect_fatal_mentioning(path, "no parameter 'dec.out.proj.weights'", NULL);
    checkpoint_load(path, g, NULL, 0);
}
END_TEST

START_TEST(reshaped_parameter_is_fatal) {
    Path path;
    save_reference(path, "reshaped.h5", NULL);
    Graph *g = build(2, PROJ, 4);
    expect_fatal_mentioning(path, "'dec.out.proj.weight' (under /params) has shape [5, 4]", "graph's is [4, 5]");
    checkpoint_load(path, g, NULL, 0);
}
END_TEST

START_TEST(missing_ema_is_fatal) {
    Path path;
    save_reference(path, "no_ema.h5", NULL);
    Graph *g = build_standard(2);
    expect_fatal_mentioning(path, "no /ema group", NULL);
    checkpoint_load(path, g, NULL, 1);
}
END_TEST

START_TEST(truncated_file_is_fatal) {
    Path path;
    save_reference(path, "cut.h5", NULL);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ck_assert_int_eq(truncate(path, size / 2), 0);
    Graph *g = build_standard(2);
    expect_fatal_mentioning(path, "truncated", NULL);
    checkpoint_load(path, g, NULL, 0);
}
END_TEST

START_TEST(foreign_file_is_fatal) {
    Path path;
    write_text(path, "notes.h5", "not a checkpoint\n");
    Graph *g = build_standard(2);
    expect_fatal_mentioning(path, "not an HDF5 file", NULL);
    checkpoint_load(path, g, NULL, 0);
}
END_TEST

START_TEST(missing_file_is_fatal) {
    Path path;
    scratch_path(path, "absent.h5");
    Graph *g = build_standard(2);
    expect_fatal_mentioning(path, "No such file", NULL);
    checkpoint_load(path, g, NULL, 0);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_add_test(tc, parameters_and_ema_round_trip);
    tcase_add_test(tc, use_ema_loads_the_ema_weights);
    tcase_add_test(tc, saving_again_replaces_the_file);
    tcase_add_exit_test(tc, renamed_parameter_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, reshaped_parameter_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, missing_ema_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, truncated_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, foreign_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, missing_file_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
