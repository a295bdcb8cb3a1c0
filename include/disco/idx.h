/* The IDX format of MNIST and Fashion-MNIST, gzip'd as they are distributed:
 * a big-endian header (magic 0x00000803 and count, rows, cols for images;
 * 0x00000801 and count for labels) followed by the uint8 data.
 *
 * Every problem (a missing file, a wrong magic number, a truncated or
 * overlong body, a label out of range) is fatal with a message naming the
 * file, so a bad download is caught before training starts. */
#ifndef DISCO_IDX_H
#define DISCO_IDX_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int count, height, width;
    uint8_t *images; /* [count, height, width], row-major */
    uint8_t *labels; /* [count] */
} IdxDataset;

/* Returns malloc'd pixels [*count, *height, *width]. */
uint8_t *idx_read_images(const char *path, int *count, int *height, int *width);
/* Returns malloc'd labels [*count], each checked to be below `classes`. */
uint8_t *idx_read_labels(const char *path, int classes, int *count);

/* An image file and its label file, checked to hold the same count. */
IdxDataset idx_load(const char *images_path, const char *labels_path, int classes);
void idx_free(IdxDataset *d);

#ifdef __cplusplus
}
#endif

#endif
