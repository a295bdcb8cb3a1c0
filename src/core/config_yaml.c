/* The configuration as a YAML file: read with libyaml's document API (a
   mapping of sections, each a mapping of scalar fields, plus top-level
   scalar fields) and written back by hand, since libyaml's emitter cannot
   write the help comments. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"
#include "disco/error.h"

typedef struct {
    yaml_document_t doc;
    const char *path;
    Config *c;
} Reader;

static int line_of(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }
static const char *text_of(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

/* libyaml accepts repeated keys; YAML forbids them and a repeated key
   usually means an edit that was meant to replace the first one. */
static void check_unique(Reader *r, const yaml_node_t *mapping, const yaml_node_pair_t *pair) {
    const yaml_node_t *key = yaml_document_get_node(&r->doc, pair->key);
    for (const yaml_node_pair_t *p = mapping->data.mapping.pairs.start; p < pair; p++) {
        const yaml_node_t *earlier = yaml_document_get_node(&r->doc, p->key);
        DISCO_CHECK(strcmp(text_of(earlier), text_of(key)) != 0, "'%s' line %d: duplicate key '%s' (first at line %d)",
                    r->path, line_of(key), text_of(key), line_of(earlier));
    }
}

/* "train:" with every field under it commented out reads as a null scalar,
   not as an empty mapping: accept it for a section the schema has. */
static bool is_empty_section(const Config *c, const yaml_node_t *value, const char *name) {
    if (value->type != YAML_SCALAR_NODE || value->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        value->data.scalar.length != 0)
        return false;
    size_t n = strlen(name);
    for (int i = 0; i < c->n_fields; i++)
        if (strncmp(c->schema[i].key, name, n) == 0 && c->schema[i].key[n] == '.') return true;
    return false;
}

static void read_mapping(Reader *r, const yaml_node_t *mapping, const char *section) {
    for (yaml_node_pair_t *p = mapping->data.mapping.pairs.start; p < mapping->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = yaml_document_get_node(&r->doc, p->key);
        const yaml_node_t *value = yaml_document_get_node(&r->doc, p->value);
        int line = line_of(key);
        DISCO_CHECK(key->type == YAML_SCALAR_NODE && !strchr(text_of(key), '.'),
                    "'%s' line %d: a key must be a plain name (sections are nested mappings)", r->path, line);
        check_unique(r, mapping, p);
        char dotted[256], where[512];
        snprintf(dotted, sizeof dotted, "%s%s%s", section ? section : "", section ? "." : "", text_of(key));
        snprintf(where, sizeof where, "'%s' line %d", r->path, line);
        if (!section && is_empty_section(r->c, value, text_of(key))) continue;
        if (value->type == YAML_MAPPING_NODE) {
            DISCO_CHECK(!section, "%s: '%s' nests deeper than section.name", where, dotted);
            read_mapping(r, value, text_of(key));
        } else {
            DISCO_CHECK(value->type == YAML_SCALAR_NODE, "%s: '%s' is a list, but fields hold one value", where,
                        dotted);
            config_assign(r->c, dotted, text_of(value), where);
        }
    }
}

static void load_document(Reader *r, yaml_parser_t *parser) {
    if (!yaml_parser_load(parser, &r->doc))
        DISCO_FATAL("'%s' line %d: not valid YAML: %s%s%s", r->path, (int)parser->problem_mark.line + 1,
                    parser->problem ? parser->problem : "parse error", parser->context ? " " : "",
                    parser->context ? parser->context : "");
}

void config_read_yaml(Config *c, const char *path) {
    FILE *f = fopen(path, "rb");
    DISCO_CHECK(f, "cannot open the config file '%s': %s", path, strerror(errno));
    yaml_parser_t parser;
    DISCO_CHECK(yaml_parser_initialize(&parser), "cannot create a YAML parser for '%s'", path);
    yaml_parser_set_input_file(&parser, f);
    Reader r = {.path = path, .c = c};
    load_document(&r, &parser);
    const yaml_node_t *root = yaml_document_get_root_node(&r.doc);
    if (root) { /* NULL for a file of comments only: all defaults */
        DISCO_CHECK(root->type == YAML_MAPPING_NODE, "'%s' line %d: the top level must be a mapping of sections",
                    path, line_of(root));
        read_mapping(&r, root, NULL);
        yaml_document_delete(&r.doc);
        load_document(&r, &parser);
        root = yaml_document_get_root_node(&r.doc);
        DISCO_CHECK(!root, "'%s' line %d: holds a second YAML document; a config is one", path, line_of(root));
    }
    yaml_document_delete(&r.doc);
    yaml_parser_delete(&parser);
    fclose(f);
}

char *config_peek_top_level(const char *path, const char *key) {
    FILE *f = fopen(path, "rb");
    DISCO_CHECK(f, "cannot open the config file '%s': %s", path, strerror(errno));
    yaml_parser_t parser;
    DISCO_CHECK(yaml_parser_initialize(&parser), "cannot create a YAML parser for '%s'", path);
    yaml_parser_set_input_file(&parser, f);
    Reader r = {.path = path};
    load_document(&r, &parser);
    char *found = NULL;
    const yaml_node_t *root = yaml_document_get_root_node(&r.doc);
    if (root && root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && !found; p++) {
            const yaml_node_t *k = yaml_document_get_node(&r.doc, p->key);
            const yaml_node_t *v = yaml_document_get_node(&r.doc, p->value);
            if (k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE && strcmp(text_of(k), key) == 0)
                found = disco_strdup(text_of(v));
        }
    yaml_document_delete(&r.doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return found;
}

/* ---- writing ---- */

static size_t section_length(const char *key) {
    const char *dot = strchr(key, '.');
    return dot ? (size_t)(dot - key) : 0;
}

static bool same_section(const char *a, const char *b) {
    size_t n = section_length(a);
    return n == section_length(b) && strncmp(a, b, n) == 0;
}

static void write_comment(FILE *f, const char *indent, const char *help) {
    for (const char *line = help; *line;) {
        size_t n = strcspn(line, "\n");
        fprintf(f, "%s# %.*s\n", indent, (int)n, line);
        line += n + (line[n] == '\n');
    }
}

/* Strings are always double-quoted, so that "true", "3" or "a: b" come back
   as the same string. */
static void write_field(FILE *f, const Config *c, int i) {
    const ConfigField *field = &c->schema[i];
    const char *indent = section_length(field->key) ? "  " : "";
    const char *value = c->values[i];
    write_comment(f, indent, field->help);
    fprintf(f, "%s%s: ", indent, field->key + section_length(field->key) + (*indent ? 1 : 0));
    if (field->type != CONFIG_STRING) {
        fprintf(f, "%s\n", value);
        return;
    }
    fputc('"', f);
    for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if (*s < 0x20)
            fprintf(f, "\\x%02x", *s);
        else
            fputc(*s, f);
    }
    fputs("\"\n", f);
}

void config_write(const Config *c, const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    DISCO_CHECK(f, "cannot write the config '%s': %s", tmp, strerror(errno));
    fprintf(f, "# The effective configuration: every field, with its help as a comment.\n");
    for (int i = 0; i < c->n_fields; i++)
        if (!section_length(c->schema[i].key)) write_field(f, c, i);
    /* Each section once, where its first field stands in the schema. */
    for (int i = 0; i < c->n_fields; i++) {
        const char *key = c->schema[i].key;
        int first = section_length(key) > 0;
        for (int j = 0; j < i && first; j++) first = !same_section(c->schema[j].key, key);
        if (!first) continue;
        fprintf(f, "\n%.*s:\n", (int)section_length(key), key);
        for (int j = i; j < c->n_fields; j++)
            if (same_section(c->schema[j].key, key)) write_field(f, c, j);
    }
    bool failed = ferror(f) != 0;
    failed |= fclose(f) != 0;
    DISCO_CHECK(!failed, "cannot write the config '%s': %s", tmp, strerror(errno));
    DISCO_CHECK(rename(tmp, path) == 0, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
}
