/* Experiment configuration: one YAML file per experiment (configs/), parsed
 * with libyaml into dotted keys ("train.lr"), checked against a schema that
 * gives every field a type, a default and a line of help, and overridden on
 * the command line with --set key=value. Every error names the field, the
 * value and the file (and line) it came from. */
#ifndef DISCO_CONFIG_H
#define DISCO_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CONFIG_INT, CONFIG_FLOAT, CONFIG_BOOL, CONFIG_STRING } ConfigType;

typedef struct {
    const char *key;           /* "section.name" (two levels at most) */
    ConfigType type;
    const char *default_value; /* as it would be written in the file */
    const char *help;
} ConfigField;

typedef struct Config Config;

/* Defaults from the schema, then the file's values (path may be NULL). A key
   the schema does not know, or a value of the wrong type, is fatal. */
Config *config_load(const char *path, const ConfigField *schema, int n_fields);
/* The value of a top-level scalar field in the YAML file at path, before
   any schema is chosen (malloc'd; NULL when the file does not set it): how a
   command tells which kind of experiment a file describes. */
char *config_peek_top_level(const char *path, const char *key);
/* "key=value" from the command line, validated like a file value. */
void config_set(Config *c, const char *assignment);
long config_int(const Config *c, const char *key);
double config_float(const Config *c, const char *key);
bool config_bool(const Config *c, const char *key);
const char *config_string(const Config *c, const char *key);
/* The effective configuration as YAML, every field, grouped by section;
   written to a temporary name and renamed. */
void config_write(const Config *c, const char *path);
/* The schema as help text: key, type, default, help. */
void config_print_schema(FILE *out, const ConfigField *schema, int n_fields);
void config_free(Config *c);

#ifdef __cplusplus
}
#endif

#endif
