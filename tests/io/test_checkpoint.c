/* HDF5 checkpoints: parameters and EMA come back bit-identical by name, the
   EMA can stand in for the parameters, and a checkpoint that does not fit
   the graph (a renamed or reshaped parameter, a cut or foreign file) is
   fatal with a message naming the parameter and the file. Training
   checkpoints bring back the whole state bit for bit; a damaged byte
   anywhere is caught by the checksums, by the loader (fatal, naming the
   dataset) and by checkpoint_is_sound (false, never a crash); a checkpoint
   directory keeps the newest N and resumes from the newest sound file. */
#include "disco/checkpoint.h"

#include <dirent.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fatal_check.h"
#include "file_fuzz.h"
#include "h5_edit.h"
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
    float *params = graph_params(g, &n); /* before n is read */
    fill_normal(params, n, 1, 1.0f);
    if (ema) *ema = alloc_normal(n, 2, 1.0f);
    CheckpointInfo info = {.step = 1234, .images_seen = 567890, .config_yaml = "train:\n  lr: 0.001\n"};
    checkpoint_save(path, g, ema ? *ema : NULL, &info);
    return g;
}

static void cut_in_half(const char *path) {
    struct stat info;
    ck_assert_int_eq(stat(path, &info), 0);
    ck_assert_int_eq(truncate(path, info.st_size / 2), 0);
}

/* Flips one bit of one float of a dataset in the file itself, as a failing
   disk would; HDF5 stores these small datasets contiguously. */
static void flip_bit_in_dataset(const char *path, const char *dataset) {
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t set = H5Dopen2(file, dataset, H5P_DEFAULT);
    ck_assert_int_ge(set, 0);
    haddr_t offset = H5Dget_offset(set);
    ck_assert(offset != HADDR_UNDEF);
    H5Dclose(set);
    H5Fclose(file);
    FILE *f = fopen(path, "r+b");
    ck_assert_int_eq(fseek(f, (long)offset + 2, SEEK_SET), 0);
    int byte = fgetc(f);
    ck_assert_int_eq(fseek(f, (long)offset + 2, SEEK_SET), 0);
    ck_assert_int_eq(fputc(byte ^ 0x10, f), byte ^ 0x10);
    ck_assert_int_eq(fclose(f), 0);
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
    float *params = graph_params(g, &n); /* before n is read */
    fill_normal(params, n, 9, 1.0f);
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
    cut_in_half(path);
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

/* ---- checksums ---- */

START_TEST(damaged_parameter_is_fatal) {
    Path path;
    save_reference(path, "damaged.h5", NULL);
    flip_bit_in_dataset(path, "/params/dec.out.proj.weight");
    Graph *g = build_standard(2);
    expect_fatal_mentioning(path, "crc32 mismatch in /params/dec.out.proj.weight", NULL);
    checkpoint_load(path, g, NULL, 0);
}
END_TEST

START_TEST(changed_attribute_is_fatal) {
    Path path;
    save_reference(path, "changed.h5", NULL);
    edit_int_attribute(path, "step", 99);
    Graph *g = build_standard(2);
    expect_fatal_mentioning(path, "root crc32 mismatch", NULL);
    checkpoint_load(path, g, NULL, 0);
}
END_TEST

START_TEST(other_version_is_fatal) {
    Path path;
    save_reference(path, "version.h5", NULL);
    edit_int_attribute(path, "format_version", 1);
    Graph *g = build_standard(2);
    expect_fatal_mentioning(path, "format version 1", "reads version 2");
    checkpoint_load(path, g, NULL, 0);
}
END_TEST

/* ---- the training state ---- */

static TrainProgress progress_at(uint64_t step) {
    return (TrainProgress){.step = step,
                           .images_seen = step * 128 + 5,
                           .data_cursor = step * 128 + 3,
                           .seed = 0xfedcba9876543210ull,
                           .adam_step = step - 1,
                           .world_size = 8,
                           .config_yaml = "train:\n  lr: 0.0002\n  seed: 7\n"};
}

typedef struct {
    Graph *g;
    TrainBuffers buffers;
} TrainState;

/* Random parameters and buffers, the same for the same tag. */
static TrainState random_state(uint32_t tag) {
    TrainState s = {.g = build_standard(tag)};
    size_t n;
    float *params = graph_params(s.g, &n); /* before n is read */
    fill_normal(params, n, tag, 1.0f);
    s.buffers = (TrainBuffers){alloc_normal(n, tag + 1, 1.0f), alloc_normal(n, tag + 2, 0.1f),
                               alloc_normal(n, tag + 3, 0.01f)};
    /* Bit patterns a conversion would not keep: -0, a denormal, infinity
       and a NaN with a payload (the first parameter starts at offset 0). */
    const uint32_t special[] = {0x80000000u, 0x00000001u, 0x7f800000u, 0x7fc12345u};
    memcpy(s.buffers.adam_v, special, sizeof special);
    return s;
}

static TrainState zero_state(void) {
    TrainState s = {.g = build_standard(99)};
    size_t n;
    graph_params(s.g, &n);
    s.buffers = (TrainBuffers){alloc_zeros(n), alloc_zeros(n), alloc_zeros(n)};
    return s;
}

static void free_state(TrainState *s) {
    free(s->buffers.ema);
    free(s->buffers.adam_m);
    free(s->buffers.adam_v);
    graph_destroy(s->g);
}

static bool same_tensors(const Graph *g, const float *a, const float *b) {
    for (int k = 0; k < graph_param_count(g); k++) {
        int id = graph_param_id(g, k);
        size_t offset = graph_param_offset(g, id);
        if (memcmp(a + offset, b + offset, graph_numel(g, id) * sizeof(float)) != 0) return false;
    }
    return true;
}

static bool same_state(const TrainState *a, const TrainState *b) {
    return same_tensors(a->g, graph_params(a->g, NULL), graph_params(b->g, NULL)) &&
           same_tensors(a->g, a->buffers.ema, b->buffers.ema) &&
           same_tensors(a->g, a->buffers.adam_m, b->buffers.adam_m) &&
           same_tensors(a->g, a->buffers.adam_v, b->buffers.adam_v);
}

static bool same_progress(const TrainProgress *a, const TrainProgress *b) {
    return a->step == b->step && a->images_seen == b->images_seen && a->data_cursor == b->data_cursor &&
           a->seed == b->seed && a->adam_step == b->adam_step && a->world_size == b->world_size &&
           (a->config_yaml && b->config_yaml ? strcmp(a->config_yaml, b->config_yaml) == 0
                                             : a->config_yaml == b->config_yaml);
}

static void save_training_reference(Path path, const char *name) {
    scratch_path(path, name);
    TrainState s = random_state(1);
    TrainProgress progress = progress_at(4321);
    checkpoint_save_training(path, s.g, &s.buffers, &progress);
    free_state(&s);
}

/* Whether path loads into `back` as `want` and progress_at(4321), bit for bit. */
static bool loads_as(const char *path, const TrainState *want, TrainState *back) {
    TrainProgress want_progress = progress_at(4321), progress = {0};
    checkpoint_load_training(path, back->g, &back->buffers, &progress);
    bool same = same_state(want, back) && same_progress(&want_progress, &progress);
    free(progress.config_yaml);
    return same;
}

START_TEST(training_state_round_trips) {
    Path path;
    save_training_reference(path, "training.h5");
    TrainState want = random_state(1), back = zero_state();
    ck_assert(loads_as(path, &want, &back));
    free_state(&want);

    /* Without the configuration or Adam's moments. */
    TrainState s = random_state(5);
    TrainProgress progress = progress_at(8), loaded = {0};
    progress.config_yaml = NULL;
    checkpoint_save_training(path, s.g, &(TrainBuffers){.ema = s.buffers.ema}, &progress);
    checkpoint_load_training(path, back.g, &(TrainBuffers){.ema = back.buffers.ema}, &loaded);
    ck_assert(same_progress(&progress, &loaded));
    ck_assert(same_tensors(s.g, graph_params(s.g, NULL), graph_params(back.g, NULL)));
    ck_assert(same_tensors(s.g, s.buffers.ema, back.buffers.ema));
    free_state(&back);
    free_state(&s);
}
END_TEST

START_TEST(damaged_moment_is_fatal) {
    Path path;
    save_training_reference(path, "damaged_moment.h5");
    flip_bit_in_dataset(path, "/adam/m/enc.block0.conv.weight");
    TrainState back = zero_state();
    TrainProgress progress;
    expect_fatal_mentioning(path, "crc32 mismatch in /adam/m/enc.block0.conv.weight", NULL);
    checkpoint_load_training(path, back.g, &back.buffers, &progress);
}
END_TEST

START_TEST(stage_checkpoint_does_not_resume) {
    Path path;
    save_reference(path, "stage.h5", NULL);
    TrainState back = zero_state();
    TrainProgress progress;
    expect_fatal_mentioning(path, "holds no training state", NULL);
    checkpoint_load_training(path, back.g, &back.buffers, &progress);
}
END_TEST

/* ---- soundness ---- */

START_TEST(damaged_dataset_is_unsound) {
    Path path;
    char why[512] = "unchanged";
    save_training_reference(path, "unsound.h5");
    ck_assert_msg(checkpoint_is_sound(path, why, sizeof why), "%s", why);
    ck_assert_str_eq(why, "");
    flip_bit_in_dataset(path, "/adam/v/logit_scale");
    ck_assert(!checkpoint_is_sound(path, why, sizeof why));
    ck_assert_msg(strncmp(why, "crc32 mismatch in /adam/v/logit_scale (stored 0x", 48) == 0, "why: %s", why);
}
END_TEST

START_TEST(unreadable_files_are_unsound) {
    Path path;
    char why[512];
    save_training_reference(path, "cut_training.h5");
    cut_in_half(path);
    ck_assert(!checkpoint_is_sound(path, why, sizeof why));
    ck_assert_msg(strstr(why, "truncated"), "why: %s", why);

    scratch_path(path, "nowhere.h5");
    ck_assert(!checkpoint_is_sound(path, why, sizeof why));
    ck_assert_msg(strstr(why, "No such file"), "why: %s", why);

    write_text(path, "text.h5", "not a checkpoint\n");
    ck_assert(!checkpoint_is_sound(path, NULL, 0));
}
END_TEST

/* A FIFO that no one writes to blocks its reader, as a hung file system
   does. */
START_TEST(file_that_never_answers_is_unsound) {
    Path path;
    char why[512];
    scratch_path(path, "fifo.h5");
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert(!checkpoint_is_sound(path, why, sizeof why));
    ck_assert_msg(strstr(why, "still reading it after 20 s"), "why: %s", why);
}
END_TEST

/* ---- a checkpoint directory ---- */

/* The names in dir, sorted, each followed by a space. */
static void list_names(const char *dir, char *names, size_t size) {
    struct dirent **entries;
    int count = scandir(dir, &entries, NULL, alphasort);
    ck_assert_int_ge(count, 0);
    names[0] = '\0';
    for (int i = 0; i < count; i++) {
        if (entries[i]->d_name[0] != '.')
            snprintf(names + strlen(names), size - strlen(names), "%s ", entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
}

static void save_steps_in(const char *dir, int keep, const uint64_t *steps, int count) {
    TrainState s = random_state(3);
    for (int i = 0; i < count; i++) {
        TrainProgress progress = progress_at(steps[i]);
        checkpoint_save_in(dir, keep, s.g, &s.buffers, &progress);
    }
    free_state(&s);
}

static void touch(const char *dir, const char *name) {
    char path[sizeof(Path) + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert(f && fclose(f) == 0);
}

START_TEST(save_in_keeps_the_newest) {
    Path dir;
    char names[1024];
    scratch_path(dir, "keep");
    save_steps_in(dir, 3, (uint64_t[]){10}, 1);
    list_names(dir, names, sizeof names);
    ck_assert_str_eq(names, "checkpoint-000000000010.h5 ");

    /* What a crash mid-save leaves, and files that are not checkpoints. */
    touch(dir, "checkpoint-7.h5.tmp");
    touch(dir, "checkpoint-999999.h5.tmp");
    touch(dir, "checkpoint-latest.h5");
    touch(dir, "notes.txt");
    save_steps_in(dir, 3, (uint64_t[]){20, 30, 40, 50}, 4);
    list_names(dir, names, sizeof names);
    ck_assert_str_eq(names, "checkpoint-000000000030.h5 checkpoint-000000000040.h5 checkpoint-000000000050.h5 "
                            "checkpoint-999999.h5.tmp checkpoint-latest.h5 notes.txt ");
}
END_TEST

START_TEST(save_in_leaves_later_steps_alone) {
    Path dir;
    char names[1024];
    scratch_path(dir, "resumed_earlier");
    save_steps_in(dir, 2, (uint64_t[]){100, 10, 20, 30}, 4);
    list_names(dir, names, sizeof names);
    ck_assert_str_eq(names, "checkpoint-000000000020.h5 checkpoint-000000000030.h5 checkpoint-000000000100.h5 ");
}
END_TEST

static void read_text(const char *path, char *text, size_t size) {
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    text[fread(text, 1, size - 1, f)] = '\0';
    fclose(f);
}

START_TEST(find_latest_passes_over_damaged_checkpoints) {
    Path dir, newest, cut, warnings;
    char found[1024], text[4096];
    scratch_path(dir, "resume");
    save_steps_in(dir, 0, (uint64_t[]){10, 20, 30}, 3);
    touch(dir, "checkpoint-000000000040.h5.tmp");
    checkpoint_path_for_step(dir, 30, newest, sizeof newest);
    checkpoint_path_for_step(dir, 20, cut, sizeof cut);
    ck_assert(checkpoint_find_latest(dir, found, sizeof found));
    ck_assert_str_eq(found, newest);
    flip_bit_in_dataset(newest, "/params/enc.norm.weight");
    cut_in_half(cut);

    scratch_path(warnings, "warnings.txt");
    ck_assert_ptr_nonnull(freopen(warnings, "w", stderr));
    ck_assert(checkpoint_find_latest(dir, found, sizeof found));
    fflush(stderr);
    checkpoint_path_for_step(dir, 10, newest, sizeof newest);
    ck_assert_str_eq(found, newest);

    read_text(warnings, text, sizeof text);
    char *first = strstr(text, "checkpoint-000000000030.h5': crc32 mismatch in /params/enc.norm.weight");
    char *second = strstr(text, "checkpoint-000000000020.h5': ");
    ck_assert_msg(first && second && first < second && strstr(second, "truncated"), "warnings: %s", text);
}
END_TEST

START_TEST(find_latest_without_checkpoints) {
    Path dir;
    char found[1024];
    scratch_path(dir, "never_made");
    ck_assert(!checkpoint_find_latest(dir, found, sizeof found));

    scratch_path(dir, "empty");
    ck_assert_int_eq(mkdir(dir, 0777), 0);
    ck_assert(!checkpoint_find_latest(dir, found, sizeof found));

    touch(dir, "notes.txt");
    touch(dir, "checkpoint-000000000005.h5.tmp");
    touch(dir, "checkpoint-000000000004.h5"); /* empty: not sound */
    ck_assert(!checkpoint_find_latest(dir, found, sizeof found));
}
END_TEST

/* ---- fuzz ---- */

/* What the fuzzed file must load back as, and where it loads into: made
   before the fuzz forks, since OpenMP, which initialising them uses, does
   not survive a fork. */
static TrainState fuzz_want, fuzz_back;

static DISCO_NORETURN void load_failed_after_sound(int exit_code) { _exit(5); }

/* A sound file must load, and load as written. */
static bool loads_back_when_sound(const char *path) {
    char why[512];
    if (!checkpoint_is_sound(path, why, sizeof why)) DISCO_FATAL("'%s' is not sound: %s", path, why);
    disco_set_abort_hook(load_failed_after_sound);
    return loads_as(path, &fuzz_want, &fuzz_back);
}

START_TEST(cut_and_corrupted_checkpoints_are_unsound) {
    Path good, bad;
    save_training_reference(good, "fuzz_good.h5");
    scratch_path(bad, "fuzz_bad.h5");
    fuzz_want = random_state(1);
    fuzz_back = zero_state();
    int unchanged = fuzz_file(good, bad, 256, loads_back_when_sound);
    fprintf(stdout, "fuzz: %d of 256 flips loaded back unchanged, the rest were unsound\n", unchanged);
    free_state(&fuzz_back);
    free_state(&fuzz_want);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, parameters_and_ema_round_trip);
    tcase_add_test(tc, use_ema_loads_the_ema_weights);
    tcase_add_test(tc, saving_again_replaces_the_file);
    tcase_add_exit_test(tc, renamed_parameter_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, reshaped_parameter_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, missing_ema_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, truncated_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, foreign_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, missing_file_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, damaged_parameter_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, changed_attribute_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, other_version_is_fatal, EXIT_FAILURE);
    tcase_add_test(tc, training_state_round_trips);
    tcase_add_exit_test(tc, damaged_moment_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, stage_checkpoint_does_not_resume, EXIT_FAILURE);
    tcase_add_test(tc, damaged_dataset_is_unsound);
    tcase_add_test(tc, unreadable_files_are_unsound);
    tcase_add_test(tc, file_that_never_answers_is_unsound);
    tcase_add_test(tc, save_in_keeps_the_newest);
    tcase_add_test(tc, save_in_leaves_later_steps_alone);
    tcase_add_test(tc, find_latest_passes_over_damaged_checkpoints);
    tcase_add_test(tc, find_latest_without_checkpoints);
    tcase_add_test(tc, cut_and_corrupted_checkpoints_are_unsound);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
