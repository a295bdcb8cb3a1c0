/* The YAML configuration: defaults, a file, --set overrides, the written
   file reading back to the same values, and every kind of bad input ending
   the program with a message that names the key, the value and the file. */
#include "disco/config.h"

#include <stdlib.h>
#include <string.h>

#include "fatal_check.h"
#include "testutil.h"

static const ConfigField schema[] = {
    {"seed", CONFIG_INT, "1", "seed of every random stream"},
    {"name", CONFIG_STRING, "toy", "run name"},
    {"train.lr", CONFIG_FLOAT, "0.001", "peak learning rate"},
    {"train.steps", CONFIG_INT, "1000", "training steps"},
    {"train.ema", CONFIG_BOOL, "true", "keep EMA weights"},
    {"data.path", CONFIG_STRING, "", "where the data lives\n(a directory)"},
    {"data.batch", CONFIG_INT, "32", "images per step"},
    /* train again after data: the written file must still group it */
    {"train.warmup", CONFIG_FLOAT, "1e3", "images of learning-rate warm-up"},
};
static const int n_fields = sizeof schema / sizeof schema[0];

static Config *load_text(const char *text) {
    Path path;
    write_text(path, "config.yaml", text);
    return config_load(path, schema, n_fields);
}

START_TEST(defaults_without_a_file) {
    Config *c = config_load(NULL, schema, n_fields);
    ck_assert_int_eq(config_int(c, "seed"), 1);
    ck_assert_str_eq(config_string(c, "name"), "toy");
    ck_assert_double_eq(config_float(c, "train.lr"), 0.001);
    ck_assert(config_bool(c, "train.ema"));
    ck_assert_str_eq(config_string(c, "data.path"), "");
    ck_assert_double_eq(config_float(c, "train.warmup"), 1000.0);
    config_free(c);
}
END_TEST

START_TEST(file_values_override_defaults) {
    Config *c = load_text("# an experiment\n"
                          "seed: -7\n"
                          "train:\n"
                          "  lr: 2e-4   # fractions and exponents\n"
                          "  ema: false\n"
                          "data:\n"
                          "  path: '/data/fmnist'\n");
    ck_assert_int_eq(config_int(c, "seed"), -7);
    ck_assert_double_eq(config_float(c, "train.lr"), 2e-4);
    ck_assert(!config_bool(c, "train.ema"));
    ck_assert_str_eq(config_string(c, "data.path"), "/data/fmnist");
    ck_assert_int_eq(config_int(c, "train.steps"), 1000); /* untouched: default */
    config_free(c);
}
END_TEST

/* The kind of experiment is read before any schema: only a top-level
   scalar answers, whatever else the file holds. */
START_TEST(peek_reads_a_top_level_scalar_only) {
    Path path;
    write_text(path, "kind.yaml", "model:\n  kind: nested\nunknown_field: 3\nkind: image\n");
    char *kind = config_peek_top_level(path, "kind");
    ck_assert_str_eq(kind, "image");
    free(kind);
    ck_assert_ptr_null(config_peek_top_level(path, "preset"));
    write_text(path, "no_kind.yaml", "model:\n  kind: nested\n");
    ck_assert_ptr_null(config_peek_top_level(path, "kind"));
    write_text(path, "empty.yaml", "# comments only\n");
    ck_assert_ptr_null(config_peek_top_level(path, "kind"));
}
END_TEST

START_TEST(comments_only_file_gives_defaults) {
    Config *c = load_text("# nothing set yet\n");
    ck_assert_int_eq(config_int(c, "data.batch"), 32);
    config_free(c);
    /* A section whose fields are all commented out is empty, not null. */
    c = load_text("train:\n  # lr: 0.1\ndata:\n");
    ck_assert_double_eq(config_float(c, "train.lr"), 0.001);
    config_free(c);
}
END_TEST

START_TEST(set_overrides_the_file) {
    Config *c = load_text("train:\n  steps: 5\n");
    config_set(c, "train.steps=9");
    config_set(c, "name=a=b"); /* only the first '=' separates */
    config_set(c, "train.lr=3");
    ck_assert_int_eq(config_int(c, "train.steps"), 9);
    ck_assert_str_eq(config_string(c, "name"), "a=b");
    ck_assert_double_eq(config_float(c, "train.lr"), 3.0);
    config_free(c);
}
END_TEST

static char *read_text(const char *path) {
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

START_TEST(written_file_reads_back_the_same) {
    Config *c = load_text("train:\n  lr: 1.5e-3\n");
    /* Strings that YAML would read as other types or mangle, unquoted. */
    config_set(c, "name=true");
    config_set(c, "data.path=say \"hi\" \\ #1: [x]");
    config_set(c, "seed=123456789012");
    Path path, tmp;
    scratch_path(path, "written.yaml");
    scratch_path(tmp, "written.yaml.tmp");
    config_write(c, path);
    ck_assert_int_ne(access(tmp, F_OK), 0);

    Config *back = config_load(path, schema, n_fields);
    for (int i = 0; i < n_fields; i++) {
        const char *key = schema[i].key;
        switch (schema[i].type) {
        case CONFIG_INT: ck_assert_int_eq(config_int(back, key), config_int(c, key)); break;
        case CONFIG_FLOAT: ck_assert_double_eq(config_float(back, key), config_float(c, key)); break;
        case CONFIG_BOOL: ck_assert_int_eq(config_bool(back, key), config_bool(c, key)); break;
        case CONFIG_STRING: ck_assert_str_eq(config_string(back, key), config_string(c, key)); break;
        }
    }
    const char *text = read_text(path);
    ck_assert_ptr_nonnull(strstr(text, "  # peak learning rate\n  lr: 1.5e-3\n"));
    ck_assert_ptr_nonnull(strstr(text, "  # where the data lives\n  # (a directory)\n"));
    const char *train = strstr(text, "\ntrain:\n");
    ck_assert_ptr_nonnull(train);
    ck_assert_ptr_null(strstr(train + 1, "\ntrain:\n")); /* one section, even with warmup last */
    ck_assert_ptr_nonnull(strstr(train, "warmup: 1e3"));
    config_free(back);
    config_free(c);
}
END_TEST

START_TEST(schema_prints_every_key) {
    Path path;
    scratch_path(path, "schema.txt");
    FILE *f = fopen(path, "w");
    config_print_schema(f, schema, n_fields);
    fclose(f);
    const char *text = read_text(path);
    for (int i = 0; i < n_fields; i++) ck_assert_ptr_nonnull(strstr(text, schema[i].key));
    ck_assert_ptr_nonnull(strstr(text, "images per step"));
}
END_TEST

/* ---- a bad file is fatal, and the message names the file and the rest ---- */

typedef struct {
    const char *yaml;
    const char *mentions[2]; /* besides the file's path */
} BadFile;

static const BadFile bad_files[] = {
    {"train:\n  lrr: 0.1\n", {"line 2: unknown key 'train.lrr'", "did you mean 'train.lr'"}},
    {"trian:\n  lr: 0.1\n", {"unknown key 'trian.lr'", "did you mean 'train.lr'"}},
    {"bogus: 1\n", {"line 1: unknown key 'bogus'", NULL}},
    {"seed:\n", {"seed = '' is not a valid int", NULL}},
    {"train:\n  steps: 1e3\n", {"line 2", "train.steps = '1e3' is not a valid int"}},
    {"train:\n  steps: 1_000\n", {"train.steps", "'1_000'"}},
    {"train:\n  steps: 0x10\n", {"train.steps", "'0x10'"}},
    {"train:\n  steps: 99999999999999999999999\n", {"train.steps", "99999999999999999999999"}},
    {"train:\n  lr: fast\n", {"line 2", "train.lr = 'fast' is not a valid float"}},
    {"train:\n  lr: inf\n", {"train.lr", "'inf'"}},
    {"train:\n  ema: yes\n", {"train.ema = 'yes'", "true or false"}},
    {"seed: 1\nseed: 2\n", {"line 2: duplicate key 'seed'", "first at line 1"}},
    {"train:\n  lr: 0.1\n  lr: 0.2\n", {"line 3: duplicate key 'lr'", NULL}},
    {"train:\n  lr: 0.1\ndata:\n  batch: 2\ntrain:\n  steps: 3\n", {"line 5: duplicate key 'train'", NULL}},
    {"train:\n  opt:\n    beta: 0.9\n", {"line 2", "'train.opt' nests deeper"}},
    {"train:\n  steps: [1, 2]\n", {"'train.steps' is a list", NULL}},
    {"train.lr: 0.1\n", {"line 1", "plain name"}},
    {"train: [\n", {"not valid YAML", NULL}},
    {"- seed\n- name\n", {"line 1", "top level must be a mapping"}},
    {"seed: 1\n---\nseed: 2\n", {"second YAML document", NULL}},
};

START_TEST(bad_file_is_fatal) {
    const BadFile *bad = &bad_files[_i];
    Path path;
    write_text(path, "bad.yaml", bad->yaml);
    expect_fatal_mentioning(path, bad->mentions[0], bad->mentions[1]);
    config_load(path, schema, n_fields);
}
END_TEST

START_TEST(missing_file_is_fatal) {
    Path path;
    scratch_path(path, "absent.yaml");
    expect_fatal_mentioning(path, "No such file", NULL);
    config_load(path, schema, n_fields);
}
END_TEST

/* ---- bad --set arguments and wrong use of the getters ---- */

static const char *bad_sets[][3] = {
    {"train.lrr=1", "--set train.lrr=1", "did you mean 'train.lr'"},
    {"train.steps=ten", "--set train.steps=ten", "'ten' is not a valid int"},
    {"train.ema=1", "train.ema = '1'", "true or false"},
    {"train.steps", "expects key=value", "'train.steps'"},
    {"=3", "expects key=value", NULL},
};

START_TEST(bad_set_is_fatal) {
    Config *c = config_load(NULL, schema, n_fields);
    expect_fatal_mentioning(bad_sets[_i][1], bad_sets[_i][2], NULL);
    config_set(c, bad_sets[_i][0]);
}
END_TEST

START_TEST(getter_of_wrong_type_is_fatal) {
    Config *c = config_load(NULL, schema, n_fields);
    expect_fatal_mentioning("'train.lr' is a float field, read as int", NULL, NULL);
    config_int(c, "train.lr");
}
END_TEST

START_TEST(getter_of_unknown_key_is_fatal) {
    Config *c = config_load(NULL, schema, n_fields);
    expect_fatal_mentioning("no field 'train.beta'", NULL, NULL);
    config_float(c, "train.beta");
}
END_TEST

START_TEST(bad_schema_default_is_fatal) {
    const ConfigField broken[] = {{"train.lr", CONFIG_FLOAT, "fast", "learning rate"}};
    expect_fatal_mentioning("default 'fast' of 'train.lr'", NULL, NULL);
    config_load(NULL, broken, 1);
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, defaults_without_a_file);
    tcase_add_test(tc, peek_reads_a_top_level_scalar_only);
    tcase_add_test(tc, file_values_override_defaults);
    tcase_add_test(tc, comments_only_file_gives_defaults);
    tcase_add_test(tc, set_overrides_the_file);
    tcase_add_test(tc, written_file_reads_back_the_same);
    tcase_add_test(tc, schema_prints_every_key);
    tcase_add_loop_exit_test(tc, bad_file_is_fatal, EXIT_FAILURE, 0, sizeof bad_files / sizeof bad_files[0]);
    tcase_add_exit_test(tc, missing_file_is_fatal, EXIT_FAILURE);
    tcase_add_loop_exit_test(tc, bad_set_is_fatal, EXIT_FAILURE, 0, sizeof bad_sets / sizeof bad_sets[0]);
    tcase_add_exit_test(tc, getter_of_wrong_type_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, getter_of_unknown_key_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, bad_schema_default_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
