/* The Fashion-MNIST classifier (see models.h for the architecture). */
#include <stdio.h>

#include "disco/error.h"
#include "disco/models.h"

#define CLASSIFIER_GROUPS 8
#define CLASSIFIER_STAGES 4

ClassifierConfig classifier_default_config(int batch) {
    return (ClassifierConfig){.batch = batch, .width = 16, .features = 128};
}

static int last_dim(const Graph *g, int id) {
    Tensor t = graph_tensor(g, id);
    return t.shape[t.ndim - 1];
}

/* Weights PyTorch-like: U(-b, b) with variance 1/fan_in; biases and norm
   shifts start at 0, norm scales at 1. */
static int weight(Graph *g, int ndim, const int *shape, int fan_in) {
    return graph_param(g, "weight", ndim, shape, (Init){INIT_UNIFORM_FAN_IN, 1.0f, fan_in});
}
static int zeros(Graph *g, const char *name, int n) {
    return graph_param(g, name, 1, (int[]){n}, (Init){INIT_ZERO, 0, 0});
}

static int linear(Graph *g, const char *scope, int x, int out) {
    graph_push_scope(g, scope);
    int in = last_dim(g, x);
    int y = graph_linear(g, x, weight(g, 2, (int[]){out, in}, in), zeros(g, "bias", out));
    graph_pop_scope(g);
    return y;
}

/* conv3x3 -> group norm -> SiLU under scope "enc.<res>x<res>". */
static int conv_norm_silu(Graph *g, int x, int out, int resolution) {
    char scope[32];
    snprintf(scope, sizeof scope, "%dx%d", resolution, resolution);
    graph_push_scope(g, scope);
    int in = last_dim(g, x);
    graph_push_scope(g, "conv");
    int h = graph_conv2d(g, x, weight(g, 4, (int[]){out, 3, 3, in}, 9 * in), zeros(g, "bias", out));
    graph_pop_scope(g);
    graph_push_scope(g, "norm");
    int gamma = graph_param(g, "weight", 1, (int[]){out}, (Init){INIT_CONSTANT, 1.0f, 0});
    h = graph_group_norm(g, h, gamma, zeros(g, "bias", out), CLASSIFIER_GROUPS, 1e-5f);
    graph_pop_scope(g);
    graph_pop_scope(g);
    return graph_silu(g, h);
}

Classifier classifier_build(Graph *g, const ClassifierConfig *config) {
    DISCO_CHECK(config->batch > 0 && config->features > 0, "classifier: batch %d and features %d must be positive",
                config->batch, config->features);
    DISCO_CHECK(config->width > 0 && config->width % CLASSIFIER_GROUPS == 0,
                "classifier: width %d must be a positive multiple of %d", config->width, CLASSIFIER_GROUPS);
    Classifier m;
    m.images = graph_input(g, "images", DTYPE_F32, 4, (int[]){config->batch, CLASSIFIER_SIZE, CLASSIFIER_SIZE, 1},
                           false);
    m.labels = graph_input(g, "labels", DTYPE_I32, 1, (int[]){config->batch}, false);

    graph_push_scope(g, "enc");
    int h = m.images, resolution = CLASSIFIER_SIZE;
    for (int s = 0; s < CLASSIFIER_STAGES; s++, resolution /= 2)
        h = graph_downsample2x(g, conv_norm_silu(g, h, config->width << s, resolution));
    graph_pop_scope(g);
    for (; resolution > 1; resolution /= 2) h = graph_downsample2x(g, h);

    m.features = graph_silu(g, linear(g, "features", h, config->features));
    m.logits = linear(g, "logits", m.features, CLASSIFIER_CLASSES);
    m.loss = graph_softmax_xent(g, m.logits, m.labels);
    graph_set_loss(g, m.loss);
    return m;
}

void classifier_pack_image(float *dst, const uint8_t *image, int height, int width) {
    DISCO_CHECK(height <= CLASSIFIER_SIZE && width <= CLASSIFIER_SIZE, "classifier: a %dx%d image exceeds %dx%d",
                height, width, CLASSIFIER_SIZE, CLASSIFIER_SIZE);
    int top = (CLASSIFIER_SIZE - height) / 2, left = (CLASSIFIER_SIZE - width) / 2;
    for (int i = 0; i < CLASSIFIER_SIZE * CLASSIFIER_SIZE; i++) dst[i] = -1.0f;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            dst[(top + y) * CLASSIFIER_SIZE + left + x] = image[y * width + x] * (2.0f / 255.0f) - 1.0f;
}
