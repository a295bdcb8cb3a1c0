/* The static graph: names, the flat buffers, initialisers, shape errors, and
   whole-graph gradient checks of two small composites that use every op, so a
   wiring bug anywhere in forward or backward fails a test. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/graph.h"
#include "graph_check.h"
#include "testutil.h"

static Init uniform(int fan_in) { return (Init){INIT_UNIFORM_FAN_IN, 1.0f, fan_in}; }

static int matrix(Graph *g, const char *name, int out, int in) {
    return graph_param(g, name, 2, (int[]){out, in}, uniform(in));
}
/* Biases, gammas and betas start random, not at 0 and 1, so that a gradient
   routed to the wrong one cannot hide behind a special value. */
static int vector(Graph *g, const char *name, int n) {
    return graph_param(g, name, 1, (int[]){n}, (Init){INIT_NORMAL, 0.3f, 0});
}
static int conv_weight(Graph *g, const char *name, int out, int k, int in) {
    return graph_param(g, name, 4, (int[]){out, k, k, in}, uniform(k * k * in));
}
static int last_dim(const Graph *g, int id) {
    Tensor t = graph_tensor(g, id);
    return t.shape[t.ndim - 1];
}

static int linear(Graph *g, const char *scope, int x, int out) {
    graph_push_scope(g, scope);
    int y = graph_linear(g, x, matrix(g, "weight", out, last_dim(g, x)), vector(g, "bias", out));
    graph_pop_scope(g);
    return y;
}

static int group_norm(Graph *g, const char *scope, int x, int groups) {
    graph_push_scope(g, scope);
    int c = last_dim(g, x);
    int y = graph_group_norm(g, x, vector(g, "weight", c), vector(g, "bias", c), groups, 1e-5f);
    graph_pop_scope(g);
    return y;
}

static int layer_norm(Graph *g, const char *scope, int x) {
    graph_push_scope(g, scope);
    int c = last_dim(g, x);
    int y = graph_layer_norm(g, x, vector(g, "weight", c), vector(g, "bias", c), 1e-5f);
    graph_pop_scope(g);
    return y;
}

static int conv(Graph *g, const char *scope, int x, int out, int k) {
    graph_push_scope(g, scope);
    int y = graph_conv2d(g, x, conv_weight(g, "weight", out, k, last_dim(g, x)), vector(g, "bias", out));
    graph_pop_scope(g);
    return y;
}

static void fill_input(Graph *g, int id, uint32_t tag, float lo, float hi) {
    fill_uniform(graph_data(g, id), graph_numel(g, id), tag, lo, hi);
}

/* A U-Net residual block with self- and cross-attention: group norm, convs
   3x3 and 1x1, modulation from a noise and class embedding, dropout, a skip
   read by three consumers, resampling, concat and split, Gumbel latents
   over a reshaped input. */
START_TEST(unet_block_gradients) {
    Graph *g = graph_create(backend_cpu(), 11);
    const int B = 2, H = 4, W = 4, C = 8;
    int x = graph_input(g, "x", DTYPE_F32, 4, (int[]){B, H, W, C}, true);
    int sigma = graph_input(g, "sigma", DTYPE_F32, 1, (int[]){B}, false);
    int label = graph_input(g, "label", DTYPE_I32, 1, (int[]){B}, false);
    int target = graph_input(g, "target", DTYPE_F32, 4, (int[]){B, H, W, C}, false);
    int weight = graph_input(g, "weight", DTYPE_F32, 1, (int[]){B}, false);
    int latent_logits = graph_input(g, "latent_logits", DTYPE_F32, 2, (int[]){B, 15}, true);

    int emb = graph_positional_embedding(g, sigma, 16, 10000, false);
    emb = graph_add(g, emb, graph_embedding(g, label, matrix(g, "class_embed", 10, 16)), 1.0f);
    emb = graph_silu(g, linear(g, "map", emb, 16));
    int scale_shift = linear(g, "affine", emb, 2 * C);

    graph_push_scope(g, "block0");
    int h = conv(g, "conv0", graph_silu(g, group_norm(g, "norm0", x, 2)), C, 3);
    h = graph_silu(g, graph_modulate(g, group_norm(g, "norm1", h, 4), scale_shift));
    h = conv(g, "conv1", graph_dropout(g, h, 0.25f), C, 3);
    int x1 = graph_add(g, h, x, (float)M_SQRT1_2);

    int qkv = conv(g, "qkv", group_norm(g, "norm2", x1, 2), 3 * C, 1);
    int attended = graph_self_attention(g, qkv, 2, false);

    int latents = graph_gumbel_softmax(g, graph_reshape(g, latent_logits, 3, (int[]){B, 3, 5}), 0.7f, false);
    int tokens = graph_gelu(g, layer_norm(g, "latent_norm", linear(g, "latent_proj", latents, C)));
    int kv = linear(g, "kv", tokens, 2 * C);
    int cross = graph_attention(g, linear(g, "q", attended, C), graph_split(g, kv, 0, C), graph_split(g, kv, C, C), 2,
                                false);
    int x2 = graph_add(g, conv(g, "proj", graph_add(g, attended, cross, 1.0f), C, 1), x1, 1.0f);
    graph_pop_scope(g);

    int y = graph_downsample2x(g, graph_upsample2x(g, x2));
    y = conv(g, "out", graph_concat(g, y, x), C, 3);
    int loss = graph_weighted_mse(g, y, target, weight);
    graph_set_loss(g, loss);
    graph_compile(g);

    fill_normal(graph_data(g, x), graph_numel(g, x), 1, 1.0f);
    fill_input(g, sigma, 2, 0.5f, 3.0f);
    ((int32_t *)graph_data(g, label))[0] = 3, ((int32_t *)graph_data(g, label))[1] = 7;
    fill_input(g, weight, 4, 0.5f, 1.5f);
    fill_normal(graph_data(g, latent_logits), graph_numel(g, latent_logits), 5, 1.0f);
    /* A target near the output keeps the loss small, and with it the float
       rounding that central differences divide by eps. */
    graph_forward(g);
    float *t = graph_data(g, target);
    const float *out = graph_data(g, y);
    fill_normal(t, graph_numel(g, target), 3, 0.1f);
    for (size_t i = 0; i < graph_numel(g, target); i++) t[i] += out[i];

    ck_assert_int_ge(graph_find_param(g, "block0.conv0.weight"), 0);
    check_whole_graph(g, loss, (int[]){x, latent_logits}, 2);
    graph_destroy(g);
}
END_TEST

/* A causal transformer block as the AR prior uses: token embedding plus a
   learned position table (a reshaped parameter in a broadcast add), layer norms,
   fused causal self-attention, a GELU MLP, modulation and cross-entropy. */
/* A pre-LN causal transformer block with a time modulation; *time is its
   float input. The graph comes back compiled, its inputs filled. */
static Graph *transformer_block(int *time_input, int *loss_output) {
    Graph *g = graph_create(backend_cpu(), 12);
    const int B = 2, T = 5, V = 7, C = 12;
    int tokens = graph_input(g, "tokens", DTYPE_I32, 2, (int[]){B, T}, false);
    int targets = graph_input(g, "targets", DTYPE_I32, 2, (int[]){B, T}, false);
    int time = graph_input(g, "time", DTYPE_F32, 1, (int[]){B}, true);

    int h = graph_embedding(g, tokens, matrix(g, "token_embed", V, C));
    int pos_embed = graph_param(g, "pos_embed", 1, (int[]){T * C}, (Init){INIT_NORMAL, 0.5f, 0});
    h = graph_add(g, h, graph_reshape(g, pos_embed, 2, (int[]){T, C}), 1.0f);
    int qkv = linear(g, "qkv", layer_norm(g, "ln0", h), 3 * C);
    h = graph_add(g, h, linear(g, "proj", graph_self_attention(g, qkv, 3, true), C), 1.0f);
    int m = graph_gelu(g, linear(g, "fc1", layer_norm(g, "ln1", h), 2 * C));
    h = graph_add(g, h, linear(g, "fc2", m, C), 1.0f);
    int pe = graph_positional_embedding(g, time, 8, 100, true);
    h = graph_modulate(g, h, linear(g, "affine", graph_silu(g, pe), 2 * C));
    int logits = linear(g, "head", h, V);
    int loss = graph_softmax_xent(g, logits, targets);
    graph_set_loss(g, loss);
    graph_compile(g);

    int32_t *tok = graph_data(g, tokens), *tgt = graph_data(g, targets);
    for (int i = 0; i < B * T; i++) tok[i] = (i * 3) % V, tgt[i] = (i * 5 + 1) % V;
    fill_input(g, time, 6, 0.1f, 2.0f);
    *time_input = time;
    *loss_output = loss;
    return g;
}

START_TEST(transformer_block_gradients) {
    int time, loss;
    Graph *g = transformer_block(&time, &loss);
    check_whole_graph(g, loss, (int[]){time}, 1);
    graph_destroy(g);
}
END_TEST

typedef struct {
    Graph *g;
    const float *final; /* the gradients after a whole backward */
    size_t n, last, early_calls;
} ReadyCheck;

/* Everything above final_from must already hold its final value. */
static void check_ready(void *context, size_t final_from) {
    ReadyCheck *c = context;
    ck_assert_uint_le(final_from, c->last);
    c->last = final_from;
    const float *grads = graph_param_grads(c->g);
    for (size_t i = final_from; i < c->n; i++)
        ck_assert_msg(grads[i] == c->final[i], "gradient %zu reported final at %zu but changes later", i, final_from);
    c->early_calls += final_from > 0 && final_from < c->n;
}

/* The transformer block, and a stack whose first and last layers share one
   weight (as tied embeddings do): its gradient is final only after the
   first layer's backward, although the last layer contributed long before. */
START_TEST(gradients_reported_final_are_final) {
    int time, loss;
    Graph *block = transformer_block(&time, &loss);
    Graph *tied = graph_create(backend_cpu(), 3);
    const int B = 3, C = 6;
    int x = graph_input(tied, "x", DTYPE_F32, 2, (int[]){B, C}, false);
    int target = graph_input(tied, "target", DTYPE_F32, 2, (int[]){B, C}, false);
    int weight = graph_input(tied, "w", DTYPE_F32, 1, (int[]){B}, false);
    /* The shared weight is created last, so it lies at the top of the
       buffer although the first layer uses it. */
    int b0 = vector(tied, "b0", C), middle = matrix(tied, "middle", C, C), b2 = vector(tied, "b2", C);
    int shared = matrix(tied, "shared", C, C);
    int h = graph_silu(tied, graph_linear(tied, x, shared, b0));
    h = graph_silu(tied, graph_linear(tied, h, middle, b2));
    h = graph_linear(tied, h, shared, b2);
    graph_set_loss(tied, graph_weighted_mse(tied, h, target, weight));
    graph_compile(tied);
    fill_input(tied, x, 1, -1, 1);
    fill_input(tied, target, 2, -1, 1);
    fill_input(tied, weight, 3, 0.5f, 1);
    Graph *graphs[2] = {block, tied};
    for (int k = 0; k < 2; k++) {
        Graph *g = graphs[k];
        size_t n;
        graph_params(g, &n);
        graph_forward(g);
        graph_zero_param_grads(g);
        graph_backward(g, 0.1f);
        float *final = malloc(n * sizeof *final);
        memcpy(final, graph_param_grads(g), n * sizeof *final);
        ReadyCheck check = {.g = g, .final = final, .n = n, .last = n};
        graph_on_grads_ready(g, check_ready, &check);
        graph_zero_param_grads(g);
        graph_backward(g, 0.1f);
        ck_assert_uint_eq(check.last, 0);
        /* The block's head and modulation are done long before its embeddings;
           the stack's last bias before everything else. */
        ck_assert_uint_ge(check.early_calls, k == 0 ? 3 : 1);
        free(final);
        graph_destroy(g);
    }
}
END_TEST

START_TEST(names_and_flat_buffers) {
    Graph *g = graph_create(backend_cpu(), 1);
    int x = graph_input(g, "x", DTYPE_F32, 2, (int[]){3, 4}, false);
    graph_push_scope(g, "enc");
    graph_push_scope(g, "16x16_block2");
    int y = linear(g, "attn", x, 5);
    graph_pop_scope(g);
    graph_pop_scope(g);
    int z = linear(g, "out", y, 2);
    graph_set_loss(g, z);
    graph_compile(g);

    int w = graph_find_param(g, "enc.16x16_block2.attn.weight");
    ck_assert_int_ge(w, 0);
    ck_assert_int_ge(graph_find_param(g, "out.bias"), 0);
    ck_assert_int_eq(graph_find_param(g, "attn.weight"), -1);
    ck_assert_int_eq(graph_param_count(g), 4);

    size_t n_floats;
    float *base = graph_params(g, &n_floats);
    size_t end = 0;
    for (int i = 0; i < graph_param_count(g); i++) {
        int id = graph_param_id(g, i);
        size_t offset = graph_param_offset(g, id);
        ck_assert_uint_ge(offset, end); /* in order, never overlapping */
        ck_assert_ptr_eq(graph_data(g, id), base + offset);
        ck_assert_ptr_eq(graph_grad(g, id), graph_param_grads(g) + offset);
        end = offset + graph_numel(g, id);
    }
    ck_assert_uint_le(end, n_floats);
    graph_destroy(g);
}
END_TEST

static float *init_one(uint64_t seed, Init init, int n) {
    Graph *g = graph_create(backend_cpu(), seed);
    int p = graph_param(g, "p", 1, (int[]){n}, init);
    graph_compile(g);
    float *copy = malloc((size_t)n * sizeof(float));
    memcpy(copy, graph_data(g, p), (size_t)n * sizeof(float));
    graph_destroy(g);
    return copy;
}

START_TEST(initialisers) {
    enum { N = 40000 };
    float *u = init_one(5, (Init){INIT_UNIFORM_FAN_IN, 2.0f, 300}, N);
    float *n = init_one(5, (Init){INIT_NORMAL, 0.5f, 0}, N);
    float *c = init_one(5, (Init){INIT_CONSTANT, 0.75f, 0}, N);
    float *z = init_one(5, (Init){INIT_ZERO, 0, 0}, N);
    float *u_again = init_one(5, (Init){INIT_UNIFORM_FAN_IN, 2.0f, 300}, N);
    float *u_other = init_one(6, (Init){INIT_UNIFORM_FAN_IN, 2.0f, 300}, N);
    double bound = 2.0 * sqrt(3.0 / 300), su = 0, sn = 0;
    for (int i = 0; i < N; i++) {
        ck_assert(fabs(u[i]) <= bound);
        su += (double)u[i] * u[i], sn += (double)n[i] * n[i];
        ck_assert_float_eq(c[i], 0.75f);
        ck_assert_float_eq(z[i], 0.0f);
    }
    ck_assert_double_eq_tol(su / N, 4.0 / 300, 0.05 * 4.0 / 300);
    ck_assert_double_eq_tol(sn / N, 0.25, 0.0125);
    ck_assert_mem_eq(u, u_again, N * sizeof(float));
    ck_assert(memcmp(u, u_other, N * sizeof(float)) != 0);
    free(u), free(n), free(c), free(z), free(u_again), free(u_other);
}
END_TEST

START_TEST(shape_mismatch_is_fatal) {
    Graph *g = graph_create(backend_cpu(), 1);
    int x = graph_input(g, "x", DTYPE_F32, 2, (int[]){3, 4}, false);
    graph_linear(g, x, matrix(g, "weight", 5, 6), -1);
}
END_TEST

START_TEST(duplicate_parameter_is_fatal) {
    Graph *g = graph_create(backend_cpu(), 1);
    matrix(g, "weight", 5, 6);
    matrix(g, "weight", 5, 6);
}
END_TEST

int main(void) {
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("graph");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, unet_block_gradients);
    tcase_add_test(tc, transformer_block_gradients);
    tcase_add_test(tc, gradients_reported_final_are_final);
    tcase_add_test(tc, names_and_flat_buffers);
    tcase_add_test(tc, initialisers);
    tcase_add_exit_test(tc, shape_mismatch_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, duplicate_parameter_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
