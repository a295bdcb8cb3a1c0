/* The two square crops diffusion papers train ImageNet on, step for step as
   the Python dataset tools do them with Pillow, so that the pixels match:
   EDM's "center-crop" and the ADM crop that EDM2 calls "center-crop-dhariwal". */
#include <math.h>
#include <string.h>

#include "disco/error.h"
#include "disco/picture.h"

static const char *const NAMES[] = {
    [PREPROCESS_CENTER_CROP] = "center-crop",
    [PREPROCESS_CENTER_CROP_DHARIWAL] = "center-crop-dhariwal",
};

static int min_int(int a, int b) { return a < b ? a : b; }

/* The largest central square (its offsets rounded down), then Lanczos to size. */
static Picture center_crop(const Picture *src, int resolution) {
    const int side = min_int(src->width, src->height);
    Picture square = picture_crop(src, (src->width - side) / 2, (src->height - side) / 2, side, side);
    Picture out = picture_resize(&square, resolution, resolution, RESAMPLE_LANCZOS);
    picture_free(&square);
    return out;
}

/* Box halvings (sizes rounded down) while the short side is at least twice
   the resolution, which is cheaper than one big filter and is what the
   published data sets were made with; then bicubic to a short side of exactly
   the resolution and the central square of what results. */
static Picture center_crop_dhariwal(const Picture *src, int resolution) {
    const Picture *current = src;
    Picture halved = {0}; /* owns current once a halving has run */
    while (min_int(current->width, current->height) / 2 >= resolution) {
        Picture next = picture_resize(current, current->width / 2, current->height / 2, RESAMPLE_BOX);
        picture_free(&halved);
        halved = next;
        current = &halved;
    }
    /* Python's round(x * scale) in double: halves go to even, as nearbyint
       does in the default rounding mode. */
    const double scale = (double)resolution / min_int(current->width, current->height);
    const int width = (int)nearbyint(current->width * scale), height = (int)nearbyint(current->height * scale);
    Picture scaled = picture_resize(current, width, height, RESAMPLE_BICUBIC);
    picture_free(&halved);
    Picture out = picture_crop(&scaled, (width - resolution) / 2, (height - resolution) / 2, resolution, resolution);
    picture_free(&scaled);
    return out;
}

Picture preprocess_square(const Picture *src, Preprocess p, int resolution) {
    DISCO_CHECK(resolution > 0, "preprocess_square: resolution %d is not positive", resolution);
    switch (p) {
    case PREPROCESS_CENTER_CROP: return center_crop(src, resolution);
    case PREPROCESS_CENTER_CROP_DHARIWAL: return center_crop_dhariwal(src, resolution);
    }
    DISCO_FATAL("preprocess_square: unknown preprocessing %d", (int)p);
}

bool preprocess_parse(const char *name, Preprocess *p) {
    for (int i = 0; i < (int)(sizeof NAMES / sizeof *NAMES); i++)
        if (strcmp(name, NAMES[i]) == 0) {
            *p = (Preprocess)i;
            return true;
        }
    return false;
}

const char *preprocess_name(Preprocess p) {
    DISCO_CHECK(p >= PREPROCESS_CENTER_CROP && p <= PREPROCESS_CENTER_CROP_DHARIWAL,
                "preprocess_name: unknown preprocessing %d", (int)p);
    return NAMES[p];
}
