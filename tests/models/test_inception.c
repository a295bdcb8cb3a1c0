/* FID's Inception on our ops: its names and shapes, batch independence, the
   BatchNorm folding of the loader and its refusals, and, when
   DISCO_INCEPTION_FIXTURE names a directory made by
   tests/launcher/inception_check.sh, the features of the PyTorch twin
   (tests/torch/inception_fid.py) on the same weights and images. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/arrays.h"
#include "disco/inception.h"
#include "disco/timer.h"
#include "fatal_check.h"
#include "testutil.h"

/* 94 conv weights (21,751,136 floats in pytorch-fid's state_dict) plus one
   folded bias per output channel (17,216). */
enum { INCEPTION_PARAM_FLOATS = 21768352 };

/* Odd, non-square images. */
enum { H = 19, W = 23 };

/* Uncompiled is enough for names and shapes, and for a file refused before
   any value is loaded; compiling touches some 300 MB. */
static Graph *build(int batch, int height, int width, Inception *net, bool compile) {
    Graph *g = graph_create(backend_cpu(), 7);
    *net = inception_build(g, batch, height, width);
    if (compile) graph_compile(g);
    return g;
}

static void expect_param(const Graph *g, const char *name, int out, int kh, int kw, int in) {
    int id = graph_find_param(g, name);
    ck_assert_msg(id >= 0, "no parameter '%s'", name);
    Tensor t = graph_tensor(g, id);
    ck_assert_msg(t.ndim == 4 && t.shape[0] == out && t.shape[1] == kh && t.shape[2] == kw && t.shape[3] == in,
                  "'%s' is not [%d, %d, %d, %d]", name, out, kh, kw, in);
}

START_TEST(names_and_shapes_follow_pytorch_fid) {
    Inception net;
    Graph *g = build(1, H, W, &net, false);
    ck_assert_int_eq(graph_param_count(g), 2 * INCEPTION_CONVS);
    size_t floats = 0;
    for (int k = 0; k < graph_param_count(g); k++) floats += graph_numel(g, graph_param_id(g, k));
    ck_assert_uint_eq(floats, INCEPTION_PARAM_FLOATS);
    expect_param(g, "Conv2d_1a_3x3.conv.weight", 32, 3, 3, 3);
    expect_param(g, "Mixed_5b.branch5x5_2.conv.weight", 64, 5, 5, 48);
    expect_param(g, "Mixed_6b.branch7x7_2.conv.weight", 128, 1, 7, 128);
    expect_param(g, "Mixed_6e.branch7x7dbl_4.conv.weight", 192, 7, 1, 192);
    expect_param(g, "Mixed_7a.branch7x7x3_4.conv.weight", 192, 3, 3, 192);
    expect_param(g, "Mixed_7b.branch3x3_2b.conv.weight", 384, 3, 1, 384);
    expect_param(g, "Mixed_7c.branch_pool.conv.weight", 192, 1, 1, 2048);
    ck_assert_int_ge(graph_find_param(g, "Mixed_7c.branch_pool.conv.bias"), 0);
    Tensor features = graph_tensor(g, net.features);
    ck_assert(features.ndim == 2 && features.shape[0] == 1 && features.shape[1] == INCEPTION_FEATURES);
    graph_destroy(g);
}
END_TEST

/* (pixel - 128) / 128, and grey repeated to RGB. */
START_TEST(packs_pixels_as_the_network_normalises_them) {
    const uint8_t rgb[3] = {0, 128, 255}, grey[2] = {0, 255};
    float packed[6];
    inception_pack_images(packed, rgb, 1, 1, 1, 3);
    ck_assert_float_eq(packed[0], -1.0f);
    ck_assert_float_eq(packed[1], 0.0f);
    ck_assert_float_eq(packed[2], 127.0f / 128.0f);
    inception_pack_images(packed, grey, 1, 1, 2, 1);
    for (int c = 0; c < 3; c++) {
        ck_assert_float_eq(packed[c], -1.0f);
        ck_assert_float_eq(packed[3 + c], 127.0f / 128.0f);
    }
}
END_TEST

static void random_images(uint8_t *images, size_t n, uint32_t tag) {
    float *u = alloc_zeros(n);
    fill_uniform(u, n, tag, 0.0f, 256.0f);
    for (size_t i = 0; i < n; i++) images[i] = (uint8_t)fminf(u[i], 255.0f);
    free(u);
}

static float *features_of(Graph *g, Inception net, const uint8_t *images, int batch, int height, int width) {
    float *input = alloc_zeros((size_t)batch * height * width * 3);
    inception_pack_images(input, images, batch, height, width, 3);
    Backend *be = graph_backend(g);
    be->ops->upload(be, graph_data(g, net.images), input, graph_numel(g, net.images) * sizeof(float));
    graph_forward(g);
    float *features = alloc_zeros((size_t)batch * INCEPTION_FEATURES);
    be->ops->download(be, features, graph_data(g, net.features), graph_numel(g, net.features) * sizeof(float));
    free(input);
    return features;
}

/* Convs take their rows in blocks that cross images: an image's features
   must still be its own. He-initialised weights, the same in both graphs. */
START_TEST(features_do_not_depend_on_batch_neighbours) {
    uint8_t images[2 * H * W * 3];
    random_images(images, sizeof images, 1);
    Inception pair_net, single_net;
    Graph *pair = build(2, H, W, &pair_net, true), *single = build(1, H, W, &single_net, true);
    float *both = features_of(pair, pair_net, images, 2, H, W);
    float *second = features_of(single, single_net, images + H * W * 3, 1, H, W);
    int positive = 0;
    for (int i = 0; i < 2 * INCEPTION_FEATURES; i++) {
        ck_assert_msg(isfinite(both[i]) && both[i] >= 0, "feature %d is %g", i, both[i]);
        positive += both[i] > 0;
    }
    ck_assert_int_gt(positive, INCEPTION_FEATURES / 4);
    ck_assert_double_gt(relative_error(both, both + INCEPTION_FEATURES, INCEPTION_FEATURES), 1e-3);
    double err = relative_error(second, both + INCEPTION_FEATURES, INCEPTION_FEATURES);
    ck_assert_msg(err < 1e-5, "image 1 alone differs from image 1 beside image 0 by %g", err);
    free(both), free(second);
    graph_destroy(pair), graph_destroy(single);
}
END_TEST

/* ---- the loader on files written here, in PyTorch's layout ---- */

/* Every tensor of one conv, PyTorch's layout, as a file would hold them. */
typedef struct {
    char names[5][160];
    int out, in, kh, kw;
    float *weight, *bn[4]; /* [out, in, kh, kw]; gamma, beta, mean, var */
} TorchConv;

static const char *const BN_NAMES[4] = {"weight", "bias", "running_mean", "running_var"};

static TorchConv torch_conv(const Graph *g, int weight_id, uint32_t tag) {
    TorchConv c;
    Tensor t = graph_tensor(g, weight_id);
    c.out = t.shape[0], c.kh = t.shape[1], c.kw = t.shape[2], c.in = t.shape[3];
    const char *name = graph_name(g, weight_id);
    int layer_len = (int)(strlen(name) - strlen(".conv.weight"));
    snprintf(c.names[0], sizeof c.names[0], "%s", name);
    for (int f = 0; f < 4; f++) snprintf(c.names[f + 1], sizeof c.names[0], "%.*s.bn.%s", layer_len, name, BN_NAMES[f]);
    c.weight = alloc_normal((size_t)c.out * c.in * c.kh * c.kw, tag, 0.1f);
    for (int f = 0; f < 4; f++) c.bn[f] = alloc_normal((size_t)c.out, tag * 8 + (uint32_t)f + 1, 0.5f);
    for (int o = 0; o < c.out; o++) c.bn[3][o] = 0.2f + fabsf(c.bn[3][o]); /* variances */
    return c;
}

static void torch_conv_free(TorchConv *c) {
    free(c->weight);
    for (int f = 0; f < 4; f++) free(c->bn[f]);
}

static int add_arrays(NamedArray *arrays, const TorchConv *c) {
    arrays[0] = (NamedArray){c->names[0], DTYPE_F32, 4, {c->out, c->in, c->kh, c->kw}, c->weight};
    for (int f = 0; f < 4; f++) arrays[f + 1] = (NamedArray){c->names[f + 1], DTYPE_F32, 1, {c->out}, c->bn[f]};
    return 5;
}

/* The formulas of inception.h, in double, against what the loader put in the graph. */
static void expect_folded(const Graph *g, const TorchConv *c) {
    int weight_id = graph_find_param(g, c->names[0]);
    char bias_name[160];
    snprintf(bias_name, sizeof bias_name, "%.*s.bias", (int)(strlen(c->names[0]) - strlen(".weight")), c->names[0]);
    size_t n = (size_t)c->out * c->kh * c->kw * c->in;
    float *weight = alloc_zeros(n), *bias = alloc_zeros((size_t)c->out);
    for (int o = 0; o < c->out; o++) {
        double scale = c->bn[0][o] / sqrt(c->bn[3][o] + 0.001);
        bias[o] = (float)(c->bn[1][o] - c->bn[2][o] * scale);
        for (int i = 0; i < c->in; i++)
            for (int y = 0; y < c->kh; y++)
                for (int x = 0; x < c->kw; x++)
                    weight[((o * c->kh + y) * c->kw + x) * c->in + i] =
                        (float)(c->weight[((o * c->in + i) * c->kh + y) * c->kw + x] * scale);
    }
    double err_w = relative_error(graph_data(g, weight_id), weight, n);
    double err_b = relative_error(graph_data(g, graph_find_param(g, bias_name)), bias, (size_t)c->out);
    ck_assert_msg(err_w < 1e-6 && err_b < 1e-6, "%s: folded weight off by %g, bias by %g", c->names[0], err_w, err_b);
    free(weight), free(bias);
}

START_TEST(loading_folds_batchnorm_into_each_conv) {
    Inception net;
    Graph *g = build(1, H, W, &net, true);
    TorchConv convs[INCEPTION_CONVS];
    NamedArray arrays[5 * INCEPTION_CONVS];
    int n_convs = 0, n_arrays = 0;
    for (int k = 0; k < graph_param_count(g); k++) {
        int id = graph_param_id(g, k);
        if (strstr(graph_name(g, id), ".conv.weight") == NULL) continue;
        convs[n_convs] = torch_conv(g, id, (uint32_t)n_convs + 1);
        n_arrays += add_arrays(arrays + n_arrays, &convs[n_convs++]);
    }
    ck_assert_int_eq(n_convs, INCEPTION_CONVS);
    Path path;
    scratch_path(path, "all.h5");
    arrays_save(path, arrays, n_arrays);
    ck_assert_int_eq(inception_load_weights(g, path), INCEPTION_CONVS);
    for (int i = 0; i < n_convs; i++) {
        expect_folded(g, &convs[i]);
        torch_conv_free(&convs[i]);
    }
    graph_destroy(g);
}
END_TEST

/* Files holding the first conv's tensors, one thing wrong in each. The
   first conv is the first the loader reads, so each is refused before any
   value is loaded, and the graph need not be compiled. */
typedef enum { WRONG_EXTRA, WRONG_MISSING, WRONG_SHAPE, WRONG_VARIANCE, WRONG_NAN } Wrong;

static const char *const wrong_message[] = {
    [WRONG_EXTRA] = "'fc.weight' has no place in the network",
    [WRONG_MISSING] = "the tensor 'Conv2d_1a_3x3.bn.running_mean' is missing",
    [WRONG_SHAPE] = "'Conv2d_1a_3x3.conv.weight' has shape [32, 3, 3, 2]; the network needs [32, 3, 3, 3]",
    [WRONG_VARIANCE] = "'Conv2d_1a_3x3.bn.running_var'[5] is -1",
    [WRONG_NAN] = "'Conv2d_1a_3x3.conv.weight'[7] is nan",
};

START_TEST(a_wrong_file_is_refused_naming_the_tensor) {
    Inception net;
    Graph *g = build(1, H, W, &net, false);
    TorchConv c = torch_conv(g, graph_find_param(g, "Conv2d_1a_3x3.conv.weight"), 1);
    NamedArray arrays[6];
    int n = add_arrays(arrays, &c);
    float stray[2] = {0};
    switch ((Wrong)_i) {
    case WRONG_EXTRA: arrays[n++] = (NamedArray){"fc.weight", DTYPE_F32, 1, {2}, stray}; break;
    case WRONG_MISSING: arrays[3] = arrays[--n]; break;
    case WRONG_SHAPE: arrays[0].shape[3] = 2; break;
    case WRONG_VARIANCE: c.bn[3][5] = -1; break;
    case WRONG_NAN: c.weight[7] = NAN; break;
    }
    Path path;
    scratch_path(path, "wrong.h5");
    arrays_save(path, arrays, n);
    expect_fatal_mentioning(path, wrong_message[_i], NULL);
    inception_load_weights(g, path);
}
END_TEST

/* ---- against the PyTorch twin ---- */

static void compare_with_twin(const char *dir, const char *weights_file) {
    char path[1024];
    int shape[4];
    snprintf(path, sizeof path, "%s/io.h5", dir);
    int32_t *pixels = arrays_load(path, "images", DTYPE_I32, 4, shape);
    int batch = shape[0], height = shape[1], width = shape[2];
    ck_assert_int_eq(shape[3], 3);
    float *expected = arrays_load(path, "features", DTYPE_F32, 2, shape);
    size_t n = (size_t)batch * height * width * 3;
    uint8_t *images = disco_malloc(n, "images");
    for (size_t i = 0; i < n; i++) images[i] = (uint8_t)pixels[i];

    Inception net;
    Graph *g = build(batch, height, width, &net, true);
    snprintf(path, sizeof path, "%s/%s", dir, weights_file);
    inception_load_weights(g, path);
    double start = time_now();
    float *features = features_of(g, net, images, batch, height, width);
    double seconds = time_now() - start;
    double err = relative_error(features, expected, (size_t)batch * INCEPTION_FEATURES);
    printf("inception vs PyTorch (%s): relative error %.3g, max |difference| %.3g; forward of %d %dx%d images "
           "(resized to 299x299) %.2f s, %.0f MiB of activations\n",
           weights_file, err, max_abs_difference(features, expected, (size_t)batch * INCEPTION_FEATURES), batch,
           height, width, seconds, graph_activation_bytes(g) / 1048576.0);
    ck_assert_msg(err < 1e-4, "%s: features differ from PyTorch's by %g (relative)", weights_file, err);
    free(pixels), free(expected), free(images), free(features);
    graph_destroy(g);
}

START_TEST(matches_the_pytorch_twin) {
    const char *dir = getenv("DISCO_INCEPTION_FIXTURE");
    if (!dir) {
        printf("SKIP: the comparison with PyTorch needs DISCO_INCEPTION_FIXTURE "
               "(tests/launcher/inception_check.sh sets it)\n");
        return;
    }
    compare_with_twin(dir, "fid.h5");
    compare_with_twin(dir, "nvidia.h5");
}
END_TEST

int main(void) {
    disco_tune_malloc();
    scratch_create();
    Suite *suite = suite_create("inception");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, names_and_shapes_follow_pytorch_fid);
    tcase_add_test(tc, packs_pixels_as_the_network_normalises_them);
    tcase_add_test(tc, features_do_not_depend_on_batch_neighbours);
    tcase_add_test(tc, loading_folds_batchnorm_into_each_conv);
    tcase_add_loop_exit_test(tc, a_wrong_file_is_refused_naming_the_tensor, EXIT_FAILURE, 0,
                             sizeof wrong_message / sizeof wrong_message[0]);
    suite_add_tcase(suite, tc);
    /* A case of its own, so that inception_check.sh can run it alone (CK_RUN_CASE=twin). */
    TCase *twin = tcase_create("twin");
    tcase_set_timeout(twin, 300);
    tcase_add_test(twin, matches_the_pytorch_twin);
    suite_add_tcase(suite, twin);
    int result = run_suite(suite);
    scratch_remove();
    return result;
}
