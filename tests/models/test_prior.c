/* The AR prior's graph: whole-graph gradients, causality, the token layout
   prior_feed writes, parameter names and shapes, and the uniform start. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/prior.h"
#include "graph_check.h"
#include "testutil.h"

static const PriorConfig tiny = {.m = 3, .k = 5, .classes = 2, .width = 8, .depth = 1, .heads = 2,
                                 .mlp_ratio = 2, .dropout = 0.1f};
enum { BATCH = 2 };
static const int32_t latents[BATCH * 3] = {4, 0, 2, 1, 3, 3};
static const int32_t labels[BATCH] = {1, 0};

/* Several parameters start at zero (see prior.c) and would block every
   gradient behind them; noise on all of them makes each one count. */
static Prior noisy_prior(void) {
    Prior p = prior_create(backend_cpu(), &tiny, BATCH, 7);
    for (int i = 0; i < graph_param_count(p.g); i++) {
        int id = graph_param_id(p.g, i);
        float *x = graph_data(p.g, id), *noise = alloc_normal(graph_numel(p.g, id), 200 + (uint32_t)i, 0.3f);
        for (size_t j = 0; j < graph_numel(p.g, id); j++) x[j] += noise[j];
        free(noise);
    }
    prior_feed(&p, latents, labels, BATCH);
    return p;
}

START_TEST(whole_graph_gradients) {
    Prior p = noisy_prior();
    check_whole_graph(p.g, p.loss, NULL, 0);
    prior_destroy(&p);
}
END_TEST

/* Position i sees tokens 0..i only: changing token j of row 0 leaves its
   logits at positions < j exactly as they were, changes those at j, and
   leaves row 1 alone. */
START_TEST(attention_is_causal) {
    const int m = tiny.m, k = tiny.k, row = m * k;
    Prior p = noisy_prior();
    graph_set_training(p.g, false);
    graph_forward(p.g);
    float before[BATCH * 3 * 5];
    memcpy(before, graph_data(p.g, p.logits), sizeof before);
    int32_t *tokens = graph_data(p.g, p.tokens);
    for (int j = 0; j < m; j++) {
        int32_t saved = tokens[j];
        tokens[j] = (saved + 1) % (k + tiny.classes);
        graph_forward(p.g);
        const float *after = graph_data(p.g, p.logits);
        ck_assert_msg(max_abs_difference(after, before, (size_t)j * k) == 0,
                      "token %d changed logits at an earlier position", j);
        ck_assert_msg(max_abs_difference(after + j * k, before + j * k, (size_t)k) > 1e-4,
                      "token %d did not change the logits at its own position", j);
        ck_assert_msg(max_abs_difference(after + row, before + row, (size_t)row) == 0,
                      "token %d of row 0 changed row 1", j);
        tokens[j] = saved;
    }
    prior_destroy(&p);
}
END_TEST

/* Sequence [k + class, z_0, z_1], targets z. */
START_TEST(feeds_shifted_sequence) {
    Prior p = prior_create(backend_cpu(), &tiny, BATCH, 1);
    prior_feed(&p, latents, labels, BATCH);
    const int32_t *tokens = graph_data(p.g, p.tokens), *targets = graph_data(p.g, p.targets);
    const int32_t want[BATCH * 3] = {6, 4, 0, 5, 1, 3};
    for (int i = 0; i < BATCH * tiny.m; i++) {
        ck_assert_int_eq(tokens[i], want[i]);
        ck_assert_int_eq(targets[i], latents[i]);
    }
    /* Rows past the count repeat row 0. */
    prior_feed(&p, latents + 3, labels + 1, 1);
    for (int i = 0; i < tiny.m; i++) ck_assert_int_eq(tokens[tiny.m + i], tokens[i]);
    ck_assert_int_eq(tokens[0], 5);
    prior_destroy(&p);

    /* Unconditional: one start token k, no labels needed. */
    PriorConfig unconditional = tiny;
    unconditional.classes = 0;
    p = prior_create(backend_cpu(), &unconditional, BATCH, 1);
    prior_feed(&p, latents, NULL, BATCH);
    tokens = graph_data(p.g, p.tokens);
    ck_assert_int_eq(tokens[0], tiny.k);
    ck_assert_int_eq(tokens[tiny.m], tiny.k);
    prior_destroy(&p);
}
END_TEST

START_TEST(names_and_shapes) {
    PriorConfig two = tiny;
    two.depth = 2;
    Prior p = prior_create(backend_cpu(), &two, BATCH, 1);
    const char *names[] = {"tok_embed.weight", "pos_embed", "blocks.0.ln_1.weight", "blocks.0.attn.qkv.weight",
                           "blocks.0.attn.proj.bias", "blocks.1.ln_2.bias", "blocks.1.mlp.fc1.weight",
                           "blocks.1.mlp.fc2.weight", "ln_f.weight", "head.weight", "head.bias"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(graph_find_param(p.g, names[i]) >= 0, "no parameter '%s'", names[i]);
    ck_assert_int_eq(graph_param_count(p.g), 2 + 12 * two.depth + 4);
    Tensor table = graph_tensor(p.g, graph_find_param(p.g, "tok_embed.weight"));
    ck_assert_int_eq(table.shape[0], two.k + two.classes);
    Tensor fc1 = graph_tensor(p.g, graph_find_param(p.g, "blocks.0.mlp.fc1.weight"));
    ck_assert_int_eq(fc1.shape[0], two.mlp_ratio * two.width);
    Tensor logits = graph_tensor(p.g, p.logits);
    ck_assert_int_eq(logits.ndim, 3);
    ck_assert_int_eq(logits.shape[1], two.m);
    ck_assert_int_eq(logits.shape[2], two.k);
    ck_assert_int_eq((int)graph_numel(p.g, p.loss), BATCH * two.m);
    prior_destroy(&p);

    PriorConfig unconditional = tiny;
    unconditional.classes = 0;
    p = prior_create(backend_cpu(), &unconditional, BATCH, 1);
    ck_assert_int_eq(graph_tensor(p.g, graph_find_param(p.g, "tok_embed.weight")).shape[0], tiny.k + 1);
    prior_destroy(&p);
}
END_TEST

/* The zero head makes the untrained prior uniform: every token costs log k. */
START_TEST(starts_uniform) {
    Prior p = prior_create(backend_cpu(), &tiny, BATCH, 3);
    prior_feed(&p, latents, labels, BATCH);
    graph_forward(p.g);
    const float *loss = graph_data(p.g, p.loss);
    for (int i = 0; i < BATCH * tiny.m; i++) ck_assert_float_eq_tol(loss[i], logf((float)tiny.k), 1e-6f);
    prior_destroy(&p);
}
END_TEST

int main(void) {
    Suite *s = suite_create("prior");
    TCase *tc = tcase_create("prior");
    tcase_add_test(tc, whole_graph_gradients);
    tcase_add_test(tc, attention_is_causal);
    tcase_add_test(tc, feeds_shifted_sequence);
    tcase_add_test(tc, names_and_shapes);
    tcase_add_test(tc, starts_uniform);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
