/* The latent transformer: whole-graph gradients from a soft one-hot through
   latent dropout to the tokens (one group and the group-hierarchical split),
   the null sequence of dropped samples, groups kept apart, parameter names
   and the paper-size counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/latent_transformer.h"
#include "graph_check.h"
#include "model_params.h"
#include "testutil.h"

enum { BATCH = 4 };
/* Rows 1 and 2 are dropped. */
static const float keep[BATCH] = {1, 0, 0, 1};

typedef struct {
    Graph *g;
    LatentTransformerConfig c;
    LatentTransformer lt;
    int one_hot; /* input [B, m, k] with a gradient */
    int loss;    /* the sum of a weighted MSE on every group's tokens */
} LatentCheck;

static LatentCheck tiny_latent_transformer(int groups) {
    LatentCheck t = {.g = graph_create(backend_cpu(), 6), .c = latent_transformer_tiny()};
    t.c.groups = groups;
    t.one_hot = graph_input(t.g, "one_hot", DTYPE_F32, 3, (int[]){BATCH, t.c.m, t.c.k}, true);
    t.lt = latent_transformer_build(t.g, &t.c, t.one_hot);
    int weight = graph_input(t.g, "weight", DTYPE_F32, 1, (int[]){BATCH}, false);
    int targets[LATENT_MAX_GROUPS];
    for (int i = 0; i < groups; i++) {
        Tensor tokens = graph_tensor(t.g, t.lt.group_tokens[i]);
        char name[32];
        snprintf(name, sizeof name, "target%d", i);
        targets[i] = graph_input(t.g, name, DTYPE_F32, 3, tokens.shape, false);
        int loss = graph_weighted_mse(t.g, t.lt.group_tokens[i], targets[i], weight);
        t.loss = i == 0 ? loss : graph_add(t.g, t.loss, loss, 1.0f);
    }
    graph_set_loss(t.g, t.loss);
    graph_compile(t.g);
    /* Small weights, large tables: why, in test_vit_encoder.c. */
    perturb_params(t.g, 400, 0.3f);
    perturb_param(t.g, "latent_transformer.embed.weight", 450, 1.5f);
    perturb_param(t.g, "latent_transformer.pos_embed", 451, 1.5f);
    perturb_param(t.g, "latent_transformer.null_embed.weight", 452, 1.5f);
    /* A soft one-hot: any positive weights, as a Gumbel-softmax at tau = 1 gives. */
    fill_uniform(graph_data(t.g, t.one_hot), graph_numel(t.g, t.one_hot), 1, 0.0f, 1.0f);
    fill_uniform(graph_data(t.g, weight), BATCH, 2, 0.5f, 2.0f);
    for (int i = 0; i < groups; i++) fill_normal(graph_data(t.g, targets[i]), graph_numel(t.g, targets[i]), 3, 1.0f);
    latent_transformer_feed_keep(t.g, &t.lt, keep);
    return t;
}

static void check_gradients(int groups) {
    LatentCheck t = tiny_latent_transformer(groups);
    check_whole_graph(t.g, t.loss, &t.one_hot, 1);
    graph_destroy(t.g);
}

START_TEST(whole_graph_gradients) { check_gradients(1); }
END_TEST

START_TEST(hierarchical_whole_graph_gradients) { check_gradients(2); }
END_TEST

static const float *sample_tokens(const LatentCheck *t, int b) {
    return (const float *)graph_data(t->g, t->lt.tokens) + (size_t)b * t->c.m * t->c.width;
}

/* Dropped samples give one token sequence whatever their one-hot; kept ones
   follow theirs. With the embedding at zero and the position table set to the
   null sequence, a kept sample's input is the null sequence, and its tokens
   are those of the dropped samples: the transformer's image of the null. */
START_TEST(dropped_samples_get_the_null_sequence) {
    LatentCheck t = tiny_latent_transformer(1);
    const size_t n = (size_t)t.c.m * t.c.width;
    graph_forward(t.g);
    float *before = alloc_zeros(BATCH * n);
    memcpy(before, sample_tokens(&t, 0), BATCH * n * sizeof(float));
    ck_assert_msg(max_abs_difference(sample_tokens(&t, 1), sample_tokens(&t, 2), n) < 1e-6,
                  "two dropped samples differ");

    fill_uniform(graph_data(t.g, t.one_hot), graph_numel(t.g, t.one_hot), 7, 0.0f, 1.0f);
    graph_forward(t.g);
    for (int b = 0; b < BATCH; b++) {
        double moved = max_abs_difference(sample_tokens(&t, b), before + b * n, n);
        if (keep[b])
            ck_assert_msg(moved > 1e-4, "kept sample %d ignores its latents", b);
        else
            ck_assert_msg(moved == 0, "dropped sample %d follows its latents (%g)", b, moved);
    }

    int embed = graph_find_param(t.g, "latent_transformer.embed.weight");
    int positions = graph_find_param(t.g, "latent_transformer.pos_embed");
    int null = graph_find_param(t.g, "latent_transformer.null_embed.weight");
    memset(graph_data(t.g, embed), 0, graph_numel(t.g, embed) * sizeof(float));
    memcpy(graph_data(t.g, positions), graph_data(t.g, null), n * sizeof(float));
    graph_forward(t.g);
    ck_assert_msg(max_abs_difference(sample_tokens(&t, 0), sample_tokens(&t, 1), n) < 1e-6,
                  "a dropped sample's tokens are not the null sequence's");
    free(before);
    graph_destroy(t.g);
}
END_TEST

/* Changing the second group's latents leaves the first group's tokens as
   they were and moves the second's. The dropout inputs are set back to the
   zeros graph_compile leaves there, which keep every sample. */
START_TEST(groups_stay_apart) {
    LatentCheck t = tiny_latent_transformer(2);
    memset(graph_data(t.g, t.lt.keep), 0, graph_numel(t.g, t.lt.keep) * sizeof(float));
    memset(graph_data(t.g, t.lt.drop), 0, graph_numel(t.g, t.lt.drop) * sizeof(float));
    const int per_group = t.c.m / 2;
    const size_t group_floats = graph_numel(t.g, t.lt.group_tokens[0]);
    graph_forward(t.g);
    float *first = alloc_zeros(group_floats), *second = alloc_zeros(group_floats);
    memcpy(first, graph_data(t.g, t.lt.group_tokens[0]), group_floats * sizeof(float));
    memcpy(second, graph_data(t.g, t.lt.group_tokens[1]), group_floats * sizeof(float));
    float *one_hot = graph_data(t.g, t.one_hot);
    for (int b = 0; b < BATCH; b++)
        fill_uniform(one_hot + ((size_t)b * t.c.m + per_group) * t.c.k, (size_t)per_group * t.c.k, 20 + b, 0, 1);
    graph_forward(t.g);
    ck_assert_msg(max_abs_difference(graph_data(t.g, t.lt.group_tokens[0]), first, group_floats) == 0,
                  "the second group's latents reached the first group's tokens");
    for (int b = 0; b < BATCH; b++) {
        size_t row = group_floats / BATCH;
        const float *now = (const float *)graph_data(t.g, t.lt.group_tokens[1]) + b * row;
        ck_assert_msg(max_abs_difference(now, second + b * row, row) > 1e-4,
                      "sample %d (kept) ignores its second group", b);
    }
    free(first);
    free(second);
    graph_destroy(t.g);
}
END_TEST

START_TEST(names_and_shapes) {
    LatentTransformerConfig c = latent_transformer_tiny();
    c.groups = 2;
    Graph *g = graph_create(backend_cpu(), 1);
    int one_hot = graph_input(g, "one_hot", DTYPE_F32, 3, (int[]){BATCH, c.m, c.k}, false);
    LatentTransformer lt = latent_transformer_build(g, &c, one_hot);
    const ParamShape want[] = {
        {"latent_transformer.embed.weight", c.width, c.k},
        {"latent_transformer.pos_embed", c.m, c.width},
        {"latent_transformer.null_embed.weight", c.m * c.width, 1},
        {"latent_transformer.blocks.0.ln_1.weight", c.width, 0},
        {"latent_transformer.blocks.1.attn.proj.weight", c.width, c.width},
        {"latent_transformer.ln_f.bias", c.width, 0},
    };
    assert_param_shapes(g, want, (int)(sizeof want / sizeof want[0]));
    /* embedding, two tables, 12 per block, ln_f */
    ck_assert_int_eq(graph_param_count(g), 3 + 12 * c.depth + 2);
    ck_assert_int_eq(lt.groups, 2);
    for (int i = -1; i < lt.groups; i++) {
        Tensor t = graph_tensor(g, i < 0 ? lt.tokens : lt.group_tokens[i]);
        ck_assert_int_eq(t.ndim, 3);
        ck_assert_int_eq(t.shape[0], BATCH);
        ck_assert_int_eq(t.shape[1], i < 0 ? c.m : c.m / 2);
        ck_assert_int_eq(t.shape[2], c.width);
    }
    graph_destroy(g);
}
END_TEST

/* Counted from the architecture, independently of the builder. */
static size_t expected_parameters(const LatentTransformerConfig *c) {
    size_t w = (size_t)c->width, r = (size_t)c->mlp_ratio;
    size_t tables = (size_t)c->k * w + 2 * (size_t)c->m * w; /* embedding, positions, null sequence */
    /* ln_1 2w, qkv 3w^2 + 3w, proj w^2 + w, ln_2 2w, fc1 r w^2 + r w, fc2 r w^2 + w */
    size_t block = (4 + 2 * r) * w * w + (9 + r) * w;
    return tables + (size_t)c->depth * block + 2 * w;
}

static size_t built_parameters(const LatentTransformerConfig *c, const char *what) {
    Graph *g = graph_create(backend_cpu(), 1);
    int one_hot = graph_input(g, "one_hot", DTYPE_F32, 3, (int[]){1, c->m, c->k}, false);
    latent_transformer_build(g, c, one_hot);
    size_t n = count_param_floats(g);
    graph_destroy(g);
    size_t want = expected_parameters(c);
    printf("latent transformer %s: %zu parameters (%.2f M)\n", what, n, n / 1e6);
    ck_assert_msg(n == want, "%s: %zu parameters, the architecture has %zu", what, n, want);
    return n;
}

START_TEST(paper_size_parameter_counts) {
    LatentTransformerConfig c = latent_transformer_imagenet();
    /* 100 x 192 embedding, two 10 x 192 tables, 6 blocks of 12 * 192^2 + 13 * 192, ln_f: SPEC's ~3 M. */
    ck_assert_uint_eq(expected_parameters(&c), 19200 + 2 * 1920 + 6 * (12 * 192 * 192 + 13 * 192) + 384);
    ck_assert_uint_eq(built_parameters(&c, "imagenet"), 2692608);
    c = latent_transformer_imagenet64_hierarchical();
    ck_assert_uint_eq(built_parameters(&c, "imagenet64 hierarchical"), 2700288);
    c = latent_transformer_fmnist();
    built_parameters(&c, "fmnist");
}
END_TEST

int main(void) {
    Suite *s = suite_create("latent_transformer");
    TCase *tc = tcase_create("latent_transformer");
    tcase_add_test(tc, whole_graph_gradients);
    tcase_add_test(tc, hierarchical_whole_graph_gradients);
    tcase_add_test(tc, dropped_samples_get_the_null_sequence);
    tcase_add_test(tc, groups_stay_apart);
    tcase_add_test(tc, names_and_shapes);
    tcase_add_test(tc, paper_size_parameter_counts);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
