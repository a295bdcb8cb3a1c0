/* Pictures for the ImageNet importers: JPEG decoding, resampling and the two
 * standard square preprocessings, each giving the same bytes as Pillow (the
 * Debian build over the system libjpeg-turbo), so a data set imported here
 * equals one made by the Python dataset tools. */
#ifndef DISCO_PICTURE_H
#define DISCO_PICTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* HWC uint8, rows top to bottom, channels 1 (grey) to 4; pixels is malloc'd. */
typedef struct {
    int width, height, channels;
    uint8_t *pixels;
} Picture;

void picture_free(Picture *p);

/* RGB (channels 3), as PIL.Image.open(path).convert('RGB') gives it: grey
   becomes RGB by repetition, CMYK and YCCK (Adobe) the way Pillow converts
   CMYK to RGB, EXIF orientation is not applied. A missing, unreadable,
   non-JPEG or truncated file is fatal, naming it. Damage libjpeg recovers
   from (corrupt entropy data, stray bytes) is logged as a warning and the
   picture decoded anyway, as Pillow does. */
Picture jpeg_decode_file(const char *path);
/* The same from a JPEG held in memory (a member of an archive); `name`
   names it in messages. */
Picture jpeg_decode_memory(const uint8_t *data, size_t size, const char *name);

typedef enum { RESAMPLE_BOX, RESAMPLE_BICUBIC, RESAMPLE_LANCZOS } ResampleFilter;

/* The bytes of Pillow's Image.resize((width, height), filter) with the
   default box and reducing_gap. */
Picture picture_resize(const Picture *src, int width, int height, ResampleFilter filter);
/* The rectangle at column x, row y; it must lie inside src. */
Picture picture_crop(const Picture *src, int x, int y, int width, int height);

typedef enum {
    PREPROCESS_CENTER_CROP,          /* EDM: the central square, Lanczos to size */
    PREPROCESS_CENTER_CROP_DHARIWAL, /* ADM and EDM2: box halvings, bicubic, central crop */
} Preprocess;

/* A resolution x resolution picture with src's channels. */
Picture preprocess_square(const Picture *src, Preprocess p, int resolution);
/* "center-crop" or "center-crop-dhariwal", the names of the Python tools'
   --transform; false for anything else. */
bool preprocess_parse(const char *name, Preprocess *p);
const char *preprocess_name(Preprocess p);

#ifdef __cplusplus
}
#endif

#endif
