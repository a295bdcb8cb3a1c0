/* Resizing with Pillow's arithmetic (libImaging/Resample.c), so the bytes
   equal Image.resize's: a separable convolution, first along rows into the
   band of rows the second pass needs, then along columns; a pass whose size
   does not change is skipped. Each output sample's weights are the filter,
   stretched by the scale when shrinking, sampled at the input pixel centres
   inside its window, normalised to sum 1 in double and then rounded to fixed
   point; sums start at one half and are clipped to 0..255.

   Every double expression below keeps Pillow's operations and their order,
   since moving a weight by one ulp can flip a rounded pixel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/picture.h"

/* Pillow's build (Debian, baseline x86-64) never fuses a multiply and an add;
   a fused one rounds once instead of twice. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Weights are fixed point with this many fraction bits: 8 bits for the
   pixel and 2 to spare for the negative lobes keep a sum inside 32 bits. */
enum { PRECISION_BITS = 32 - 8 - 2 };

typedef struct {
    double (*weight)(double x);
    double support; /* the kernel is zero outside [-support, support] */
} Filter;

static double box_weight(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }

/* Keys' cubic convolution with a = -0.5 (Catmull-Rom). */
static double bicubic_weight(double x) {
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static double sinc(double x) {
    if (x == 0.0) return 1.0;
    x = x * M_PI;
    return sin(x) / x;
}

/* Lanczos with a = 3: sinc windowed by a sinc three times wider. */
static double lanczos_weight(double x) {
    if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
    return 0.0;
}

static const Filter FILTERS[] = {
    [RESAMPLE_BOX] = {box_weight, 0.5},
    [RESAMPLE_BICUBIC] = {bicubic_weight, 2.0},
    [RESAMPLE_LANCZOS] = {lanczos_weight, 3.0},
};

/* Where each output sample of one axis reads the input, and with what weights. */
typedef struct {
    int taps;         /* room for weights per output sample */
    int *first;       /* [out] first input index read */
    int *count;       /* [out] input samples read */
    int32_t *weights; /* [out][taps], fixed point */
} AxisWeights;

static int32_t to_fixed(double w) {
    const double one = (double)(1 << PRECISION_BITS);
    return (int32_t)(w < 0 ? -0.5 + w * one : 0.5 + w * one);
}

static AxisWeights axis_weights(int in_size, int out_size, const Filter *filter) {
    const double scale = (double)in_size / out_size;
    /* Shrinking widens the kernel by the scale, so that every input pixel
       contributes (no aliasing); enlarging keeps it as it is. */
    const double stretch = scale < 1.0 ? 1.0 : scale;
    const double support = filter->support * stretch;
    const double inverse_stretch = 1.0 / stretch;
    AxisWeights axis = {.taps = (int)ceil(support) * 2 + 1};
    axis.first = disco_malloc((size_t)out_size * sizeof *axis.first, "resize window starts");
    axis.count = disco_malloc((size_t)out_size * sizeof *axis.count, "resize window lengths");
    axis.weights = disco_malloc((size_t)out_size * (size_t)axis.taps * sizeof *axis.weights, "resize weights");
    double *w = disco_malloc((size_t)axis.taps * sizeof *w, "resize weights");
    for (int i = 0; i < out_size; i++) {
        const double center = (i + 0.5) * scale;
        /* The cast truncates, so adding a half rounds the window's ends to the
           nearest pixel (a negative start is clamped anyway). */
        int first = (int)(center - support + 0.5), end = (int)(center + support + 0.5);
        if (first < 0) first = 0;
        if (end > in_size) end = in_size;
        const int count = end - first;
        double total = 0.0;
        for (int j = 0; j < count; j++) {
            w[j] = filter->weight((first + j - center + 0.5) * inverse_stretch);
            total += w[j];
        }
        int32_t *fixed = axis.weights + (size_t)i * (size_t)axis.taps;
        for (int j = 0; j < count; j++) fixed[j] = to_fixed(total != 0.0 ? w[j] / total : w[j]);
        axis.first[i] = first;
        axis.count[i] = count;
    }
    free(w);
    return axis;
}

static void axis_weights_free(AxisWeights *axis) {
    free(axis->first);
    free(axis->count);
    free(axis->weights);
}

/* The sums start at one half, so the shift rounds to nearest. Pillow sums in
   32 bits, which its PRECISION_BITS keep from overflowing; 64 bits give the
   same values without relying on that. */
static uint8_t clip_fixed(int64_t sum) {
    if (sum < 0) return 0;
    sum >>= PRECISION_BITS;
    return sum > 255 ? 255 : (uint8_t)sum;
}

static const int64_t HALF = (int64_t)1 << (PRECISION_BITS - 1);

static Picture picture_new(int width, int height, int channels) {
    Picture p = {.width = width, .height = height, .channels = channels};
    p.pixels = disco_malloc((size_t)width * (size_t)height * (size_t)channels, "picture pixels");
    return p;
}

/* Output row y is input row y + first_row, resampled along its length. */
static void resample_rows(const Picture *in, int first_row, Picture *out, const AxisWeights *axis) {
    const int c = in->channels;
    for (int y = 0; y < out->height; y++) {
        const uint8_t *row = in->pixels + (size_t)(y + first_row) * (size_t)in->width * (size_t)c;
        uint8_t *dst = out->pixels + (size_t)y * (size_t)out->width * (size_t)c;
        for (int x = 0; x < out->width; x++) {
            const int32_t *k = axis->weights + (size_t)x * (size_t)axis->taps;
            const uint8_t *src = row + (size_t)axis->first[x] * (size_t)c;
            for (int ch = 0; ch < c; ch++) {
                int64_t sum = HALF;
                for (int j = 0; j < axis->count[x]; j++) sum += (int64_t)src[j * c + ch] * k[j];
                dst[x * c + ch] = clip_fixed(sum);
            }
        }
    }
}

/* Output row y mixes input rows from axis->first[y] - first_row on. */
static void resample_columns(const Picture *in, int first_row, Picture *out, const AxisWeights *axis) {
    const size_t stride = (size_t)in->width * (size_t)in->channels;
    for (int y = 0; y < out->height; y++) {
        const int32_t *k = axis->weights + (size_t)y * (size_t)axis->taps;
        const uint8_t *top = in->pixels + (size_t)(axis->first[y] - first_row) * stride;
        uint8_t *dst = out->pixels + (size_t)y * stride;
        for (size_t i = 0; i < stride; i++) {
            int64_t sum = HALF;
            for (int j = 0; j < axis->count[y]; j++) sum += (int64_t)top[(size_t)j * stride + i] * k[j];
            dst[i] = clip_fixed(sum);
        }
    }
}

static void check_picture(const Picture *p, const char *what) {
    DISCO_CHECK(p->width > 0 && p->height > 0 && p->channels >= 1 && p->channels <= 4 && p->pixels,
                "%s: not a picture (%dx%d, %d channels)", what, p->width, p->height, p->channels);
}

Picture picture_resize(const Picture *src, int width, int height, ResampleFilter filter) {
    check_picture(src, "picture_resize");
    DISCO_CHECK(width > 0 && height > 0, "picture_resize: the target size %dx%d is empty", width, height);
    DISCO_CHECK(filter >= RESAMPLE_BOX && filter <= RESAMPLE_LANCZOS, "picture_resize: unknown filter %d",
                (int)filter);
    if (width == src->width && height == src->height) return picture_crop(src, 0, 0, width, height);

    AxisWeights columns = axis_weights(src->width, width, &FILTERS[filter]);
    AxisWeights rows = axis_weights(src->height, height, &FILTERS[filter]);
    Picture out = picture_new(width, height, src->channels);
    if (width == src->width) {
        resample_columns(src, 0, &out, &rows);
    } else if (height == src->height) {
        resample_rows(src, 0, &out, &columns);
    } else {
        /* The first pass produces only the band of rows the second one reads. */
        const int band_first = rows.first[0], band_end = rows.first[height - 1] + rows.count[height - 1];
        Picture band = picture_new(width, band_end - band_first, src->channels);
        resample_rows(src, band_first, &band, &columns);
        resample_columns(&band, band_first, &out, &rows);
        picture_free(&band);
    }
    axis_weights_free(&columns);
    axis_weights_free(&rows);
    return out;
}

Picture picture_crop(const Picture *src, int x, int y, int width, int height) {
    check_picture(src, "picture_crop");
    DISCO_CHECK(width > 0 && height > 0 && x >= 0 && y >= 0 && x <= src->width - width && y <= src->height - height,
                "picture_crop: %dx%d at column %d, row %d does not fit in a %dx%d picture", width, height, x, y,
                src->width, src->height);
    Picture out = picture_new(width, height, src->channels);
    const size_t row_bytes = (size_t)width * (size_t)src->channels;
    for (int r = 0; r < height; r++)
        memcpy(out.pixels + (size_t)r * row_bytes,
               src->pixels + ((size_t)(y + r) * (size_t)src->width + (size_t)x) * (size_t)src->channels, row_bytes);
    return out;
}

void picture_free(Picture *p) {
    free(p->pixels);
    p->pixels = NULL;
}
