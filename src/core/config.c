/* The configuration store: every schema field holds its value as text,
   checked against the field's type when it is set, so the file written back
   is exactly what was read and a getter can never meet a bad value. The YAML
   reading is in config_yaml.c. */
#include "disco/config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "disco/error.h"

/* ---- values ---- */

static const char *type_name(ConfigType type) {
    static const char *names[] = {"int", "float", "bool", "string"};
    return names[type];
}

/* What a value of each type looks like, for error messages. */
static const char *type_example(ConfigType type) {
    static const char *examples[] = {"an integer such as 42", "a number such as 0.001 or 1e-3", "true or false",
                                     "a string"};
    return examples[type];
}

/* Plain decimal integers only: "1e3", "0x10" and "1_000" are not integers. */
static bool parse_int(const char *text, long *out) {
    if (!*text || strspn(text, "+-0123456789") != strlen(text)) return false;
    char *end;
    errno = 0;
    *out = strtol(text, &end, 10);
    return *end == '\0' && errno == 0;
}

/* Decimal numbers with an optional exponent; no inf, nan or hex floats. */
static bool parse_float(const char *text, double *out) {
    if (!*text || strspn(text, "+-.0123456789eE") != strlen(text)) return false;
    char *end;
    *out = strtod(text, &end);
    return *end == '\0' && isfinite(*out);
}

static bool parse_bool(const char *text, bool *out) {
    *out = strcmp(text, "true") == 0;
    return *out || strcmp(text, "false") == 0;
}

static bool valid_value(ConfigType type, const char *text) {
    long i;
    double f;
    bool b;
    switch (type) {
    case CONFIG_INT: return parse_int(text, &i);
    case CONFIG_FLOAT: return parse_float(text, &f);
    case CONFIG_BOOL: return parse_bool(text, &b);
    case CONFIG_STRING: return true;
    }
    return false;
}

/* ---- keys ---- */

static int field_index(const ConfigField *schema, int n_fields, const char *key) {
    for (int i = 0; i < n_fields; i++)
        if (strcmp(schema[i].key, key) == 0) return i;
    return -1;
}

/* Levenshtein distance, which is all a typo suggestion needs; keys longer
   than the buffer are never suggested. */
static int edit_distance(const char *a, const char *b) {
    enum { MAX_KEY = 128 };
    size_t na = strlen(a), nb = strlen(b);
    if (na >= MAX_KEY || nb >= MAX_KEY) return MAX_KEY;
    int row[MAX_KEY];
    for (size_t j = 0; j <= nb; j++) row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diagonal = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int substitute = diagonal + (a[i - 1] != b[j - 1]);
            diagonal = row[j];
            int insert_or_delete = (row[j] < row[j - 1] ? row[j] : row[j - 1]) + 1;
            row[j] = substitute < insert_or_delete ? substitute : insert_or_delete;
        }
    }
    return row[nb];
}

static int config_field(const Config *c, const char *key, const char *where) {
    int i = field_index(c->schema, c->n_fields, key);
    if (i >= 0) return i;
    int best = -1, best_distance = 3; /* suggest only keys within distance 2 */
    for (int j = 0; j < c->n_fields; j++) {
        int d = edit_distance(key, c->schema[j].key);
        if (d < best_distance) best = j, best_distance = d;
    }
    if (best >= 0) DISCO_FATAL("%s: unknown key '%s' (did you mean '%s'?)", where, key, c->schema[best].key);
    DISCO_FATAL("%s: unknown key '%s'", where, key);
}

void config_assign(Config *c, const char *key, const char *value, const char *where) {
    int i = config_field(c, key, where);
    ConfigType type = c->schema[i].type;
    DISCO_CHECK(valid_value(type, value), "%s: %s = '%s' is not a valid %s: expected %s", where, key, value,
                type_name(type), type_example(type));
    free(c->values[i]);
    c->values[i] = disco_strdup(value);
}

/* ---- the public interface ---- */

/* A bad schema is a programming error, caught the first time it is used. */
static void check_schema(const ConfigField *schema, int n_fields) {
    for (int i = 0; i < n_fields; i++) {
        const ConfigField *f = &schema[i];
        const char *dot = strchr(f->key, '.');
        DISCO_CHECK(*f->key && (!dot || (dot != f->key && dot[1] && !strchr(dot + 1, '.'))),
                    "config schema: key '%s' must be 'name' or 'section.name'", f->key);
        DISCO_CHECK(field_index(schema, i, f->key) < 0, "config schema: key '%s' appears twice", f->key);
        DISCO_CHECK(valid_value(f->type, f->default_value), "config schema: the default '%s' of '%s' is not a %s",
                    f->default_value, f->key, type_name(f->type));
    }
}

Config *config_load(const char *path, const ConfigField *schema, int n_fields) {
    check_schema(schema, n_fields);
    Config *c = disco_calloc(1, sizeof *c, "config");
    c->schema = schema;
    c->n_fields = n_fields;
    c->values = disco_calloc((size_t)n_fields, sizeof *c->values, "config values");
    for (int i = 0; i < n_fields; i++) c->values[i] = disco_strdup(schema[i].default_value);
    if (path) config_read_yaml(c, path);
    return c;
}

void config_set(Config *c, const char *assignment) {
    const char *equals = strchr(assignment, '=');
    DISCO_CHECK(equals && equals != assignment, "--set expects key=value, got '%s'", assignment);
    char where[512];
    snprintf(where, sizeof where, "--set %s", assignment);
    char *key = disco_strdup(assignment);
    key[equals - assignment] = '\0';
    config_assign(c, key, equals + 1, where);
    free(key);
}

/* Asking for a key the schema lacks, or with the wrong type, is a bug in
   the caller, not in the file. */
static const char *typed_value(const Config *c, const char *key, ConfigType type) {
    int i = field_index(c->schema, c->n_fields, key);
    DISCO_CHECK(i >= 0, "config: no field '%s' in the schema", key);
    DISCO_CHECK(c->schema[i].type == type, "config: '%s' is a %s field, read as %s", key, type_name(c->schema[i].type),
                type_name(type));
    return c->values[i];
}

long config_int(const Config *c, const char *key) {
    long v = 0;
    parse_int(typed_value(c, key, CONFIG_INT), &v);
    return v;
}

double config_float(const Config *c, const char *key) {
    double v = 0;
    parse_float(typed_value(c, key, CONFIG_FLOAT), &v);
    return v;
}

bool config_bool(const Config *c, const char *key) {
    bool v = false;
    parse_bool(typed_value(c, key, CONFIG_BOOL), &v);
    return v;
}

const char *config_string(const Config *c, const char *key) { return typed_value(c, key, CONFIG_STRING); }

void config_print_schema(FILE *out, const ConfigField *schema, int n_fields) {
    int key_width = 3, default_width = 7;
    for (int i = 0; i < n_fields; i++) {
        int k = (int)strlen(schema[i].key), d = (int)strlen(schema[i].default_value);
        key_width = k > key_width ? k : key_width;
        default_width = d > default_width ? d : default_width;
    }
    fprintf(out, "%-*s  %-6s  %-*s  %s\n", key_width, "key", "type", default_width, "default", "help");
    int help_column = key_width + 2 + 6 + 2 + default_width + 2;
    for (int i = 0; i < n_fields; i++) {
        fprintf(out, "%-*s  %-6s  %-*s  ", key_width, schema[i].key, type_name(schema[i].type), default_width,
                schema[i].default_value);
        /* A help of several lines continues in the help column. */
        for (const char *line = schema[i].help; *line;) {
            size_t n = strcspn(line, "\n");
            fprintf(out, "%*s%.*s\n", line == schema[i].help ? 0 : help_column, "", (int)n, line);
            line += n + (line[n] == '\n');
        }
        if (!*schema[i].help) fputc('\n', out);
    }
}

void config_free(Config *c) {
    if (!c) return;
    for (int i = 0; i < c->n_fields; i++) free(c->values[i]);
    free(c->values);
    free(c);
}
