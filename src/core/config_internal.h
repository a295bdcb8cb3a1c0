/* Shared by config.c (the typed store) and config_yaml.c (the YAML file). */
#ifndef DISCO_CONFIG_INTERNAL_H
#define DISCO_CONFIG_INTERNAL_H

#include "disco/config.h"

struct Config {
    const ConfigField *schema; /* the caller's array, which outlives the config */
    int n_fields;
    char **values; /* each field's value as text, already checked against its type */
};

/* Sets key to value or ends the program with a message that starts with
   `where` (the file and line, or the --set argument). */
void config_assign(Config *c, const char *key, const char *value, const char *where);
/* Assigns every field the YAML file at path sets. */
void config_read_yaml(Config *c, const char *path);

#endif
