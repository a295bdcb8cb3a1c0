/* A small raster canvas for scatter plots and trajectories. Data coordinates
   map linearly onto the plot area, the canvas less a margin on every side:
   x_min to the centre of its first column, y_max to the centre of its top
   row. Nothing is drawn outside the plot area. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/image.h"

enum { CANVAS_MARGIN = 8, ROW_GAP = 6 };

Color palette_color(int i) {
    static const Color colours[16] = {
        {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},   {148, 103, 189}, {140, 86, 75},
        {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}, {0, 0, 128},     {128, 0, 0},
        {0, 128, 0},    {255, 215, 0},  {0, 0, 0},      {255, 105, 180},
    };
    return colours[(i % 16 + 16) % 16];
}

Canvas canvas_create(int width, int height, double x_min, double x_max, double y_min, double y_max) {
    DISCO_CHECK(width > 2 * CANVAS_MARGIN + 1 && height > 2 * CANVAS_MARGIN + 1,
                "a %dx%d canvas leaves no room inside its %d-pixel margin", width, height, CANVAS_MARGIN);
    DISCO_CHECK(x_min < x_max && y_min < y_max, "canvas ranges [%g, %g] x [%g, %g] are empty", x_min, x_max, y_min,
                y_max);
    Canvas c = {.width = width, .height = height, .x_min = x_min, .x_max = x_max, .y_min = y_min, .y_max = y_max,
                .margin = CANVAS_MARGIN};
    size_t bytes = (size_t)width * (size_t)height * 3;
    c.rgb = disco_malloc(bytes, "canvas");
    memset(c.rgb, 255, bytes);
    return c;
}

void canvas_free(Canvas *c) {
    free(c->rgb);
    c->rgb = NULL;
}

static void set_pixel(Canvas *c, int px, int py, Color color) {
    if (px < c->margin || px >= c->width - c->margin || py < c->margin || py >= c->height - c->margin) return;
    uint8_t *p = c->rgb + 3 * ((size_t)py * (size_t)c->width + (size_t)px);
    p[0] = color.r, p[1] = color.g, p[2] = color.b;
}

static double to_px(const Canvas *c, double x) {
    return c->margin + (x - c->x_min) / (c->x_max - c->x_min) * (c->width - 2 * c->margin - 1);
}

static double to_py(const Canvas *c, double y) {
    return c->margin + (c->y_max - y) / (c->y_max - c->y_min) * (c->height - 2 * c->margin - 1);
}

void canvas_point(Canvas *c, double x, double y, int radius, Color color) {
    double fx = to_px(c, x), fy = to_py(c, y);
    /* Also keeps far-away (or non-finite) points from overflowing an int. */
    if (!(fx > -radius - 1 && fx < c->width + radius && fy > -radius - 1 && fy < c->height + radius)) return;
    int cx = (int)lround(fx), cy = (int)lround(fy);
    for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++)
            if (dx * dx + dy * dy <= radius * radius + radius) set_pixel(c, cx + dx, cy + dy, color);
}

/* Liang-Barsky: shrinks the segment to the part inside the data rectangle,
   so that a line from a diverged point costs no more than one that fits. */
static bool clip(const Canvas *c, double *x0, double *y0, double *x1, double *y1) {
    double dx = *x1 - *x0, dy = *y1 - *y0, t0 = 0, t1 = 1;
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {*x0 - c->x_min, c->x_max - *x0, *y0 - c->y_min, c->y_max - *y0};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0) return false; /* parallel to this edge and outside it */
            continue;
        }
        double t = q[i] / p[i];
        if (p[i] < 0)
            t0 = fmax(t0, t);
        else
            t1 = fmin(t1, t);
    }
    if (t0 > t1) return false;
    double start_x = *x0, start_y = *y0;
    *x0 = start_x + t0 * dx, *y0 = start_y + t0 * dy;
    *x1 = start_x + t1 * dx, *y1 = start_y + t1 * dy;
    return true;
}

void canvas_line(Canvas *c, double x0, double y0, double x1, double y1, Color color) {
    if (!(isfinite(x0) && isfinite(y0) && isfinite(x1) && isfinite(y1))) return;
    if (!clip(c, &x0, &y0, &x1, &y1)) return;
    /* Bresenham, stepping one pixel at a time from end to end. */
    int ax = (int)lround(to_px(c, x0)), ay = (int)lround(to_py(c, y0));
    int bx = (int)lround(to_px(c, x1)), by = (int)lround(to_py(c, y1));
    int dx = abs(bx - ax), dy = -abs(by - ay), sx = ax < bx ? 1 : -1, sy = ay < by ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        set_pixel(c, ax, ay, color);
        if (ax == bx && ay == by) break;
        int e2 = 2 * err;
        if (e2 >= dy) err += dy, ax += sx;
        if (e2 <= dx) err += dx, ay += sy;
    }
}

/* Grid lines every integer, or every 10^k when that would pack them closer
   than 4 pixels apart. */
static double grid_step(double span, int pixels) {
    double step = 1;
    while (span / step > pixels / 4.0) step *= 10;
    return step;
}

/* Drawn over whatever is there: call it before plotting the data. */
void canvas_frame(Canvas *c) {
    const Color grid = {225, 225, 225}, border = {80, 80, 80};
    double step_x = grid_step(c->x_max - c->x_min, c->width - 2 * c->margin);
    double step_y = grid_step(c->y_max - c->y_min, c->height - 2 * c->margin);
    for (double k = ceil(c->x_min / step_x); k * step_x <= c->x_max; k++)
        canvas_line(c, k * step_x, c->y_min, k * step_x, c->y_max, grid);
    for (double k = ceil(c->y_min / step_y); k * step_y <= c->y_max; k++)
        canvas_line(c, c->x_min, k * step_y, c->x_max, k * step_y, grid);
    canvas_line(c, c->x_min, c->y_min, c->x_max, c->y_min, border);
    canvas_line(c, c->x_min, c->y_max, c->x_max, c->y_max, border);
    canvas_line(c, c->x_min, c->y_min, c->x_min, c->y_max, border);
    canvas_line(c, c->x_max, c->y_min, c->x_max, c->y_max, border);
}

void canvas_save_row(const char *path, const Canvas *canvases, int count) {
    DISCO_CHECK(count >= 1, "canvas_save_row '%s': no canvases", path);
    int w = canvases[0].width, h = canvases[0].height;
    for (int i = 1; i < count; i++)
        DISCO_CHECK(canvases[i].width == w && canvases[i].height == h,
                    "canvas_save_row '%s': canvas %d is %dx%d, canvas 0 is %dx%d", path, i, canvases[i].width,
                    canvases[i].height, w, h);
    int total = count * w + (count - 1) * ROW_GAP;
    size_t bytes = (size_t)total * (size_t)h * 3;
    uint8_t *row = disco_malloc(bytes, path);
    memset(row, 255, bytes);
    for (int i = 0; i < count; i++)
        for (int y = 0; y < h; y++)
            memcpy(row + 3 * ((size_t)y * (size_t)total + (size_t)i * (size_t)(w + ROW_GAP)),
                   canvases[i].rgb + 3 * (size_t)y * (size_t)w, 3 * (size_t)w);
    png_write(path, row, total, h, 3);
    free(row);
}
