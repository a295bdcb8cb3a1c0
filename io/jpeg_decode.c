/* JPEG decoding through libjpeg-turbo as Pillow drives it: the library's
   default decompression settings (islow DCT, fancy upsampling), output colour
   space chosen from the number of components alone, and Pillow's own grey and
   CMYK conversions to RGB afterwards, so the pixels equal
   PIL.Image.open(path).convert('RGB') over the same libjpeg-turbo. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jerror.h>
#include <jpeglib.h>

#include "disco/error.h"
#include "disco/log.h"
#include "disco/picture.h"

/* libjpeg's default error handler calls exit(). This one reports through the
   one abort path instead, naming the file; error_exit must not return, and
   DISCO_FATAL does not, so no setjmp is needed. */
typedef struct {
    struct jpeg_error_mgr pub;
    const char *name;
    bool ran_out; /* the data ended before the image did */
} ErrorHandler;

static void on_error(j_common_ptr cinfo) {
    ErrorHandler *handler = (ErrorHandler *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    handler->pub.format_message(cinfo, text);
    if (handler->ran_out) DISCO_FATAL("the JPEG '%s' is truncated (%s)", handler->name, text);
    DISCO_FATAL("cannot decode the JPEG '%s': %s", handler->name, text);
}

/* Pillow decodes through libjpeg's warnings (corrupt entropy data, stray
   bytes) and gets whatever pixels the library recovers, so they are only
   logged here, once per file. Running out of data is the exception: Pillow's
   reader then raises "image file is truncated", so it is fatal here too. */
static void on_message(j_common_ptr cinfo, int level) {
    ErrorHandler *handler = (ErrorHandler *)cinfo->err;
    if (level >= 0) return; /* trace messages */
    if (handler->pub.msg_code == JWRN_JPEG_EOF) {
        handler->ran_out = true;
    } else if (handler->pub.num_warnings == 0) {
        char text[JMSG_LENGTH_MAX];
        handler->pub.format_message(cinfo, text);
        LOG_WARN("the JPEG '%s' is damaged (%s); decoded anyway, as Pillow does", handler->name, text);
    }
    handler->pub.num_warnings++;
}

/* Pillow unpacks a 4-component JPEG as Adobe-style inverted CMYK and turns
   CMYK into RGB as (255 - k) - c (255 - k) / 255, with its own rounded division
   by 255. In the stored (inverted) values, 255 - k is the stored black. */
static uint8_t cmyk_channel(uint8_t stored_ink, uint8_t stored_black) {
    unsigned ink = 255u - stored_ink, white = stored_black;
    unsigned product = ink * white + 128u;
    return (uint8_t)(white - ((product >> 8) + product) / 256u);
}

/* Grey (1 component) or CMYK (4) to RGB. */
static void to_rgb(const uint8_t *decoded, int components, size_t count, uint8_t *rgb) {
    for (size_t i = 0; i < count; i++, rgb += 3) {
        const uint8_t *in = decoded + i * (size_t)components;
        if (components == 1) {
            rgb[0] = rgb[1] = rgb[2] = in[0];
        } else {
            for (int c = 0; c < 3; c++) rgb[c] = cmyk_channel(in[c], in[3]);
        }
    }
}

static J_COLOR_SPACE output_space(int components, const char *name) {
    switch (components) {
    case 1: return JCS_GRAYSCALE;
    case 3: return JCS_RGB;
    /* libjpeg turns YCCK into CMYK itself, as it does for Pillow. */
    case 4: return JCS_CMYK;
    }
    DISCO_FATAL("the JPEG '%s' has %d colour components; Pillow reads 1, 3 or 4", name, components);
}

Picture jpeg_decode_memory(const uint8_t *data, size_t size, const char *name) {
    struct jpeg_decompress_struct cinfo;
    ErrorHandler handler = {.name = name};
    cinfo.err = jpeg_std_error(&handler.pub);
    handler.pub.error_exit = on_error;
    handler.pub.emit_message = on_message;
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    const int components = cinfo.num_components;
    cinfo.out_color_space = output_space(components, name);
    jpeg_start_decompress(&cinfo);

    const size_t width = cinfo.output_width, height = cinfo.output_height;
    const size_t row_bytes = width * (size_t)components;
    uint8_t *decoded = disco_malloc(row_bytes * height, name);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = decoded + (size_t)cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    /* Reading up to the end-of-image marker is what tells a cut file from a
       whole one: Pillow refuses even a file that lacks only that marker. */
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    if (handler.ran_out) DISCO_FATAL("the JPEG '%s' is truncated: the data ends before the image does", name);

    Picture picture = {.width = (int)width, .height = (int)height, .channels = 3};
    if (components == 3) {
        picture.pixels = decoded;
    } else {
        picture.pixels = disco_malloc(width * height * 3, name);
        to_rgb(decoded, components, width * height, picture.pixels);
        free(decoded);
    }
    return picture;
}

Picture jpeg_decode_file(const char *path) {
    FILE *f = fopen(path, "rb");
    DISCO_CHECK(f, "cannot open the JPEG '%s': %s", path, strerror(errno));
    struct stat st;
    DISCO_CHECK(fstat(fileno(f), &st) == 0, "cannot stat the JPEG '%s': %s", path, strerror(errno));
    size_t size = (size_t)st.st_size;
    uint8_t *data = disco_malloc(size > 0 ? size : 1, path);
    DISCO_CHECK(fread(data, 1, size, f) == size, "cannot read the JPEG '%s': %s", path,
                ferror(f) ? strerror(errno) : "the file shrank while being read");
    fclose(f);
    Picture picture = jpeg_decode_memory(data, size, path);
    free(data);
    return picture;
}
