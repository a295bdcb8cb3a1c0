/* Reading arrays from NumPy .npz files. libzip opens the archive and inflates
   the entry; the .npy header, a Python dict literal, is parsed here. */
#include "disco/npz.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "disco/error.h"

/* Little-endian data is copied into host integers as it is. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "npz.c assumes a little-endian host");

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_BYTES 6
/* numpy itself refuses longer headers unless told otherwise; a plain array's
   header is under 128 bytes, so a longer one means a corrupt length field. */
#define NPY_MAX_HEADER_BYTES 10000
#define SKIP_CHUNK_BYTES 65536

static const struct {
    const char *descr;
    NpyType type;
    int item_size;
} npy_types[] = {
    {"|u1", NPY_U8, 1},
    {"<u1", NPY_U8, 1},
    {"<i4", NPY_I32, 4},
    {"<i8", NPY_I64, 8},
};

struct NpzArray {
    char *path, *name; /* for messages */
    zip_t *zip;
    zip_uint64_t index;
    zip_file_t *entry;
    bool stored;         /* stored entries can seek; deflated ones cannot */
    int64_t entry_bytes; /* the whole .npy: header and data */
    int64_t data_start;  /* where row 0 begins in it */
    int64_t position;    /* where the entry's stream is */
    NpyInfo info;
};

static void open_entry(NpzArray *a) {
    a->entry = zip_fopen_index(a->zip, a->index, 0);
    DISCO_CHECK(a->entry, "'%s': cannot open array '%s': %s", a->path, a->name, zip_strerror(a->zip));
    a->position = 0;
}

/* Reads up to `bytes`; fewer only where the entry ends (*error NULL) or
   libzip reports an error such as a CRC mismatch or a damaged deflate stream
   (*error describes it). */
static int64_t read_entry(NpzArray *a, void *dst, int64_t bytes, const char **error) {
    int64_t done = 0;
    *error = NULL;
    while (done < bytes) {
        zip_int64_t got = zip_fread(a->entry, (char *)dst + done, (zip_uint64_t)(bytes - done));
        if (got < 0) *error = zip_file_strerror(a->entry);
        if (got <= 0) break;
        done += got;
    }
    a->position += done;
    return done;
}

static void read_header_bytes(NpzArray *a, void *dst, int64_t bytes) {
    const char *error;
    int64_t got = read_entry(a, dst, bytes, &error);
    DISCO_CHECK(got == bytes, "'%s': array '%s' is cut off in its .npy header: %s", a->path, a->name,
                error ? error : "the entry ends early");
}

/* A cursor over the header text: {'descr': '|u1', 'fortran_order': False, 'shape': (37, 192), } */
typedef struct {
    const char *at, *end, *text;
    const NpzArray *a;
} Cursor;

static void header_check(const Cursor *c, bool ok, const char *problem) {
    if (ok) return;
    int shown = (int)(c->end - c->text); /* without numpy's padding */
    while (shown > 0 && isspace((unsigned char)c->text[shown - 1])) shown--;
    DISCO_FATAL("'%s': array '%s' has a corrupt .npy header: %s, at offset %td of \"%.*s\"", c->a->path,
                c->a->name, problem, c->at - c->text, shown < 200 ? shown : 200, c->text);
}

static void skip_space(Cursor *c) {
    while (c->at < c->end && isspace((unsigned char)*c->at)) c->at++;
}

/* Whether the next character after any space is ch, which `take` also consumes. */
static bool next_is(Cursor *c, char ch) {
    skip_space(c);
    return c->at < c->end && *c->at == ch;
}

static bool take(Cursor *c, char ch) {
    if (!next_is(c, ch)) return false;
    c->at++;
    return true;
}

/* A quoted string without escapes: dtype strings and the three keys need none. */
static void parse_string(Cursor *c, char *out, size_t size, const char *problem) {
    skip_space(c);
    header_check(c, c->at < c->end && (*c->at == '\'' || *c->at == '"'), problem);
    char quote = *c->at++;
    size_t n = 0;
    while (c->at < c->end && *c->at != quote) {
        header_check(c, n + 1 < size && *c->at != '\\', problem);
        out[n++] = *c->at++;
    }
    header_check(c, c->at < c->end, problem);
    c->at++;
    out[n] = '\0';
}

static bool parse_bool(Cursor *c, const char *problem) {
    skip_space(c);
    size_t left = (size_t)(c->end - c->at);
    bool is_true = left >= 4 && !memcmp(c->at, "True", 4), is_false = left >= 5 && !memcmp(c->at, "False", 5);
    header_check(c, is_true || is_false, problem);
    c->at += is_true ? 4 : 5;
    return is_true;
}

static int64_t parse_dimension(Cursor *c, const char *problem) {
    skip_space(c);
    header_check(c, c->at < c->end && isdigit((unsigned char)*c->at), problem);
    int64_t value = 0;
    while (c->at < c->end && isdigit((unsigned char)*c->at)) {
        int digit = *c->at++ - '0';
        header_check(c, value <= (INT64_MAX - digit) / 10, "'shape' has a dimension beyond int64");
        value = value * 10 + digit;
    }
    /* Python 2 wrote dimensions beyond its int as longs, "(3L, 5L)"; numpy still reads them. */
    if (c->at < c->end && *c->at == 'L') c->at++;
    return value;
}

static void parse_shape(Cursor *c, NpyInfo *info) {
    const char *problem = "'shape' is not a tuple of non-negative integers";
    header_check(c, take(c, '('), problem);
    info->ndim = 0;
    while (!take(c, ')')) {
        header_check(c, info->ndim < NPY_MAX_DIMS, "'shape' has more than 8 dimensions");
        info->shape[info->ndim++] = parse_dimension(c, problem);
        header_check(c, take(c, ',') || next_is(c, ')'), problem);
    }
}

/* Fills descr, fortran_order and the shape; every key must be present once at least. */
static void parse_dict(Cursor *c, char *descr, size_t descr_size, bool *fortran_order, NpyInfo *info) {
    bool has_descr = false, has_fortran_order = false, has_shape = false;
    header_check(c, take(c, '{'), "it does not begin with '{'");
    while (!take(c, '}')) {
        char key[16];
        parse_string(c, key, sizeof key, "a key is not one of 'descr', 'fortran_order' and 'shape'");
        header_check(c, take(c, ':'), "a key is not followed by ':'");
        if (!strcmp(key, "descr")) {
            parse_string(c, descr, descr_size, "'descr' is not a dtype string");
            has_descr = true;
        } else if (!strcmp(key, "fortran_order")) {
            *fortran_order = parse_bool(c, "'fortran_order' is neither True nor False");
            has_fortran_order = true;
        } else if (!strcmp(key, "shape")) {
            parse_shape(c, info);
            has_shape = true;
        } else {
            header_check(c, false, "a key is not one of 'descr', 'fortran_order' and 'shape'");
        }
        header_check(c, take(c, ',') || next_is(c, '}'), "a value is not followed by ',' or '}'");
    }
    skip_space(c);
    header_check(c, c->at == c->end, "it has text after the closing '}'");
    header_check(c, has_descr, "it lacks 'descr'");
    header_check(c, has_fortran_order, "it lacks 'fortran_order'");
    header_check(c, has_shape, "it lacks 'shape'");
}

static void set_type(NpzArray *a, const char *descr) {
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (!strcmp(descr, npy_types[i].descr)) {
            a->info.type = npy_types[i].type;
            a->info.item_size = npy_types[i].item_size;
            return;
        }
    const char *why = descr[0] == '>'        ? "a big-endian array"
                      : strchr(descr, 'O') ? "an object array, which holds pickled Python objects"
                                           : "a dtype this reader does not take";
    DISCO_FATAL("'%s': array '%s' has 'descr' '%s', %s; supported: |u1, <u1, <i4, <i8", a->path, a->name, descr,
                why);
}

static void format_shape(const NpyInfo *info, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "(");
    for (int d = 0; d < info->ndim && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, "%s%" PRId64, d ? ", " : "", info->shape[d]);
    if (used < size) snprintf(out + used, size - used, ")");
}

/* rows and row_bytes from the shape, checked against the bytes the entry holds. */
static void size_rows(NpzArray *a) {
    NpyInfo *info = &a->info;
    char shape[256];
    format_shape(info, shape, sizeof shape);
    int64_t row_bytes = info->item_size, data_bytes;
    bool overflow = false;
    for (int d = 1; d < info->ndim; d++) overflow |= __builtin_mul_overflow(row_bytes, info->shape[d], &row_bytes);
    info->rows = info->ndim ? info->shape[0] : 1;
    overflow |= __builtin_mul_overflow(info->rows, row_bytes, &data_bytes);
    DISCO_CHECK(!overflow, "'%s': array '%s' has a 'shape' %s whose size is beyond int64", a->path, a->name, shape);
    info->row_bytes = row_bytes;
    int64_t held = a->entry_bytes - a->data_start;
    DISCO_CHECK(held == data_bytes,
                "'%s': array '%s' holds %" PRId64 " bytes after its header, but its 'shape' %s of %d-byte items "
                "needs %" PRId64,
                a->path, a->name, held, shape, info->item_size, data_bytes);
}

static void read_header(NpzArray *a) {
    unsigned char prelude[NPY_MAGIC_BYTES + 2];
    read_header_bytes(a, prelude, sizeof prelude);
    DISCO_CHECK(!memcmp(prelude, NPY_MAGIC, NPY_MAGIC_BYTES), "'%s': array '%s' is not a .npy file: its magic is wrong",
                a->path, a->name);
    int major = prelude[NPY_MAGIC_BYTES], minor = prelude[NPY_MAGIC_BYTES + 1];
    DISCO_CHECK((major == 1 || major == 2 || major == 3) && minor == 0,
                "'%s': array '%s' has .npy version %d.%d; versions 1.0, 2.0 and 3.0 are read", a->path, a->name,
                major, minor);
    /* Version 1.0 stores the header length in 2 bytes, later versions in 4. */
    unsigned char length_bytes[4] = {0};
    int length_size = major == 1 ? 2 : 4;
    read_header_bytes(a, length_bytes, length_size);
    uint32_t header_bytes = (uint32_t)length_bytes[0] | (uint32_t)length_bytes[1] << 8 |
                            (uint32_t)length_bytes[2] << 16 | (uint32_t)length_bytes[3] << 24;
    DISCO_CHECK(header_bytes <= NPY_MAX_HEADER_BYTES,
                "'%s': array '%s' has a corrupt .npy header: its length field says %u bytes, above %d", a->path,
                a->name, header_bytes, NPY_MAX_HEADER_BYTES);
    char text[NPY_MAX_HEADER_BYTES + 1];
    read_header_bytes(a, text, header_bytes);
    text[header_bytes] = '\0';
    a->data_start = (int64_t)sizeof prelude + length_size + header_bytes;

    char descr[32];
    bool fortran_order = false;
    Cursor c = {text, text + header_bytes, text, a};
    parse_dict(&c, descr, sizeof descr, &fortran_order, &a->info);
    set_type(a, descr);
    DISCO_CHECK(!fortran_order, "'%s': array '%s' has 'fortran_order' True; only C-order arrays are read", a->path,
                a->name);
    size_rows(a);
}

/* The arrays an archive holds, for the message when the wanted one is absent. */
static void list_arrays(zip_t *zip, char *out, size_t size) {
    size_t used = 0;
    out[0] = '\0';
    zip_int64_t entries = zip_get_num_entries(zip, 0);
    for (zip_int64_t i = 0; i < entries && used < size; i++) {
        const char *entry = zip_get_name(zip, (zip_uint64_t)i, 0);
        size_t length = strlen(entry);
        if (length > 4 && !strcmp(entry + length - 4, ".npy")) length -= 4;
        used += (size_t)snprintf(out + used, size - used, "%s'%.*s'", i ? ", " : "", (int)length, entry);
    }
}

static void find_entry(NpzArray *a) {
    char *entry = disco_malloc(strlen(a->name) + sizeof ".npy", a->path);
    sprintf(entry, "%s.npy", a->name);
    zip_int64_t index = zip_name_locate(a->zip, entry, 0);
    free(entry);
    if (index < 0) {
        char arrays[512];
        list_arrays(a->zip, arrays, sizeof arrays);
        DISCO_FATAL("'%s' holds no array '%s' (no entry '%s.npy'); it holds %s", a->path, a->name, a->name,
                    arrays[0] ? arrays : "nothing");
    }
    a->index = (zip_uint64_t)index;
}

NpzArray *npz_open_array(const char *npz_path, const char *name) {
    NpzArray *a = disco_calloc(1, sizeof *a, npz_path);
    a->path = disco_strdup(npz_path);
    a->name = disco_strdup(name);
    int code = 0;
    a->zip = zip_open(npz_path, ZIP_RDONLY, &code);
    if (!a->zip) {
        zip_error_t error;
        zip_error_init_with_code(&error, code);
        DISCO_FATAL("cannot open '%s' (array '%s') as a zip archive: %s", npz_path, name, zip_error_strerror(&error));
    }
    find_entry(a);
    zip_stat_t entry;
    DISCO_CHECK(zip_stat_index(a->zip, a->index, 0, &entry) == 0 && (entry.valid & ZIP_STAT_SIZE) &&
                    (entry.valid & ZIP_STAT_COMP_METHOD) && entry.size <= INT64_MAX,
                "'%s': the zip directory gives no usable size for array '%s'", npz_path, name);
    a->entry_bytes = (int64_t)entry.size;
    a->stored = entry.comp_method == ZIP_CM_STORE;
    open_entry(a);
    read_header(a);
    return a;
}

const NpyInfo *npz_array_info(const NpzArray *a) { return &a->info; }

/* A deflated entry goes forward by inflating and discarding, and back by
   reopening and inflating from its start. */
static void move_to(NpzArray *a, int64_t position, int64_t row) {
    if (position == a->position) return;
    if (a->stored) {
        DISCO_CHECK(zip_fseek(a->entry, position, SEEK_SET) == 0, "'%s': array '%s' cannot seek to row %" PRId64 ": %s",
                    a->path, a->name, row, zip_file_strerror(a->entry));
        a->position = position;
        return;
    }
    if (position < a->position) {
        zip_fclose(a->entry);
        open_entry(a);
    }
    char scratch[SKIP_CHUNK_BYTES];
    while (a->position < position) {
        int64_t chunk = position - a->position < SKIP_CHUNK_BYTES ? position - a->position : SKIP_CHUNK_BYTES;
        const char *error;
        DISCO_CHECK(read_entry(a, scratch, chunk, &error) == chunk,
                    "'%s': array '%s' cannot be read while skipping to row %" PRId64 ": %s", a->path, a->name, row,
                    error ? error : "the entry ends early");
    }
}

/* Reading past the last byte is what makes libzip compare the entry's CRC. */
static void expect_entry_end(NpzArray *a) {
    char extra;
    const char *error;
    read_entry(a, &extra, 1, &error);
    DISCO_CHECK(!error, "'%s': array '%s' is corrupt: after its last row (%" PRId64 ") libzip reports: %s", a->path,
                a->name, a->info.rows - 1, error);
}

void npz_array_read_rows(NpzArray *a, int64_t first, int64_t count, void *out) {
    const NpyInfo *info = &a->info;
    DISCO_CHECK(first >= 0 && count >= 0 && count <= info->rows - first,
                "'%s': array '%s' has %" PRId64 " rows; rows [%" PRId64 ", %" PRId64 ") are outside it", a->path,
                a->name, info->rows, first, first + count);
    if (count == 0) return;
    move_to(a, a->data_start + first * info->row_bytes, first);
    int64_t bytes = count * info->row_bytes;
    const char *error;
    int64_t done = read_entry(a, out, bytes, &error);
    /* libzip drops what it inflated in a call that fails, so the failing row is
       known only to lie in the range not yet delivered. */
    DISCO_CHECK(done == bytes, "'%s': array '%s' cannot be read in rows [%" PRId64 ", %" PRId64 "): %s", a->path,
                a->name, first + done / info->row_bytes, first + count, error ? error : "the entry ends early");
    if (a->position == a->entry_bytes) expect_entry_end(a);
}

void npz_array_close(NpzArray *a) {
    if (!a) return;
    zip_fclose(a->entry);
    zip_discard(a->zip);
    free(a->path);
    free(a->name);
    free(a);
}

static int64_t element_as_int64(const void *raw, NpyType type, int64_t i) {
    if (type == NPY_U8) return ((const uint8_t *)raw)[i];
    if (type == NPY_I32) return ((const int32_t *)raw)[i];
    return ((const int64_t *)raw)[i];
}

int64_t *npz_read_int64(const char *npz_path, const char *name, int64_t *count) {
    NpzArray *a = npz_open_array(npz_path, name);
    const NpyInfo *info = &a->info;
    *count = info->rows * info->row_bytes / info->item_size;
    void *raw = disco_malloc((size_t)(info->rows * info->row_bytes), name);
    npz_array_read_rows(a, 0, info->rows, raw);
    int64_t *values = disco_malloc((size_t)*count * sizeof *values, name);
    for (int64_t i = 0; i < *count; i++) values[i] = element_as_int64(raw, info->type, i);
    free(raw);
    npz_array_close(a);
    return values;
}
