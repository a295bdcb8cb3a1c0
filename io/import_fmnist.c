/* Fashion-MNIST from its IDX files, optionally padded to 32x32 (the size of
   the image models) and repeated into RGB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/idx.h"
#include "disco/import.h"

#define FMNIST_CLASSES 10
#define FMNIST_SIZE 28

typedef struct {
    IdxDataset idx;
    int size, channels;
} FmnistState;

/* Padding centres the image on black, as classifier_pack_image does, so
   both see the same frame. */
static void load_fmnist(void *state, int64_t index, uint8_t *dst, int32_t *label) {
    const FmnistState *f = state;
    const uint8_t *src = f->idx.images + (size_t)index * FMNIST_SIZE * FMNIST_SIZE;
    int offset = (f->size - FMNIST_SIZE) / 2, channels = f->channels;
    memset(dst, 0, (size_t)f->size * f->size * channels);
    for (int y = 0; y < FMNIST_SIZE; y++)
        for (int x = 0; x < FMNIST_SIZE; x++)
            for (int c = 0; c < channels; c++)
                dst[((size_t)(y + offset) * f->size + (x + offset)) * channels + c] = src[y * FMNIST_SIZE + x];
    *label = f->idx.labels[index];
}

static void close_fmnist(void *state) {
    FmnistState *f = state;
    idx_free(&f->idx);
    free(f);
}

ImportSource import_source_fmnist(const FmnistImport *o) {
    DISCO_CHECK(strcmp(o->split, "train") == 0 || strcmp(o->split, "t10k") == 0,
                "unknown Fashion-MNIST split '%s' (train or t10k)", o->split);
    DISCO_CHECK(o->size == FMNIST_SIZE || o->size == 32, "image size %d: Fashion-MNIST imports at 28 or 32",
                o->size);
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", o->data_dir, o->split);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", o->data_dir, o->split);
    FmnistState *f = disco_calloc(1, sizeof *f, "Fashion-MNIST import");
    f->idx = idx_load(images, labels, FMNIST_CLASSES);
    DISCO_CHECK(f->idx.height == FMNIST_SIZE && f->idx.width == FMNIST_SIZE, "'%s' holds %dx%d images, not %dx%d",
                images, f->idx.height, f->idx.width, FMNIST_SIZE, FMNIST_SIZE);
    f->size = o->size;
    f->channels = o->rgb ? 3 : 1;

    ImportSource s = {.count = f->idx.count, .height = o->size, .width = o->size, .channels = f->channels,
                      .classes = FMNIST_CLASSES, .state = f, .load = load_fmnist, .close = close_fmnist,
                      .threaded = true};
    snprintf(s.source, sizeof s.source, "Fashion-MNIST %s-images-idx3-ubyte.gz, %s-labels-idx1-ubyte.gz", o->split,
             o->split);
    snprintf(s.preprocessing, sizeof s.preprocessing, "%s, %s",
             o->size == FMNIST_SIZE ? "kept at 28x28" : "centred on a black 32x32 canvas",
             o->rgb ? "grey repeated into RGB" : "grey");
    return s;
}
