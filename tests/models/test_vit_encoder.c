/* The ViT encoder: whole-graph gradients from patches to the soft
   Gumbel-softmax, patchify against plain indexing, parameter names and the
   paper-size counts, the hard one-hot, samples kept apart, each latent read
   from its own class token, and untrained latents that depend on the image. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/vit_encoder.h"
#include "graph_check.h"
#include "model_params.h"
#include "testutil.h"

enum { BATCH = 2 };

typedef struct {
    Graph *g;
    VitEncoder e;
    int loss;
} EncoderCheck;

/* The tiny encoder with a weighted-MSE loss on its Gumbel output against a
   random target, parameters perturbed and patches random. */
static EncoderCheck tiny_encoder(bool hard) {
    const VitEncoderConfig c = vit_encoder_tiny();
    EncoderCheck t = {.g = graph_create(backend_cpu(), 5)};
    t.e = vit_encoder_build(t.g, &c, BATCH, 1.0f, hard);
    int target = graph_input(t.g, "target", DTYPE_F32, 3, (int[]){BATCH, c.m, c.k}, false);
    int weight = graph_input(t.g, "weight", DTYPE_F32, 1, (int[]){BATCH}, false);
    t.loss = graph_weighted_mse(t.g, t.e.one_hot, target, weight);
    graph_set_loss(t.g, t.loss);
    graph_compile(t.g);
    /* Weights at a small scale keep attention and GELU near their linear
       range; the tables read straight into the first layer norm get a large
       one, since a row of small spread makes the norm curve sharply and
       central differences at eps 1e-2 then miss the gradient by more than
       the tolerance (across 30 seeds the worst error is 0.002 this way). */
    perturb_params(t.g, 300, 0.3f);
    perturb_param(t.g, "encoder.pos_embed", 350, 1.5f);
    perturb_param(t.g, "encoder.cls_token", 351, 1.5f);
    fill_normal(graph_data(t.g, t.e.patches), graph_numel(t.g, t.e.patches), 1, 1.0f);
    fill_uniform(graph_data(t.g, target), graph_numel(t.g, target), 2, 0.0f, 1.0f);
    fill_uniform(graph_data(t.g, weight), BATCH, 3, 0.5f, 2.0f);
    return t;
}

/* The soft relaxation: finite differences cannot see through the hard
   one-hot, whose backward is the soft one's. */
START_TEST(whole_graph_gradients) {
    EncoderCheck t = tiny_encoder(false);
    check_whole_graph(t.g, t.loss, NULL, 0);
    graph_destroy(t.g);
}
END_TEST

START_TEST(patchify_matches_plain_indexing) {
    enum { B = 2, H = 8, W = 12, C = 3, P = 4 };
    float *images = alloc_normal((size_t)B * H * W * C, 4, 1.0f), *patches = alloc_zeros((size_t)B * H * W * C);
    vit_patchify(images, B, H, W, C, P, patches);
    const int per_image = (H / P) * (W / P), patch_floats = P * P * C;
    for (int b = 0; b < B; b++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < C; c++) {
                    int patch = (y / P) * (W / P) + x / P, within = (y % P) * P * C + (x % P) * C + c;
                    float want = images[(((size_t)b * H + y) * W + x) * C + c];
                    float got = patches[((size_t)b * per_image + patch) * patch_floats + within];
                    ck_assert_msg(got == want, "image %d pixel (%d, %d) channel %d: %g, expected %g", b, y, x, c,
                                  got, want);
                }
    free(images);
    free(patches);
}
END_TEST

START_TEST(names_and_shapes) {
    const VitEncoderConfig c = vit_encoder_tiny();
    Graph *g = graph_create(backend_cpu(), 1);
    VitEncoder e = vit_encoder_build(g, &c, BATCH, 1.0f, true);
    const ParamShape want[] = {
        {"encoder.patch_embed.weight", c.width, c.patch * c.patch * c.channels},
        {"encoder.patch_embed.bias", c.width, 0},
        {"encoder.pos_embed", vit_encoder_patch_count(&c), c.width},
        {"encoder.cls_token", c.m, c.width},
        {"encoder.blocks.0.attn.qkv.weight", 3 * c.width, c.width},
        {"encoder.blocks.1.mlp.fc1.weight", c.mlp_ratio * c.width, c.width},
        {"encoder.blocks.1.mlp.fc2.bias", c.width, 0},
        {"encoder.ln_f.weight", c.width, 0},
        {"encoder.head.weight", c.k, c.width},
        {"encoder.head.bias", c.k, 0},
    };
    assert_param_shapes(g, want, (int)(sizeof want / sizeof want[0]));
    /* patch embedding, two tables, 12 per block, ln_f, head */
    ck_assert_int_eq(graph_param_count(g), 2 + 2 + 12 * c.depth + 2 + 2);
    const int outputs[] = {e.logits, e.one_hot};
    for (int i = 0; i < 2; i++) {
        Tensor t = graph_tensor(g, outputs[i]);
        ck_assert_int_eq(t.ndim, 3);
        ck_assert_int_eq(t.shape[0], BATCH);
        ck_assert_int_eq(t.shape[1], c.m);
        ck_assert_int_eq(t.shape[2], c.k);
    }
    graph_destroy(g);
}
END_TEST

/* Counted from the architecture, independently of the builder. */
static size_t expected_parameters(const VitEncoderConfig *c) {
    size_t w = (size_t)c->width, r = (size_t)c->mlp_ratio, patches = (size_t)vit_encoder_patch_count(c);
    size_t patch_embed = (size_t)(c->patch * c->patch * c->channels) * w + w;
    size_t tables = patches * w + (size_t)c->m * w;
    /* ln_1 2w, qkv 3w^2 + 3w, proj w^2 + w, ln_2 2w, fc1 r w^2 + r w, fc2 r w^2 + w */
    size_t block = (4 + 2 * r) * w * w + (9 + r) * w;
    size_t head = 2 * w + w * (size_t)c->k + (size_t)c->k;
    return patch_embed + tables + (size_t)c->depth * block + head;
}

static size_t built_parameters(const VitEncoderConfig *c, const char *what) {
    Graph *g = graph_create(backend_cpu(), 1);
    vit_encoder_build(g, c, 1, 1.0f, true);
    size_t n = count_param_floats(g);
    graph_destroy(g);
    size_t want = expected_parameters(c);
    printf("vit encoder %s: %zu parameters (%.2f M)\n", what, n, n / 1e6);
    ck_assert_msg(n == want, "%s: %zu parameters, the architecture has %zu", what, n, want);
    return n;
}

/* Built without compiling: the graph only records shapes. */
START_TEST(paper_size_parameter_counts) {
    VitEncoderConfig c = vit_encoder_imagenet64();
    /* ViT-B's body, 12 blocks of 12 * 768^2 + 13 * 768: SPEC's ~85 M. */
    ck_assert_uint_eq(12 * (12 * 768 * 768 + 13 * 768), 85054464);
    ck_assert_uint_eq(expected_parameters(&c), 85054464 + 192 * 768 + 768 + 64 * 768 + 10 * 768 + 2 * 768 +
                                                   768 * 100 + 100);
    ck_assert_uint_eq(built_parameters(&c, "imagenet64"), 85337956);
    c = vit_encoder_imagenet128();
    ck_assert_int_eq(vit_encoder_patch_count(&c), 64);
    ck_assert_uint_eq(built_parameters(&c, "imagenet128"), 85780324);
    c = vit_encoder_imagenet64_hierarchical();
    built_parameters(&c, "imagenet64 hierarchical");
    c = vit_encoder_fmnist();
    built_parameters(&c, "fmnist");
    c = vit_encoder_tiny();
    built_parameters(&c, "tiny");
}
END_TEST

START_TEST(hard_gumbel_is_one_hot) {
    EncoderCheck t = tiny_encoder(true);
    graph_forward(t.g);
    const VitEncoderConfig c = vit_encoder_tiny();
    const float *z = graph_data(t.g, t.e.one_hot);
    for (int row = 0; row < BATCH * c.m; row++) {
        int ones = 0;
        for (int v = 0; v < c.k; v++) {
            float x = z[row * c.k + v];
            ck_assert_msg(x == 0 || x == 1, "latent row %d value %d is %g", row, v, x);
            ones += x == 1;
        }
        ck_assert_int_eq(ones, 1);
    }
    graph_destroy(t.g);
}
END_TEST

/* Sample 1's patches move sample 1's logits, every latent's, and leave
   sample 0's exactly as they were. */
START_TEST(samples_stay_apart) {
    const VitEncoderConfig c = vit_encoder_tiny();
    EncoderCheck t = tiny_encoder(false);
    graph_forward(t.g);
    const int per_sample = c.m * c.k;
    float *before = alloc_zeros(BATCH * (size_t)per_sample);
    memcpy(before, graph_data(t.g, t.e.logits), BATCH * (size_t)per_sample * sizeof(float));
    size_t patch_floats = graph_numel(t.g, t.e.patches) / BATCH;
    fill_normal((float *)graph_data(t.g, t.e.patches) + patch_floats, patch_floats, 9, 1.0f);
    graph_forward(t.g);
    const float *after = graph_data(t.g, t.e.logits);
    ck_assert_msg(max_abs_difference(after, before, (size_t)per_sample) == 0, "sample 1 changed sample 0");
    for (int i = 0; i < c.m; i++)
        ck_assert_msg(max_abs_difference(after + per_sample + i * c.k, before + per_sample + i * c.k, (size_t)c.k) >
                          1e-4,
                      "latent %d of sample 1 ignores its patches", i);
    free(before);
    graph_destroy(t.g);
}
END_TEST

/* The residual branches' last linears at zero. */
static void make_blocks_identity(Graph *g) {
    for (int i = 0; i < graph_param_count(g); i++) {
        int id = graph_param_id(g, i);
        const char *name = graph_name(g, id);
        if (strstr(name, "attn.proj.weight") || strstr(name, "mlp.fc2.weight"))
            memset(graph_data(g, id), 0, graph_numel(g, id) * sizeof(float));
    }
}

/* With every block the identity, latent i's logits are the head on
   ln_f(class token i) alone: the images do not matter, and moving class
   token i moves latent i's logits only. */
START_TEST(each_latent_reads_its_class_token) {
    const VitEncoderConfig c = vit_encoder_tiny();
    Graph *g = graph_create(backend_cpu(), 2);
    VitEncoder e = vit_encoder_build(g, &c, BATCH, 1.0f, true);
    graph_compile(g);
    make_blocks_identity(g);
    fill_normal(graph_data(g, e.patches), graph_numel(g, e.patches), 1, 1.0f);
    graph_forward(g);
    const size_t per_sample = (size_t)c.m * c.k;
    float *before = alloc_zeros(per_sample);
    const float *logits = graph_data(g, e.logits);
    memcpy(before, logits, per_sample * sizeof(float));
    ck_assert_msg(max_abs_difference(logits + per_sample, before, per_sample) < 1e-6,
                  "with identity blocks the logits depend on the image");
    float *cls = graph_data(g, graph_find_param(g, "encoder.cls_token"));
    for (int i = 0; i < c.m; i++) {
        for (int j = 0; j < c.width; j++) cls[i * c.width + j] += (float)(j % 3) - 1.0f;
        graph_forward(g);
        for (int l = 0; l < c.m; l++) {
            double moved = max_abs_difference(logits + l * c.k, before + l * c.k, (size_t)c.k);
            ck_assert_msg(l == i ? moved > 1e-3 : moved == 0, "class token %d moved latent %d's logits by %g", i,
                          l, moved);
        }
        memcpy(before, logits, per_sample * sizeof(float));
    }
    free(before);
    graph_destroy(g);
}
END_TEST

/* Untrained, the latents already depend on the image, with logits of
   order one (the Gumbel noise's scale), so the first steps' gradients
   reach the encoder. */
START_TEST(untrained_latents_see_the_image) {
    const VitEncoderConfig c = vit_encoder_tiny();
    Graph *g = graph_create(backend_cpu(), 2);
    VitEncoder e = vit_encoder_build(g, &c, BATCH, 1.0f, true);
    graph_compile(g);
    fill_normal(graph_data(g, e.patches), graph_numel(g, e.patches), 1, 1.0f);
    graph_forward(g);
    const size_t per_sample = (size_t)c.m * c.k;
    const float *logits = graph_data(g, e.logits);
    double moved = max_abs_difference(logits, logits + per_sample, per_sample), sum_squares = 0;
    for (size_t i = 0; i < per_sample; i++) sum_squares += (double)logits[i] * logits[i];
    double rms = sqrt(sum_squares / (double)per_sample);
    ck_assert_msg(moved > 0.1, "two images give logits within %g of each other", moved);
    ck_assert_msg(rms > 0.1 && rms < 10, "untrained logits have rms %g", rms);
    graph_destroy(g);
}
END_TEST

int main(void) {
    Suite *s = suite_create("vit_encoder");
    TCase *tc = tcase_create("vit_encoder");
    tcase_add_test(tc, whole_graph_gradients);
    tcase_add_test(tc, patchify_matches_plain_indexing);
    tcase_add_test(tc, names_and_shapes);
    tcase_add_test(tc, paper_size_parameter_counts);
    tcase_add_test(tc, hard_gumbel_is_one_hot);
    tcase_add_test(tc, samples_stay_apart);
    tcase_add_test(tc, each_latent_reads_its_class_token);
    tcase_add_test(tc, untrained_latents_see_the_image);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
