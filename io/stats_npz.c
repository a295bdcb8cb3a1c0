/* Feature statistics as EDM's reference .npz: a zip archive of mu.npy and
   sigma.npy, stored rather than deflated, as np.savez writes it (npz_write).
   io/npz.c streams integer arrays of any size; these float arrays are at
   most a few hundred MB and are read whole. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "disco/error.h"
#include "disco/frechet.h"
#include "disco/npz.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "stats_npz.c assumes a little-endian host");

#define NPY_MAGIC "\x93NUMPY"
#define NPY_PRELUDE_BYTES 10 /* magic, version 1.0, 2-byte header length */
#define MAX_DIMS 8

typedef struct {
    const char *path, *name; /* for messages */
    char *text;              /* the header's dict, NUL-terminated */
    char descr[16];
    bool fortran_order;
    int ndim;
    int64_t shape[MAX_DIMS];
} NpyHeader;

static DISCO_NORETURN void header_fatal(const NpyHeader *h, const char *problem) {
    DISCO_FATAL("'%s': array '%s' has a corrupt .npy header: %s: \"%.200s\"", h->path, h->name, problem, h->text);
}

/* Where the value of 'key' begins (after the colon and spaces); numpy writes
   the dict with repr, so keys are single-quoted. */
static const char *value_of(const NpyHeader *h, const char *key) {
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s':", key);
    const char *at = strstr(h->text, quoted);
    if (!at) {
        snprintf(quoted, sizeof quoted, "it lacks '%s'", key);
        header_fatal(h, quoted);
    }
    at += strlen(quoted);
    while (isspace((unsigned char)*at)) at++;
    return at;
}

static void parse_descr(NpyHeader *h) {
    const char *at = value_of(h, "descr");
    const char *end = *at == '\'' ? strchr(at + 1, '\'') : NULL;
    if (!end || end - at - 1 >= (long)sizeof h->descr) header_fatal(h, "'descr' is not a dtype string");
    memcpy(h->descr, at + 1, (size_t)(end - at - 1));
    h->descr[end - at - 1] = '\0';
}

static void parse_fortran_order(NpyHeader *h) {
    const char *at = value_of(h, "fortran_order");
    h->fortran_order = !strncmp(at, "True", 4);
    if (!h->fortran_order && strncmp(at, "False", 5)) header_fatal(h, "'fortran_order' is neither True nor False");
}

static void parse_shape(NpyHeader *h) {
    const char *at = value_of(h, "shape");
    if (*at++ != '(') header_fatal(h, "'shape' is not a tuple");
    for (h->ndim = 0;;) {
        while (isspace((unsigned char)*at)) at++;
        if (*at == ')') return;
        if (h->ndim == MAX_DIMS) header_fatal(h, "'shape' has more than 8 dimensions");
        char *end;
        errno = 0;
        long long dimension = isdigit((unsigned char)*at) ? strtoll(at, &end, 10) : -1;
        if (dimension < 0 || errno) header_fatal(h, "'shape' is not a tuple of non-negative integers");
        h->shape[h->ndim++] = dimension;
        at = end;
        while (isspace((unsigned char)*at)) at++;
        if (*at == ',') at++;
        else if (*at != ')') header_fatal(h, "'shape' is not a tuple of non-negative integers");
    }
}

static void format_shape(const NpyHeader *h, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "(");
    for (int d = 0; d < h->ndim && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%" PRId64, d ? ", " : "", h->shape[d]);
    if (used < size) snprintf(out + used, size - used, h->ndim == 1 ? ",)" : ")");
}

/* The whole entry "name.npy", CRC-checked by libzip. */
static unsigned char *read_entry(const char *path, const char *name, size_t *size) {
    int code = 0;
    zip_t *zip = zip_open(path, ZIP_RDONLY, &code);
    if (!zip) {
        zip_error_t error;
        zip_error_init_with_code(&error, code);
        DISCO_FATAL("cannot open '%s' (array '%s') as a zip archive: %s", path, name, zip_error_strerror(&error));
    }
    char entry[256];
    snprintf(entry, sizeof entry, "%s.npy", name);
    zip_stat_t entry_stat;
    DISCO_CHECK(zip_stat(zip, entry, 0, &entry_stat) == 0, "'%s' holds no array '%s' (no entry '%s')", path, name,
                entry);
    DISCO_CHECK((entry_stat.valid & ZIP_STAT_SIZE) && entry_stat.size < SIZE_MAX,
                "'%s': the zip directory gives no size for '%s'", path, entry);
    *size = (size_t)entry_stat.size;
    unsigned char *bytes = disco_malloc(*size + 1, name);
    zip_file_t *file = zip_fopen(zip, entry, 0);
    DISCO_CHECK(file, "'%s': cannot open array '%s': %s", path, name, zip_strerror(zip));
    /* Asking for one byte beyond the end is what makes libzip compare the CRC. */
    size_t done = 0;
    zip_int64_t got;
    while ((got = zip_fread(file, bytes + done, *size + 1 - done)) > 0) done += (size_t)got;
    DISCO_CHECK(got == 0 && done == *size, "'%s': array '%s' cannot be read: %s", path, name,
                got < 0 ? zip_file_strerror(file) : "its size differs from the zip directory's");
    zip_fclose(file);
    zip_discard(zip);
    return bytes;
}

/* Splits an .npy into its parsed header and where its data starts. */
static size_t parse_npy(NpyHeader *h, unsigned char *bytes, size_t size) {
    DISCO_CHECK(size >= NPY_PRELUDE_BYTES && !memcmp(bytes, NPY_MAGIC, 6), "'%s': array '%s' is not a .npy file",
                h->path, h->name);
    int major = bytes[6];
    DISCO_CHECK(major >= 1 && major <= 3 && bytes[7] == 0,
                "'%s': array '%s' has .npy version %d.%d; versions 1.0, 2.0 and 3.0 are read", h->path, h->name, major,
                bytes[7]);
    /* Version 1.0 stores the header length in 2 bytes, later versions in 4. */
    size_t length_bytes = major == 1 ? 2 : 4, header_bytes = 0;
    for (size_t i = 0; i < length_bytes && 8 + i < size; i++) header_bytes |= (size_t)bytes[8 + i] << (8 * i);
    size_t data_start = 8 + length_bytes + header_bytes;
    DISCO_CHECK(data_start <= size, "'%s': array '%s' is cut off in its .npy header", h->path, h->name);
    /* The header is text followed by the data: copied, so it can end in a NUL. */
    char *text = disco_malloc(header_bytes + 1, h->name);
    memcpy(text, bytes + 8 + length_bytes, header_bytes);
    text[header_bytes] = '\0';
    h->text = text;
    parse_descr(h);
    parse_fortran_order(h);
    parse_shape(h);
    return data_start;
}

double *stats_read_npz_array(const char *path, const char *name, int ndim, int64_t *shape) {
    size_t size;
    unsigned char *bytes = read_entry(path, name, &size);
    NpyHeader h = {.path = path, .name = name};
    size_t data_start = parse_npy(&h, bytes, size);
    bool is_f8 = !strcmp(h.descr, "<f8"), is_f4 = !strcmp(h.descr, "<f4");
    DISCO_CHECK(is_f8 || is_f4, "'%s': array '%s' has 'descr' '%s'; float arrays ('<f8' or '<f4') are read", path,
                name, h.descr);
    DISCO_CHECK(!h.fortran_order, "'%s': array '%s' has 'fortran_order' True; only C-order arrays are read", path,
                name);
    char shape_text[256];
    format_shape(&h, shape_text, sizeof shape_text);
    DISCO_CHECK(h.ndim == ndim, "'%s': array '%s' has shape %s; %d dimensions expected", path, name, shape_text,
                ndim);
    size_t item_size = is_f8 ? 8 : 4, count = 1, data_bytes;
    bool overflow = false;
    for (int d = 0; d < ndim; d++) overflow |= __builtin_mul_overflow(count, (size_t)h.shape[d], &count);
    overflow |= __builtin_mul_overflow(count, item_size, &data_bytes);
    DISCO_CHECK(!overflow, "'%s': array '%s' has a 'shape' %s beyond memory", path, name, shape_text);
    DISCO_CHECK(data_bytes == size - data_start,
                "'%s': array '%s' holds %zu bytes after its header, but its 'shape' %s of %zu-byte items needs %zu",
                path, name, size - data_start, shape_text, item_size, data_bytes);
    double *values = disco_malloc((count ? count : 1) * sizeof *values, name);
    if (is_f8) {
        memcpy(values, bytes + data_start, count * sizeof *values);
    } else {
        float item;
        for (size_t i = 0; i < count; i++) {
            memcpy(&item, bytes + data_start + i * 4, 4);
            values[i] = item;
        }
    }
    for (int d = 0; d < ndim; d++) shape[d] = h.shape[d];
    free(h.text);
    free(bytes);
    return values;
}

FrechetStats stats_read_npz(const char *path) {
    int64_t mu_shape[1], sigma_shape[2];
    FrechetStats stats = {0};
    stats.mu = stats_read_npz_array(path, "mu", 1, mu_shape);
    stats.sigma = stats_read_npz_array(path, "sigma", 2, sigma_shape);
    DISCO_CHECK(mu_shape[0] > 0 && mu_shape[0] <= INT_MAX, "'%s': array 'mu' has %" PRId64 " elements", path,
                mu_shape[0]);
    DISCO_CHECK(sigma_shape[0] == mu_shape[0] && sigma_shape[1] == mu_shape[0],
                "'%s': array 'sigma' has shape (%" PRId64 ", %" PRId64 "), but 'mu' has %" PRId64
                " elements: sigma must be (%" PRId64 ", %" PRId64 ")",
                path, sigma_shape[0], sigma_shape[1], mu_shape[0], mu_shape[0], mu_shape[0]);
    stats.dim = (int)mu_shape[0];
    return stats;
}

void stats_write_npz(const char *path, const FrechetStats *stats) {
    const NpyArrayOut arrays[2] = {{"mu", NPY_F64, 1, {stats->dim}, stats->mu},
                                   {"sigma", NPY_F64, 2, {stats->dim, stats->dim}, stats->sigma}};
    npz_write(path, arrays, 2);
}
