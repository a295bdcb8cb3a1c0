/* Reading gzip'd IDX files with zlib. gzread also passes uncompressed files
   through unchanged, so an unpacked copy of the data set reads the same. */
#include "disco/idx.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "disco/error.h"

#define IDX_MAGIC_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions */
#define IDX_MAGIC_LABELS 0x00000801u /* unsigned bytes, 1 dimension */
/* Far above any real image side; it keeps count * height * width in range. */
#define IDX_MAX_SIDE 65536u

static gzFile open_idx(const char *path) {
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    DISCO_CHECK(gz, "cannot open '%s': %s", path, errno ? strerror(errno) : "zlib could not allocate its state");
    return gz;
}

/* A short read means the header promised more than the file holds. zlib
   reports a gzip stream cut off mid-way as an error, a shorter but intact
   stream as an early end: both are a truncated file. */
static void read_exact(gzFile gz, void *dst, size_t bytes, const char *path, const char *what) {
    size_t done = 0;
    while (done < bytes) {
        size_t chunk = bytes - done < (size_t)INT_MAX ? bytes - done : (size_t)INT_MAX;
        int got = gzread(gz, (char *)dst + done, (unsigned)chunk);
        if (got <= 0) {
            int zerr = Z_OK;
            const char *message = gzerror(gz, &zerr);
            DISCO_FATAL("'%s' is truncated or corrupt: it ends after %zu of the %zu bytes of %s%s%s", path, done,
                        bytes, what, got < 0 ? ": " : "", got < 0 ? message : "");
        }
        done += (size_t)got;
    }
}

/* Reading past the data also makes zlib check the gzip trailer (length and
   CRC), so a stream cut off after its last data byte is caught here. */
static void expect_end(gzFile gz, const char *path) {
    char extra;
    int got = gzread(gz, &extra, 1);
    int zerr = Z_OK;
    DISCO_CHECK(got >= 0, "'%s' is truncated or corrupt after its data: %s", path, gzerror(gz, &zerr));
    DISCO_CHECK(got == 0, "'%s' holds more data than its header claims", path);
    gzclose(gz);
}

static uint32_t read_u32_be(gzFile gz, const char *path, const char *what) {
    uint8_t b[4];
    read_exact(gz, b, sizeof b, path, what);
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static void expect_magic(gzFile gz, const char *path, uint32_t magic, const char *kind) {
    uint32_t got = read_u32_be(gz, path, "the magic number");
    DISCO_CHECK(got == magic, "'%s' is not an IDX %s file: magic number 0x%08x, expected 0x%08x", path, kind, got,
                magic);
}

static int read_dimension(gzFile gz, const char *path, const char *name, uint32_t max) {
    uint32_t n = read_u32_be(gz, path, "the header");
    DISCO_CHECK(n >= 1 && n <= max, "'%s': the header's %s is %u, outside [1, %u]", path, name, n, max);
    return (int)n;
}

uint8_t *idx_read_images(const char *path, int *count, int *height, int *width) {
    gzFile gz = open_idx(path);
    expect_magic(gz, path, IDX_MAGIC_IMAGES, "image");
    *count = read_dimension(gz, path, "image count", INT_MAX);
    *height = read_dimension(gz, path, "image height", IDX_MAX_SIDE);
    *width = read_dimension(gz, path, "image width", IDX_MAX_SIDE);
    size_t bytes = (size_t)*count * (size_t)*height * (size_t)*width;
    uint8_t *pixels = disco_malloc(bytes, path);
    read_exact(gz, pixels, bytes, path, "pixels");
    expect_end(gz, path);
    return pixels;
}

uint8_t *idx_read_labels(const char *path, int classes, int *count) {
    gzFile gz = open_idx(path);
    expect_magic(gz, path, IDX_MAGIC_LABELS, "label");
    *count = read_dimension(gz, path, "label count", INT_MAX);
    uint8_t *labels = disco_malloc((size_t)*count, path);
    read_exact(gz, labels, (size_t)*count, path, "labels");
    expect_end(gz, path);
    for (int i = 0; i < *count; i++)
        DISCO_CHECK(labels[i] < classes, "'%s': label %d at index %d is outside [0, %d)", path, labels[i], i,
                    classes);
    return labels;
}

IdxDataset idx_load(const char *images_path, const char *labels_path, int classes) {
    IdxDataset d;
    int label_count;
    d.images = idx_read_images(images_path, &d.count, &d.height, &d.width);
    d.labels = idx_read_labels(labels_path, classes, &label_count);
    DISCO_CHECK(label_count == d.count, "'%s' holds %d images but '%s' holds %d labels", images_path, d.count,
                labels_path, label_count);
    return d;
}

void idx_free(IdxDataset *d) {
    free(d->images);
    free(d->labels);
    *d = (IdxDataset){0};
}
