/* The ADM U-Net: EDM's parameter count and state_dict names, whole-graph
   gradients with and without latents, the zero-initialised branches, and
   which decoder resolution each latent group reaches. The Fashion-MNIST
   preset's step time is tests/bench/bench_fmnist_step.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/adm_unet.h"
#include "graph_check.h"
#include "testutil.h"

/* Graph inputs for the network with m latent tokens per group; the image and
   the tokens take gradients when asked, as they do under a latent encoder. */
static AdmUnetInputs make_inputs(Graph *g, const AdmUnetConfig *c, int batch, int m, bool needs_grad) {
    AdmUnetInputs in = {.class_labels = -1};
    in.x = graph_input(g, "x", DTYPE_F32, 4, (int[]){batch, c->resolution, c->resolution, c->in_channels},
                       needs_grad);
    in.c_noise = graph_input(g, "c_noise", DTYPE_F32, 1, (int[]){batch}, false);
    if (c->label_dim > 0)
        in.class_labels = graph_input(g, "class_labels", DTYPE_F32, 2, (int[]){batch, c->label_dim}, false);
    for (int i = 0; c->latent_dim > 0 && i < c->latent_groups; i++) {
        char name[32];
        snprintf(name, sizeof name, "latent_tokens%d", i);
        in.latent_tokens[i] = graph_input(g, name, DTYPE_F32, 3, (int[]){batch, m, c->latent_dim}, needs_grad);
    }
    return in;
}

static void feed_tokens(Graph *g, const AdmUnetInputs *in, int group, uint32_t tag) {
    int id = in->latent_tokens[group];
    fill_normal(graph_data(g, id), graph_numel(g, id), tag, 1.0f);
}

/* c_noise = ln(sigma)/4 over EDM's sigma range [0.002, 80]; one class per row. */
static void feed_inputs(Graph *g, const AdmUnetConfig *c, const AdmUnetInputs *in, uint32_t tag) {
    fill_normal(graph_data(g, in->x), graph_numel(g, in->x), tag, 1.0f);
    size_t batch = graph_numel(g, in->c_noise);
    fill_uniform(graph_data(g, in->c_noise), batch, tag + 1, -1.55f, 1.1f);
    if (in->class_labels >= 0) {
        float *labels = graph_data(g, in->class_labels);
        memset(labels, 0, batch * (size_t)c->label_dim * sizeof(float));
        for (size_t r = 0; r < batch; r++) labels[r * c->label_dim + (r * 7 + tag) % c->label_dim] = 1.0f;
    }
    for (int i = 0; c->latent_dim > 0 && i < c->latent_groups; i++) feed_tokens(g, in, i, tag + 2 + i);
}

static size_t params_under(const Graph *g, const char *prefix) {
    size_t n = 0, len = strlen(prefix);
    for (int i = 0; i < graph_param_count(g); i++) {
        int id = graph_param_id(g, i);
        if (strncmp(graph_name(g, id), prefix, len) == 0) n += graph_numel(g, id);
    }
    return n;
}

static bool all_zero(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (x[i] != 0.0f) return false;
    return true;
}

/* Parameters named prefix...part...: zeroed, or drawn from U(-0.3, 0.3).
   Returns how many matched. */
static int set_params(Graph *g, const char *prefix, const char *part, bool zero) {
    int matched = 0;
    for (int i = 0; i < graph_param_count(g); i++) {
        int id = graph_param_id(g, i);
        const char *name = graph_name(g, id);
        if (strncmp(name, prefix, strlen(prefix)) != 0 || !strstr(name, part)) continue;
        float *value = graph_data(g, id);
        if (zero)
            memset(value, 0, graph_numel(g, id) * sizeof(float));
        else
            fill_uniform(value, graph_numel(g, id), 100 + (uint32_t)i, -0.3f, 0.3f);
        matched++;
    }
    return matched;
}

/* Zero-initialised layers would hide every gradient behind them (and the zero
   output conv all of them), so gradient checks start them random. */
static void randomise_zero_params(Graph *g) {
    for (int i = 0; i < graph_param_count(g); i++) {
        int id = graph_param_id(g, i);
        if (all_zero(graph_data(g, id), graph_numel(g, id)))
            fill_uniform(graph_data(g, id), graph_numel(g, id), 200 + (uint32_t)i, -0.3f, 0.3f);
    }
}

static float largest_magnitude(const Graph *g, const char *name) {
    int id = graph_find_param(g, name);
    ck_assert_msg(id >= 0, "no parameter '%s'", name);
    const float *x = graph_data(g, id);
    float largest = 0;
    for (size_t i = 0; i < graph_numel(g, id); i++) largest = fmaxf(largest, fabsf(x[i]));
    return largest;
}

static float *snapshot(const Graph *g, int id) {
    size_t bytes = graph_numel(g, id) * sizeof(float);
    float *copy = malloc(bytes);
    memcpy(copy, graph_data(g, id), bytes);
    return copy;
}

static bool same_floats(const Graph *g, int id, const float *expected) {
    return memcmp(graph_data(g, id), expected, graph_numel(g, id) * sizeof(float)) == 0;
}

/* SPEC §3.3: 295,899,267 parameters, counted without compiling (that would
   allocate the activations of the 64x64 network). */
START_TEST(imagenet64_parameter_count_is_edms) {
    AdmUnetConfig c = adm_unet_imagenet64();
    Graph *g = graph_create(backend_cpu(), 1);
    AdmUnetInputs in = make_inputs(g, &c, 1, 10, false);
    AdmUnet net = adm_unet_build(g, &c, &in);
    size_t total = params_under(g, ""), encoder = params_under(g, "enc.");
    printf("imagenet64: %zu parameters (mapping %zu, encoder %zu, decoder %zu, output %zu)\n", total,
           params_under(g, "map_"), encoder, params_under(g, "dec."), params_under(g, "out_"));
    ck_assert_uint_eq(total, 295899267);
    ck_assert_int_eq(net.self_attention_layers, 22);
    ck_assert_int_eq(net.cross_attention_layers, 0);
    graph_destroy(g);

    /* Per layer of C channels: norm 2C, q C^2 + C, k and v 192 C each,
       proj C^2 + C; summed over C = 384, 576, 768 (3 each) in the encoder
       and 768 (5), 576 (4), 384 (4) in the decoder. */
    c.latent_dim = 192;
    g = graph_create(backend_cpu(), 1);
    in = make_inputs(g, &c, 1, 10, false);
    net = adm_unet_build(g, &c, &in);
    size_t extra = params_under(g, "") - total;
    printf("imagenet64 + cross-attention (m 10, width 192): %d layers, %zu more parameters\n",
           net.cross_attention_layers, extra);
    ck_assert_int_eq(net.cross_attention_layers, 22);
    ck_assert_uint_eq(extra, 21137664);
    graph_destroy(g);

    c.latent_groups = 3;
    g = graph_create(backend_cpu(), 1);
    in = make_inputs(g, &c, 1, 10, false);
    net = adm_unet_build(g, &c, &in);
    printf("imagenet64 + group-hierarchical cross-attention: %d layers, %zu more parameters\n",
           net.cross_attention_layers, params_under(g, "") - total);
    ck_assert_int_eq(net.cross_attention_layers, 13);
    ck_assert_uint_eq(params_under(g, "enc."), encoder);
    graph_destroy(g);

    c = adm_unet_imagenet128();
    g = graph_create(backend_cpu(), 1);
    in = make_inputs(g, &c, 1, 10, false);
    adm_unet_build(g, &c, &in);
    printf("imagenet128: %zu parameters\n", params_under(g, ""));
    graph_destroy(g);
}
END_TEST

typedef struct {
    const char *name;
    int ndim;
    int shape[4];
} ExpectedParam;

/* Names as EDM's DhariwalUNet state_dict has them; conv weights in our
   [out, kh, kw, in] layout. */
START_TEST(parameter_names_and_shapes_follow_edm) {
    static const ExpectedParam present[] = {
        {"map_layer0.weight", 2, {768, 192}},
        {"map_layer0.bias", 1, {768}},
        {"map_layer1.weight", 2, {768, 768}},
        {"map_label.weight", 2, {768, 1000}},
        {"enc.64x64_conv.weight", 4, {192, 3, 3, 3}},
        {"enc.64x64_conv.bias", 1, {192}},
        {"enc.64x64_block0.norm0.weight", 1, {192}},
        {"enc.64x64_block0.affine.weight", 2, {384, 768}},
        {"enc.32x32_down.conv0.weight", 4, {192, 3, 3, 192}},
        {"enc.32x32_block0.skip.weight", 4, {384, 1, 1, 192}},
        {"enc.32x32_block0.norm2.bias", 1, {384}},
        {"enc.32x32_block0.qkv.weight", 4, {1152, 1, 1, 384}},
        {"enc.32x32_block0.proj.weight", 4, {384, 1, 1, 384}},
        {"enc.8x8_block2.conv1.weight", 4, {768, 3, 3, 768}},
        {"dec.8x8_in0.qkv.weight", 4, {2304, 1, 1, 768}},
        {"dec.8x8_in1.conv0.weight", 4, {768, 3, 3, 768}},
        {"dec.8x8_block0.conv0.weight", 4, {768, 3, 3, 1536}},
        {"dec.8x8_block3.skip.weight", 4, {768, 1, 1, 1344}},
        {"dec.16x16_up.conv0.weight", 4, {768, 3, 3, 768}},
        {"dec.16x16_block3.conv0.weight", 4, {576, 3, 3, 960}},
        {"dec.64x64_block3.conv1.weight", 4, {192, 3, 3, 192}},
        {"out_norm.weight", 1, {192}},
        {"out_conv.weight", 4, {3, 3, 3, 192}},
        {"dec.8x8_in0.cross_attn.norm.weight", 1, {768}},
        {"dec.8x8_in0.cross_attn.q.weight", 4, {768, 1, 1, 768}},
        {"dec.8x8_in0.cross_attn.k.weight", 2, {768, 192}},
        {"dec.8x8_in0.cross_attn.v.weight", 2, {768, 192}},
        {"enc.16x16_block1.cross_attn.proj.weight", 4, {576, 1, 1, 576}},
        {"dec.32x32_block3.cross_attn.proj.bias", 1, {384}},
    };
    static const char *absent[] = {
        "map_label.bias", "map_noise.weight", "enc.32x32_down.skip.weight", "enc.64x64_block0.qkv.weight",
        "dec.8x8_in1.qkv.weight", "dec.16x16_up.skip.weight", "dec.64x64_block0.qkv.weight",
        "dec.8x8_in0.cross_attn.k.bias", "dec.8x8_in1.cross_attn.q.weight", "dec.16x16_up.cross_attn.q.weight",
    };
    AdmUnetConfig c = adm_unet_imagenet64();
    c.latent_dim = 192;
    Graph *g = graph_create(backend_cpu(), 1);
    AdmUnetInputs in = make_inputs(g, &c, 1, 10, false);
    adm_unet_build(g, &c, &in);
    for (size_t i = 0; i < sizeof present / sizeof *present; i++) {
        const ExpectedParam *e = &present[i];
        int id = graph_find_param(g, e->name);
        ck_assert_msg(id >= 0, "no parameter '%s'", e->name);
        Tensor t = graph_tensor(g, id);
        ck_assert_msg(t.ndim == e->ndim && memcmp(t.shape, e->shape, (size_t)e->ndim * sizeof(int)) == 0,
                      "'%s' has the wrong shape", e->name);
    }
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
        ck_assert_msg(graph_find_param(g, absent[i]) < 0, "'%s' should not exist", absent[i]);
    graph_destroy(g);
}
END_TEST

/* The tiny network with attention at 8x8 and 4x4, so that two latent groups
   reach two decoder resolutions. */
static AdmUnetConfig tiny_config(int latent_dim, int latent_groups) {
    AdmUnetConfig c = adm_unet_tiny();
    c.latent_dim = latent_dim;
    c.latent_groups = latent_groups;
    if (latent_groups > 1) c.attn_resolution_count = 2, c.attn_resolutions[1] = 8;
    return c;
}

static void check_tiny_gradients(int latent_dim, int latent_groups) {
    const int batch = 2;
    AdmUnetConfig c = tiny_config(latent_dim, latent_groups);
    Graph *g = graph_create(backend_cpu(), 7);
    AdmUnetInputs in = make_inputs(g, &c, batch, 3, true);
    AdmUnet net = adm_unet_build(g, &c, &in);
    int target = graph_input(g, "target", DTYPE_F32, 4, (int[]){batch, 8, 8, c.out_channels}, false);
    int weight = graph_input(g, "weight", DTYPE_F32, 1, (int[]){batch}, false);
    int loss = graph_weighted_mse(g, net.output, target, weight);
    graph_set_loss(g, loss);
    graph_compile(g);
    randomise_zero_params(g);
    feed_inputs(g, &c, &in, 1);
    fill_normal(graph_data(g, target), graph_numel(g, target), 9, 1.0f);
    float *w = graph_data(g, weight);
    w[0] = 0.5f, w[1] = 2.0f;
    /* A parameter the wiring left out would pass the check below (both of its
       gradients are zero), so first every one must get some gradient. */
    graph_forward(g);
    graph_zero_param_grads(g);
    graph_backward(g, 1.0f);
    for (int i = 0; i < graph_param_count(g); i++) {
        int id = graph_param_id(g, i);
        ck_assert_msg(!all_zero(graph_grad(g, id), graph_numel(g, id)), "'%s' gets no gradient", graph_name(g, id));
    }
    int grad_inputs[1 + ADM_UNET_MAX_LEVELS] = {in.x}, n_grad_inputs = 1;
    for (int i = 0; latent_dim > 0 && i < latent_groups; i++) grad_inputs[n_grad_inputs++] = in.latent_tokens[i];
    check_whole_graph(g, loss, grad_inputs, n_grad_inputs);
    graph_destroy(g);
}

START_TEST(tiny_gradients_with_latents) { check_tiny_gradients(4, 1); }
END_TEST

START_TEST(tiny_gradients_baseline) { check_tiny_gradients(0, 1); }
END_TEST

START_TEST(tiny_gradients_latent_groups) { check_tiny_gradients(4, 2); }
END_TEST

/* At initialisation F is exactly 0 (zero output conv); with the other zero
   layers made random, the cross-attention layers still add exactly nothing:
   the output is the baseline's, whatever the tokens, until their projections
   leave zero. */
START_TEST(zero_initialised_layers) {
    AdmUnetConfig c = tiny_config(4, 1), base_config = tiny_config(0, 1);
    Graph *g = graph_create(backend_cpu(), 11), *base = graph_create(backend_cpu(), 11);
    AdmUnetInputs in = make_inputs(g, &c, 2, 3, false), base_in = make_inputs(base, &base_config, 2, 3, false);
    AdmUnet net = adm_unet_build(g, &c, &in), base_net = adm_unet_build(base, &base_config, &base_in);
    graph_compile(g);
    graph_compile(base);
    graph_set_training(g, false);
    graph_set_training(base, false);

    /* EDM's U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases alike. */
    float bound = 1.0f / sqrtf(27.0f);
    float weight = largest_magnitude(g, "enc.8x8_conv.weight"), bias = largest_magnitude(g, "enc.8x8_conv.bias");
    ck_assert_float_le(weight, bound);
    ck_assert_float_gt(weight, 0.8f * bound);
    ck_assert_float_le(bias, bound);
    ck_assert_float_gt(bias, 0.0f);

    feed_inputs(g, &c, &in, 3);
    graph_forward(g);
    ck_assert(all_zero(graph_data(g, net.output), graph_numel(g, net.output)));

    randomise_zero_params(g);
    ck_assert_int_gt(set_params(g, "", "cross_attn.proj", true), 0);
    ck_assert_int_eq(graph_copy_params(base, g), graph_param_count(base));
    feed_inputs(base, &base_config, &base_in, 3);
    graph_forward(base);
    graph_forward(g);
    float *baseline = snapshot(base, base_net.output);
    ck_assert(!all_zero(graph_data(g, net.output), graph_numel(g, net.output))); /* no longer trivially so */
    ck_assert(same_floats(g, net.output, baseline));
    feed_tokens(g, &in, 0, 77);
    graph_forward(g);
    ck_assert(same_floats(g, net.output, baseline));

    ck_assert_int_gt(set_params(g, "", "cross_attn.proj", false), 0);
    graph_forward(g);
    ck_assert(!same_floats(g, net.output, baseline));
    free(baseline);
    graph_destroy(g), graph_destroy(base);
}
END_TEST

/* With two groups, group 0 reaches only the decoder's 4x4 layers and group 1
   only its 8x8 ones: silencing one resolution's projections makes its group's
   tokens irrelevant and leaves the other group's effect. */
START_TEST(latent_groups_reach_their_decoder_resolution) {
    AdmUnetConfig c = tiny_config(4, 2);
    Graph *g = graph_create(backend_cpu(), 12);
    AdmUnetInputs in = make_inputs(g, &c, 2, 3, false);
    AdmUnet net = adm_unet_build(g, &c, &in);
    ck_assert_int_eq(net.cross_attention_layers, 5); /* 4x4: in0 + 2 blocks; 8x8: 2 blocks */
    ck_assert_int_eq(net.self_attention_layers, 7);
    graph_compile(g);
    graph_set_training(g, false);
    randomise_zero_params(g);
    ck_assert_int_eq(set_params(g, "enc.", "cross_attn", false), 0);
    static const char *resolution_of_group[2] = {"dec.4x4_", "dec.8x8_"};
    for (int silenced = 0; silenced < 2; silenced++) {
        set_params(g, "dec.", "cross_attn.proj", false);
        ck_assert_int_gt(set_params(g, resolution_of_group[silenced], "cross_attn.proj", true), 0);
        feed_inputs(g, &c, &in, 5);
        graph_forward(g);
        float *before = snapshot(g, net.output);
        feed_tokens(g, &in, silenced, 50);
        graph_forward(g);
        ck_assert_msg(same_floats(g, net.output, before), "group %d reaches beyond %s", silenced,
                      resolution_of_group[silenced]);
        feed_tokens(g, &in, 1 - silenced, 51);
        graph_forward(g);
        ck_assert_msg(!same_floats(g, net.output, before), "group %d has no effect", 1 - silenced);
        free(before);
    }
    graph_destroy(g);
}
END_TEST

int main(void) {
    Suite *s = suite_create("adm_unet");
    TCase *tc = tcase_create("adm_unet");
    tcase_add_test(tc, imagenet64_parameter_count_is_edms);
    tcase_add_test(tc, parameter_names_and_shapes_follow_edm);
    tcase_add_test(tc, tiny_gradients_with_latents);
    tcase_add_test(tc, tiny_gradients_baseline);
    tcase_add_test(tc, tiny_gradients_latent_groups);
    tcase_add_test(tc, zero_initialised_layers);
    tcase_add_test(tc, latent_groups_reach_their_decoder_resolution);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
