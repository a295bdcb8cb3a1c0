/* Writing NumPy .npz files as np.savez does; see include/disco/npz.h. Each
   entry is its .npy header followed by the caller's data, given to libzip as
   two fragments so that a large array is not copied. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "disco/error.h"
#include "disco/npz.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "npz_write.c assumes a little-endian host");

#define NPY_PRELUDE_BYTES 10 /* magic, version 1.0, 2-byte header length */
#define NPY_ALIGN 64         /* numpy pads the header so that data starts at a multiple of 64 */
#define NPY_HEADER_BYTES 256 /* enough for 8 dimensions of 19 digits */
#define FIXED_MTIME 315532800 /* 1980-01-01, the earliest time a zip entry holds */

static const char *descr_of(NpyType type, int *item_size) {
    switch (type) {
    case NPY_U8: *item_size = 1; return "|u1";
    case NPY_I32: *item_size = 4; return "<i4";
    case NPY_I64: *item_size = 8; return "<i8";
    case NPY_F64: *item_size = 8; return "<f8";
    }
    DISCO_FATAL("npz: unknown array type %d", (int)type);
}

/* The prelude and the padded header dict, into header; returns its length
   and the data's size in *data_bytes. */
static size_t npy_header(const NpyArrayOut *a, char *header, uint64_t *data_bytes) {
    DISCO_CHECK(a->ndim >= 0 && a->ndim <= NPY_MAX_DIMS, "npz: array '%s' has %d dimensions", a->name, a->ndim);
    int item_size;
    const char *descr = descr_of(a->type, &item_size);
    char shape[NPY_HEADER_BYTES];
    size_t used = (size_t)snprintf(shape, sizeof shape, "(");
    *data_bytes = (uint64_t)item_size;
    for (int d = 0; d < a->ndim; d++) {
        DISCO_CHECK(a->shape[d] >= 0, "npz: array '%s' has dimension %d of %" PRId64, a->name, d, a->shape[d]);
        *data_bytes *= (uint64_t)a->shape[d];
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%" PRId64, d ? ", " : "", a->shape[d]);
    }
    snprintf(shape + used, sizeof shape - used, a->ndim == 1 ? ",)" : ")");
    char *text = header + NPY_PRELUDE_BYTES;
    int length = snprintf(text, NPY_HEADER_BYTES - NPY_PRELUDE_BYTES,
                          "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t dict_bytes = (size_t)length + 1; /* the closing newline */
    dict_bytes += (NPY_ALIGN - (NPY_PRELUDE_BYTES + dict_bytes) % NPY_ALIGN) % NPY_ALIGN;
    DISCO_CHECK(NPY_PRELUDE_BYTES + dict_bytes <= NPY_HEADER_BYTES, "npz: array '%s' has too long a header", a->name);
    memcpy(header, "\x93NUMPY\x01\x00", 8);
    header[8] = (char)(dict_bytes & 0xff);
    header[9] = (char)(dict_bytes >> 8);
    memset(text + length, ' ', dict_bytes - (size_t)length);
    text[dict_bytes - 1] = '\n';
    return NPY_PRELUDE_BYTES + dict_bytes;
}

static void add_entry(zip_t *zip, const char *tmp, const NpyArrayOut *a, char *header) {
    uint64_t data_bytes;
    size_t header_bytes = npy_header(a, header, &data_bytes);
    zip_buffer_fragment_t parts[2] = {{(zip_uint8_t *)header, header_bytes},
                                      {(zip_uint8_t *)(uintptr_t)a->data, data_bytes}};
    char entry[256];
    DISCO_CHECK((size_t)snprintf(entry, sizeof entry, "%s.npy", a->name) < sizeof entry, "npz: array name '%s' too long",
                a->name);
    zip_source_t *source = zip_source_buffer_fragment(zip, parts, data_bytes ? 2 : 1, 0);
    DISCO_CHECK(source, "'%s': cannot add '%s': %s", tmp, entry, zip_strerror(zip));
    zip_int64_t index = zip_file_add(zip, entry, source, ZIP_FL_OVERWRITE);
    if (index < 0) {
        zip_source_free(source);
        DISCO_FATAL("'%s': cannot add '%s': %s", tmp, entry, zip_strerror(zip));
    }
    DISCO_CHECK(zip_set_file_compression(zip, (zip_uint64_t)index, ZIP_CM_STORE, 0) == 0,
                "'%s': cannot store '%s' uncompressed: %s", tmp, entry, zip_strerror(zip));
    /* A fixed time rather than now: the same arrays make the same file. */
    DISCO_CHECK(zip_file_set_mtime(zip, (zip_uint64_t)index, FIXED_MTIME, 0) == 0, "'%s': cannot date '%s': %s", tmp,
                entry, zip_strerror(zip));
}

void npz_write(const char *path, const NpyArrayOut *arrays, int count) {
    char tmp[4096];
    int written = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    DISCO_CHECK(written > 0 && (size_t)written < sizeof tmp, "file name too long: '%s'", path);
    int code = 0;
    zip_t *zip = zip_open(tmp, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!zip) {
        zip_error_t error;
        zip_error_init_with_code(&error, code);
        DISCO_FATAL("cannot create '%s': %s", tmp, zip_error_strerror(&error));
    }
    /* libzip reads the fragments only in zip_close, so the headers live until then. */
    char *headers = disco_malloc((size_t)(count > 0 ? count : 1) * NPY_HEADER_BYTES, "npy headers");
    for (int i = 0; i < count; i++) add_entry(zip, tmp, &arrays[i], headers + (size_t)i * NPY_HEADER_BYTES);
    DISCO_CHECK(zip_close(zip) == 0, "cannot write '%s': %s", tmp, zip_strerror(zip));
    free(headers);

    int fd = open(tmp, O_RDONLY);
    DISCO_CHECK(fd >= 0 && fsync(fd) == 0, "cannot flush '%s' to disk: %s", tmp, strerror(errno));
    close(fd);
    DISCO_CHECK(rename(tmp, path) == 0, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
}
