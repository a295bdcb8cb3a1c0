/* FID's Inception-v3 (see inception.h and docs/fid_inception.md). Layer
   names, channel counts, kernels and paddings are those of pytorch-fid's
   port: torchvision's Inception3 blocks with the FID patches. */
#include "disco/inception.h"

#include <math.h>

#include "disco/error.h"

/* Geometry of one conv: kernel kh x kw, stride, padding (pad_h, pad_w). */
typedef struct {
    int kh, kw, stride, pad_h, pad_w;
} Window;

static const Window K1 = {1, 1, 1, 0, 0};
static const Window K3 = {3, 3, 1, 0, 0};
static const Window K3_PAD = {3, 3, 1, 1, 1};
static const Window K3_STRIDE2 = {3, 3, 2, 0, 0};
static const Window K5_PAD = {5, 5, 1, 2, 2};
static const Window K1x3 = {1, 3, 1, 0, 1};
static const Window K3x1 = {3, 1, 1, 1, 0};
static const Window K1x7 = {1, 7, 1, 0, 3};
static const Window K7x1 = {7, 1, 1, 3, 0};

static int channels_of(const Graph *g, int x) {
    Tensor t = graph_tensor(g, x);
    return t.shape[t.ndim - 1];
}

/* pytorch-fid's BasicConv2d: conv -> BatchNorm -> ReLU, with the BatchNorm
   folded into the conv's weight and a bias (inception.h). */
static int conv_unit(Graph *g, const char *layer, int x, int out, Window k) {
    int in = channels_of(g, x), fan_in = k.kh * k.kw * in;
    graph_push_scope(g, layer);
    graph_push_scope(g, "conv");
    int weight = graph_param(g, "weight", 4, (int[]){out, k.kh, k.kw, in},
                             (Init){INIT_UNIFORM_FAN_IN, sqrtf(2.0f), fan_in});
    int bias = graph_param(g, "bias", 1, (int[]){out}, (Init){INIT_ZERO, 0, 0});
    graph_pop_scope(g);
    graph_pop_scope(g);
    return graph_relu(g, graph_conv_general(g, x, weight, bias, k.stride, k.pad_h, k.pad_w));
}

/* The branches side by side along channels, in the given order. */
static int concat(Graph *g, const int *branches, int count) {
    int y = branches[0];
    for (int i = 1; i < count; i++) y = graph_concat(g, y, branches[i]);
    return y;
}

typedef enum { POOL_AVERAGE, POOL_MAX } PoolKind;

/* The pooling branch of blocks A, C and E: a 3x3 pool at stride 1 that keeps
   the size. FID's average excludes the padding (count_include_pad=False). */
static int same_size_pool(Graph *g, int x, PoolKind kind) {
    return kind == POOL_MAX ? graph_max_pool(g, x, 3, 1, 1) : graph_avg_pool(g, x, 3, 1, 1);
}

/* Mixed_5b, 5c, 5d (35x35): torchvision's InceptionA with the FID pool. */
static int block_a(Graph *g, int x, int pool_features) {
    int b1 = conv_unit(g, "branch1x1", x, 64, K1);
    int b5 = conv_unit(g, "branch5x5_1", x, 48, K1);
    b5 = conv_unit(g, "branch5x5_2", b5, 64, K5_PAD);
    int b3 = conv_unit(g, "branch3x3dbl_1", x, 64, K1);
    b3 = conv_unit(g, "branch3x3dbl_2", b3, 96, K3_PAD);
    b3 = conv_unit(g, "branch3x3dbl_3", b3, 96, K3_PAD);
    int bp = conv_unit(g, "branch_pool", same_size_pool(g, x, POOL_AVERAGE), pool_features, K1);
    return concat(g, (int[]){b1, b5, b3, bp}, 4);
}

/* Mixed_6a (35x35 -> 17x17): InceptionB, unchanged by FID. */
static int block_b(Graph *g, int x, int no_arg) {
    int b3 = conv_unit(g, "branch3x3", x, 384, K3_STRIDE2);
    int bd = conv_unit(g, "branch3x3dbl_1", x, 64, K1);
    bd = conv_unit(g, "branch3x3dbl_2", bd, 96, K3_PAD);
    bd = conv_unit(g, "branch3x3dbl_3", bd, 96, K3_STRIDE2);
    int bp = graph_max_pool(g, x, 3, 2, 0);
    return concat(g, (int[]){b3, bd, bp}, 3);
}

/* Mixed_6b..6e (17x17): InceptionC with c7 channels inside the 7x7 towers. */
static int block_c(Graph *g, int x, int c7) {
    int b1 = conv_unit(g, "branch1x1", x, 192, K1);
    int b7 = conv_unit(g, "branch7x7_1", x, c7, K1);
    b7 = conv_unit(g, "branch7x7_2", b7, c7, K1x7);
    b7 = conv_unit(g, "branch7x7_3", b7, 192, K7x1);
    int bd = conv_unit(g, "branch7x7dbl_1", x, c7, K1);
    bd = conv_unit(g, "branch7x7dbl_2", bd, c7, K7x1);
    bd = conv_unit(g, "branch7x7dbl_3", bd, c7, K1x7);
    bd = conv_unit(g, "branch7x7dbl_4", bd, c7, K7x1);
    bd = conv_unit(g, "branch7x7dbl_5", bd, 192, K1x7);
    int bp = conv_unit(g, "branch_pool", same_size_pool(g, x, POOL_AVERAGE), 192, K1);
    return concat(g, (int[]){b1, b7, bd, bp}, 4);
}

/* Mixed_7a (17x17 -> 8x8): InceptionD, unchanged by FID. */
static int block_d(Graph *g, int x, int no_arg) {
    int b3 = conv_unit(g, "branch3x3_1", x, 192, K1);
    b3 = conv_unit(g, "branch3x3_2", b3, 320, K3_STRIDE2);
    int b7 = conv_unit(g, "branch7x7x3_1", x, 192, K1);
    b7 = conv_unit(g, "branch7x7x3_2", b7, 192, K1x7);
    b7 = conv_unit(g, "branch7x7x3_3", b7, 192, K7x1);
    b7 = conv_unit(g, "branch7x7x3_4", b7, 192, K3_STRIDE2);
    int bp = graph_max_pool(g, x, 3, 2, 0);
    return concat(g, (int[]){b3, b7, bp}, 3);
}

/* Mixed_7b, 7c (8x8): InceptionE. The TF graph pools by average in 7b but by
   max in 7c (pytorch-fid's FIDInceptionE_1 and _2), where torchvision
   averages in both. */
static int block_e(Graph *g, int x, int pool) {
    int b1 = conv_unit(g, "branch1x1", x, 320, K1);
    int b3 = conv_unit(g, "branch3x3_1", x, 384, K1);
    int b3a = conv_unit(g, "branch3x3_2a", b3, 384, K1x3);
    int b3b = conv_unit(g, "branch3x3_2b", b3, 384, K3x1);
    int bd = conv_unit(g, "branch3x3dbl_1", x, 448, K1);
    bd = conv_unit(g, "branch3x3dbl_2", bd, 384, K3_PAD);
    int bda = conv_unit(g, "branch3x3dbl_3a", bd, 384, K1x3);
    int bdb = conv_unit(g, "branch3x3dbl_3b", bd, 384, K3x1);
    int bp = conv_unit(g, "branch_pool", same_size_pool(g, x, (PoolKind)pool), 192, K1);
    return concat(g, (int[]){b1, b3a, b3b, bda, bdb, bp}, 6);
}

/* The eleven mixed blocks in order. `arg` is A's pool features, C's c7 and
   E's pool; B and D take none. */
static const struct {
    const char *name;
    int (*build)(Graph *g, int x, int arg);
    int arg;
} MIXED[] = {
    {"Mixed_5b", block_a, 32},  {"Mixed_5c", block_a, 64},  {"Mixed_5d", block_a, 64},
    {"Mixed_6a", block_b, 0},   {"Mixed_6b", block_c, 128}, {"Mixed_6c", block_c, 160},
    {"Mixed_6d", block_c, 160}, {"Mixed_6e", block_c, 192}, {"Mixed_7a", block_d, 0},
    {"Mixed_7b", block_e, POOL_AVERAGE}, {"Mixed_7c", block_e, POOL_MAX},
};

Inception inception_build(Graph *g, int batch, int height, int width) {
    DISCO_CHECK(batch > 0 && height > 0 && width > 0, "inception: batch %d of %dx%d images must be positive", batch,
                height, width);
    graph_set_training(g, false);
    Inception net;
    net.images = graph_input(g, "images", DTYPE_F32, 4, (int[]){batch, height, width, 3}, false);
    int h = graph_resize_bilinear(g, net.images, INCEPTION_SIZE, INCEPTION_SIZE);
    h = conv_unit(g, "Conv2d_1a_3x3", h, 32, K3_STRIDE2); /* 149x149 */
    h = conv_unit(g, "Conv2d_2a_3x3", h, 32, K3);         /* 147x147 */
    h = conv_unit(g, "Conv2d_2b_3x3", h, 64, K3_PAD);
    h = graph_max_pool(g, h, 3, 2, 0); /* 73x73 */
    h = conv_unit(g, "Conv2d_3b_1x1", h, 80, K1);
    h = conv_unit(g, "Conv2d_4a_3x3", h, 192, K3); /* 71x71 */
    h = graph_max_pool(g, h, 3, 2, 0);             /* 35x35 */
    for (size_t i = 0; i < sizeof MIXED / sizeof MIXED[0]; i++) {
        graph_push_scope(g, MIXED[i].name);
        h = MIXED[i].build(g, h, MIXED[i].arg);
        graph_pop_scope(g);
    }
    Tensor last = graph_tensor(g, h); /* [B, 8, 8, 2048] */
    h = graph_avg_pool(g, h, last.shape[1], 1, 0);
    net.features = graph_reshape(g, h, 2, (int[]){batch, INCEPTION_FEATURES});
    return net;
}

void inception_pack_images(float *dst, const uint8_t *images, int count, int height, int width, int channels) {
    DISCO_CHECK(channels == 1 || channels == 3, "inception: images have %d channels; it takes 3 (RGB) or 1 (grey)",
                channels);
    size_t pixels = (size_t)count * height * width;
    for (size_t p = 0; p < pixels; p++)
        for (int c = 0; c < 3; c++) {
            uint8_t pixel = images[p * channels + (channels == 3 ? c : 0)];
            dst[p * 3 + c] = ((float)pixel - 128.0f) / 128.0f;
        }
}
