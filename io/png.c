/* PNG files through libpng's simplified API, which does the conversions a
   reader needs (palette, 16-bit, alpha, grey <-> RGB) and reports errors as
   text instead of through setjmp. */
#include <errno.h>
#include <png.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/image.h"

void png_write(const char *path, const uint8_t *pixels, int width, int height, int channels) {
    DISCO_CHECK(channels == 1 || channels == 3, "png_write '%s': %d channels, expected 1 (grey) or 3 (RGB)", path,
                channels);
    DISCO_CHECK(width > 0 && height > 0, "png_write '%s': empty image %dx%d", path, width, height);
    png_image image = {
        .version = PNG_IMAGE_VERSION,
        .width = (png_uint_32)width,
        .height = (png_uint_32)height,
        .format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY,
    };
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!png_image_write_to_file(&image, tmp, 0, pixels, width * channels, NULL))
        DISCO_FATAL("cannot write the PNG '%s': %s", tmp, image.message);
    DISCO_CHECK(rename(tmp, path) == 0, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
}

void png_read(const char *path, uint8_t **pixels, int *width, int *height, int *channels) {
    png_image image = {.version = PNG_IMAGE_VERSION};
    if (!png_image_begin_read_from_file(&image, path))
        DISCO_FATAL("cannot read the PNG '%s': %s", path, image.message);
    /* Colour files (RGB or palette) read as RGB, the rest as grey; 16-bit
       samples become 8-bit. An alpha channel is read and then dropped, not
       composited, as PIL's convert('RGB') and convert('L') do, so imported
       PNG folders match the Python tools. */
    bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
    bool alpha = (image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
    image.format = (colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY) | (alpha ? PNG_FORMAT_FLAG_ALPHA : 0);
    *width = (int)image.width;
    *height = (int)image.height;
    *channels = colour ? 3 : 1;
    *pixels = disco_malloc(PNG_IMAGE_SIZE(image), path);
    if (!png_image_finish_read(&image, NULL, *pixels, 0, NULL)) {
        free(*pixels);
        *pixels = NULL;
        DISCO_FATAL("cannot read the PNG '%s': %s", path, image.message);
    }
    if (alpha) {
        size_t count = (size_t)image.width * image.height, c = (size_t)*channels;
        for (size_t i = 0; i < count; i++) memmove(*pixels + i * c, *pixels + i * (c + 1), c);
    }
}
