/* PNG files (libpng) and a small raster canvas for the pictures people want
 * to look at: scatter plots of samples and ODE trajectories. */
#ifndef DISCO_IMAGE_H
#define DISCO_IMAGE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 8-bit RGB, rows top to bottom; written to a temporary name and renamed.
   channels 1 (grey) or 3 (RGB). */
void png_write(const char *path, const uint8_t *pixels, int width, int height, int channels);
/* Reads an 8-bit grey or RGB PNG; *pixels is malloc'd (caller frees). */
void png_read(const char *path, uint8_t **pixels, int *width, int *height, int *channels);

typedef struct {
    uint8_t r, g, b;
} Color;

/* A distinct colour for category i (cycles after 16). */
Color palette_color(int i);

typedef struct {
    int width, height;
    uint8_t *rgb;                /* width * height * 3, white on creation */
    double x_min, x_max, y_min, y_max; /* data coordinates of the plot area */
    int margin;                  /* pixels around the plot area */
} Canvas;

Canvas canvas_create(int width, int height, double x_min, double x_max, double y_min, double y_max);
void canvas_free(Canvas *c);
/* A filled disc of the given pixel radius at a data point. */
void canvas_point(Canvas *c, double x, double y, int radius, Color color);
/* A one-pixel line between two data points (clipped to the plot area). */
void canvas_line(Canvas *c, double x0, double y0, double x1, double y1, Color color);
/* The frame of the plot area and light grid lines at integer coordinates. */
void canvas_frame(Canvas *c);
/* Places several canvases of one size side by side into one PNG. */
void canvas_save_row(const char *path, const Canvas *canvases, int count);

#ifdef __cplusplus
}
#endif

#endif
