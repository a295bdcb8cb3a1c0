/* Downsampled ImageNet (the 8x8 to 64x64 .npz batches): rows of 3 * R * R
   bytes in CHW order, which become HWC images; 1-based labels become 0-based. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/import.h"
#include "disco/npz.h"

#define IMAGENET_CLASSES 1000

typedef struct {
    int files, resolution;
    NpzArray **data;
    int64_t *first;  /* [files + 1]: global index of each file's first image, then the total */
    int32_t *labels; /* all images, 0-based */
    uint8_t *row;    /* one CHW row */
} NpzState;

static void load_npz_image(void *state, int64_t index, uint8_t *image, int32_t *label) {
    NpzState *n = state;
    int file = 0;
    while (index >= n->first[file + 1]) file++;
    npz_array_read_rows(n->data[file], index - n->first[file], 1, n->row);
    size_t plane = (size_t)n->resolution * n->resolution;
    for (size_t p = 0; p < plane; p++)
        for (size_t c = 0; c < 3; c++) image[3 * p + c] = n->row[c * plane + p];
    *label = n->labels[index];
}

static void close_npz(void *state) {
    NpzState *n = state;
    for (int f = 0; f < n->files; f++) npz_array_close(n->data[f]);
    free(n->data);
    free(n->first);
    free(n->labels);
    free(n->row);
    free(n);
}

/* Appends the file's labels, checked and made 0-based. */
static void add_labels(NpzState *n, int file, const char *path, int64_t rows) {
    int64_t count = 0;
    int64_t *labels = npz_read_int64(path, "labels", &count);
    DISCO_CHECK(count == rows, "'%s': 'labels' has %lld entries but 'data' has %lld rows", path, (long long)count,
                (long long)rows);
    for (int64_t i = 0; i < count; i++) {
        DISCO_CHECK(labels[i] >= 1 && labels[i] <= IMAGENET_CLASSES,
                    "'%s': labels[%lld] = %lld is outside [1, %d]", path, (long long)i, (long long)labels[i],
                    IMAGENET_CLASSES);
        n->labels[n->first[file] + i] = (int32_t)(labels[i] - 1);
    }
    free(labels);
}

ImportSource import_source_npz(int files, const char *const *paths) {
    DISCO_CHECK(files >= 1, "import: --npz needs at least one file");
    NpzState *n = disco_calloc(1, sizeof *n, "npz import");
    n->files = files;
    n->data = disco_calloc((size_t)files, sizeof *n->data, "npz arrays");
    n->first = disco_calloc((size_t)files + 1, sizeof *n->first, "npz offsets");
    for (int f = 0; f < files; f++) {
        n->data[f] = npz_open_array(paths[f], "data");
        const NpyInfo *info = npz_array_info(n->data[f]);
        int resolution = (int)lround(sqrt((double)info->row_bytes / 3.0));
        DISCO_CHECK(info->type == NPY_U8 && info->ndim == 2 && 3 * (int64_t)resolution * resolution == info->row_bytes,
                    "'%s': 'data' must be uint8 [N, 3 * R * R] (CHW rows of square RGB images)", paths[f]);
        DISCO_CHECK(f == 0 || resolution == n->resolution, "'%s' holds %dx%d images but '%s' holds %dx%d", paths[f],
                    resolution, resolution, paths[0], n->resolution, n->resolution);
        n->resolution = resolution;
        n->first[f + 1] = n->first[f] + info->rows;
    }
    n->labels = disco_malloc((size_t)n->first[files] * sizeof *n->labels, "npz labels");
    for (int f = 0; f < files; f++) add_labels(n, f, paths[f], n->first[f + 1] - n->first[f]);
    n->row = disco_malloc(3 * (size_t)n->resolution * n->resolution, "npz row");

    ImportSource s = {.count = n->first[files], .height = n->resolution, .width = n->resolution, .channels = 3,
                      .classes = IMAGENET_CLASSES, .state = n, .load = load_npz_image, .close = close_npz};
    snprintf(s.source, sizeof s.source, "downsampled ImageNet .npz: %s%s", paths[0], files > 1 ? " and others" : "");
    snprintf(s.preprocessing, sizeof s.preprocessing, "as distributed (%dx%d, box-resized by its makers)",
             n->resolution, n->resolution);
    return s;
}
