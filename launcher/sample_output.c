/* The files of disco sample; see sample_output.h. */
#include "sample_output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/files.h"
#include "disco/image.h"
#include "disco/npz.h"
#include "run_config.h"

void sample_png_path(char *path, size_t size, const char *dir, uint32_t seed) {
    DISCO_CHECK((size_t)snprintf(path, size, "%s/%06u/%06u.png", dir, seed - seed % 1000, seed) < size,
                "path too long: '%s/%06u/%06u.png'", dir, seed - seed % 1000, seed);
}

void sample_write_png(const char *dir, uint32_t seed, const double *image, int side, int channels) {
    size_t count = (size_t)side * side * channels;
    uint8_t *pixels = disco_malloc(count, "sample pixels");
    for (size_t i = 0; i < count; i++) {
        DISCO_CHECK(isfinite(image[i]), "sample: seed %u has a non-finite pixel (%g at %zu): the model diverged",
                    seed, image[i], i);
        double v = image[i] * 127.5 + 128;
        pixels[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    char path[1024];
    sample_png_path(path, sizeof path, dir, seed);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    make_directories(path); /* the seed's folder */
    *slash = '/';
    png_write(path, pixels, side, side, channels);
    free(pixels);
}

typedef struct {
    int side, channels; /* of the first PNG; every other must match */
} Shape;

/* A seed's PNG as RGB into *rgb [side, side, 3] (allocated on the first call):
   grey is repeated into 3 channels. */
static void read_rgb(const char *dir, uint32_t seed, Shape *shape, uint8_t **rgb) {
    char path[1024];
    sample_png_path(path, sizeof path, dir, seed);
    uint8_t *pixels;
    int width, height, channels;
    png_read(path, &pixels, &width, &height, &channels);
    if (!*rgb) {
        *shape = (Shape){.side = width, .channels = channels};
        *rgb = disco_malloc((size_t)width * width * 3, "sample image");
    }
    DISCO_CHECK(width == shape->side && height == shape->side && channels == shape->channels,
                "'%s' is %dx%dx%d, but the first sample is %dx%dx%d: is it from another run?", path, width, height,
                channels, shape->side, shape->side, shape->channels);
    size_t n = (size_t)width * height;
    for (size_t p = 0; p < n; p++)
        for (int c = 0; c < 3; c++) (*rgb)[p * 3 + c] = pixels[p * channels + (channels == 3 ? c : 0)];
    free(pixels);
}

void sample_collect(const char *dir, const SeedList *seeds, const int32_t *labels, int grid) {
    int64_t n = seeds->count;
    Shape shape = {0};
    uint8_t *image = NULL;
    read_rgb(dir, seeds->seeds[0], &shape, &image);
    size_t image_bytes = (size_t)shape.side * shape.side * 3;
    uint8_t *all = disco_malloc((size_t)n * image_bytes, "samples.npz images");
    int64_t *labels64 = disco_malloc((size_t)n * sizeof *labels64, "samples.npz labels");
    for (int64_t i = 0; i < n; i++) {
        if (i) read_rgb(dir, seeds->seeds[i], &shape, &image);
        memcpy(all + (size_t)i * image_bytes, image, image_bytes);
        labels64[i] = labels[i];
    }
    free(image);
    char path[1024];
    run_path(path, sizeof path, dir, "samples.npz");
    const NpyArrayOut arrays[2] = {{"arr_0", NPY_U8, 4, {n, shape.side, shape.side, 3}, all},
                                   {"arr_1", NPY_I64, 1, {n}, labels64}};
    npz_write(path, arrays, 2);

    if (grid > 0) {
        /* Row-major tiles of the first grid x grid images, in the PNGs' own channels. */
        int tiles = n < (int64_t)grid * grid ? (int)n : grid * grid, rows = (tiles + grid - 1) / grid;
        int side = shape.side, channels = shape.channels, width = grid * side;
        uint8_t *canvas = disco_calloc((size_t)width * rows * side * channels, 1, "sample grid");
        for (int t = 0; t < tiles; t++) {
            const uint8_t *tile = all + (size_t)t * image_bytes;
            for (int y = 0; y < side; y++)
                for (int x = 0; x < side; x++)
                    for (int c = 0; c < channels; c++) {
                        size_t at = ((size_t)(t / grid * side + y) * width + (size_t)(t % grid * side + x)) * channels;
                        canvas[at + c] = tile[((size_t)y * side + x) * 3 + c];
                    }
        }
        run_path(path, sizeof path, dir, "grid.png");
        png_write(path, canvas, width, rows * side, channels);
        free(canvas);
    }
    free(all), free(labels64);
}
