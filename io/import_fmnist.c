/* Fashion-MNIST from its IDX files into one shard, optionally padded to
   32x32 (the size of the image models) and repeated into RGB. */
#include "disco/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disco/error.h"
#include "disco/idx.h"
#include "disco/shards.h"

#define FMNIST_CLASSES 10
#define FMNIST_SIZE 28

/* One 28x28 grey image into the output's HWC layout. Padding centres the
   image on black, as classifier_pack_image does, so both see the same frame. */
static void place_image(uint8_t *dst, const uint8_t *src, int size, int channels) {
    int offset = (size - FMNIST_SIZE) / 2;
    memset(dst, 0, (size_t)size * size * channels);
    for (int y = 0; y < FMNIST_SIZE; y++)
        for (int x = 0; x < FMNIST_SIZE; x++)
            for (int c = 0; c < channels; c++)
                dst[((size_t)(y + offset) * size + (x + offset)) * channels + c] = src[y * FMNIST_SIZE + x];
}

int64_t import_fmnist(const FmnistImport *o, const char *out) {
    DISCO_CHECK(strcmp(o->split, "train") == 0 || strcmp(o->split, "t10k") == 0,
                "unknown Fashion-MNIST split '%s' (train or t10k)", o->split);
    DISCO_CHECK(o->size == FMNIST_SIZE || o->size == 32, "image size %d: Fashion-MNIST imports at 28 or 32",
                o->size);
    /* Checked before reading anything, so a refused import costs nothing. */
    DISCO_CHECK(o->force || access(out, F_OK) != 0, "'%s' already exists (use --force to replace it)", out);

    char images[4096], labels[4096], source[256], preprocessing[256];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", o->data_dir, o->split);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", o->data_dir, o->split);
    IdxDataset d = idx_load(images, labels, FMNIST_CLASSES);
    DISCO_CHECK(d.height == FMNIST_SIZE && d.width == FMNIST_SIZE, "'%s' holds %dx%d images, not %dx%d", images,
                d.height, d.width, FMNIST_SIZE, FMNIST_SIZE);

    int channels = o->rgb ? 3 : 1;
    snprintf(source, sizeof source, "Fashion-MNIST %s-images-idx3-ubyte.gz, %s-labels-idx1-ubyte.gz", o->split,
             o->split);
    snprintf(preprocessing, sizeof preprocessing, "%s, %s",
             o->size == FMNIST_SIZE ? "kept at 28x28" : "centred on a black 32x32 canvas",
             o->rgb ? "grey repeated into RGB" : "grey");
    /* Uncompressed: the images are small, and the reader's throughput matters more than the disk. */
    ShardWriter *sw = shard_writer_open(out, o->size, o->size, channels, FMNIST_CLASSES, preprocessing, source, 0);
    uint8_t *image = disco_malloc((size_t)o->size * o->size * channels, "one imported image");
    for (int i = 0; i < d.count; i++) {
        place_image(image, d.images + (size_t)i * FMNIST_SIZE * FMNIST_SIZE, o->size, channels);
        shard_writer_append(sw, image, d.labels[i]);
    }
    shard_writer_close(sw);
    free(image);
    int64_t count = d.count;
    idx_free(&d);
    return count;
}
