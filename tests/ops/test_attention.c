#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

typedef struct {
    int batch, q_len, kv_len, heads, head_dim;
    bool causal, fused; /* fused: q, k, v are column blocks of one [rows, 3C] buffer */
} Case;

static const Case cases[] = {
    {2, 7, 7, 3, 4, false, false},    /* self */
    {2, 5, 3, 3, 5, false, false},    /* cross, fewer keys than queries */
    {1, 1, 7, 1, 3, false, false},    /* cross, one query */
    {2, 7, 7, 3, 4, true, false},     /* causal */
    {1, 1, 1, 1, 2, true, false},     /* causal, one token */
    {2, 5, 5, 3, 4, false, true},     /* fused qkv, stride 3C */
    {2, 7, 7, 3, 2, true, true},      /* fused and causal */
    {3, 5, 5, 1, 8, false, false},    /* one head */
    {1, 200, 200, 2, 8, true, false}, /* backward spans several score tiles */
};
enum { N_CASES = sizeof cases / sizeof cases[0] };

typedef struct {
    Case c;
    AttentionShape shape;
    float *inputs, *input_grads; /* q, k, v (fused or one after another) */
    float *q, *k, *v, *dq, *dk, *dv;
    float *out, *dout, *probs;
    size_t n_q, n_kv, n_out, n_inputs;
} Attention;

static Attention attention_create(Case c) {
    Attention a = {.c = c};
    int channels = c.heads * c.head_dim;
    int stride = c.fused ? 3 * channels : channels;
    a.shape = (AttentionShape){c.batch, c.q_len, c.kv_len, c.heads, c.head_dim, stride, stride, stride, c.causal};
    a.n_q = (size_t)c.batch * c.q_len * stride;
    a.n_kv = (size_t)c.batch * c.kv_len * stride;
    a.n_out = (size_t)c.batch * c.q_len * channels;
    a.n_inputs = c.fused ? a.n_q : a.n_q + 2 * a.n_kv;
    a.inputs = alloc_normal(a.n_inputs, 1, 1.0f);
    a.input_grads = alloc_zeros(a.n_inputs);
    size_t k_at = c.fused ? (size_t)channels : a.n_q, v_at = c.fused ? 2 * (size_t)channels : a.n_q + a.n_kv;
    a.q = a.inputs, a.k = a.inputs + k_at, a.v = a.inputs + v_at;
    a.dq = a.input_grads, a.dk = a.input_grads + k_at, a.dv = a.input_grads + v_at;
    a.out = alloc_zeros(a.n_out);
    a.dout = alloc_normal(a.n_out, 2, 1.0f);
    a.probs = alloc_zeros((size_t)c.batch * c.heads * c.q_len * c.kv_len);
    return a;
}

static void attention_free(Attention *a) {
    free(a->inputs), free(a->input_grads), free(a->out), free(a->dout), free(a->probs);
}

static void attention_forward(void *ctx) {
    Attention *a = ctx;
    Backend *be = backend_cpu();
    be->ops->attention_forward(be, a->out, a->probs, a->q, a->k, a->v, &a->shape);
}

static void attention_backward(void *ctx) {
    Attention *a = ctx;
    Backend *be = backend_cpu();
    be->ops->attention_backward(be, a->dq, a->dk, a->dv, a->dout, a->q, a->k, a->v, a->probs, &a->shape);
}

/* The textbook definition, one query at a time, in double. */
static void reference_attention(const Attention *a, float *out, float *probs) {
    const AttentionShape *s = &a->shape;
    int channels = s->heads * s->head_dim;
    double *logits = disco_malloc(s->kv_len * sizeof(double), "reference logits");
    for (int b = 0; b < s->batch; b++)
        for (int h = 0; h < s->heads; h++)
            for (int i = 0; i < s->q_len; i++) {
                const float *qi = a->q + ((size_t)b * s->q_len + i) * s->q_stride + h * s->head_dim;
                double max = -INFINITY, sum = 0;
                for (int j = 0; j < s->kv_len; j++) {
                    const float *kj = a->k + ((size_t)b * s->kv_len + j) * s->k_stride + h * s->head_dim;
                    double dot = 0;
                    for (int d = 0; d < s->head_dim; d++) dot += (double)qi[d] * kj[d];
                    logits[j] = s->causal && j > i ? -INFINITY : dot / sqrt(s->head_dim);
                    max = fmax(max, logits[j]);
                }
                for (int j = 0; j < s->kv_len; j++) sum += exp(logits[j] - max);
                float *p = probs + (((size_t)b * s->heads + h) * s->q_len + i) * s->kv_len;
                float *o = out + ((size_t)b * s->q_len + i) * channels + h * s->head_dim;
                for (int d = 0; d < s->head_dim; d++) {
                    double acc = 0;
                    for (int j = 0; j < s->kv_len; j++)
                        acc += exp(logits[j] - max) / sum *
                               a->v[((size_t)b * s->kv_len + j) * s->v_stride + h * s->head_dim + d];
                    o[d] = (float)acc;
                }
                for (int j = 0; j < s->kv_len; j++) p[j] = (float)(exp(logits[j] - max) / sum);
            }
    free(logits);
}

START_TEST(forward_matches_reference) {
    Attention a = attention_create(cases[_i]);
    float *want_out = alloc_zeros(a.n_out);
    float *want_probs = alloc_zeros((size_t)a.c.batch * a.c.heads * a.c.q_len * a.c.kv_len);
    attention_forward(&a);
    reference_attention(&a, want_out, want_probs);
    size_t n_probs = (size_t)a.c.batch * a.c.heads * a.c.q_len * a.c.kv_len;
    double out_error = relative_error(a.out, want_out, a.n_out);
    double probs_error = relative_error(a.probs, want_probs, n_probs);
    ck_assert_msg(out_error < 1e-5, "case %d: out relative error %.3g", _i, out_error);
    ck_assert_msg(probs_error < 1e-5, "case %d: probs relative error %.3g", _i, probs_error);
    free(want_out), free(want_probs);
    attention_free(&a);
}
END_TEST

START_TEST(backward_matches_finite_differences) {
    Attention a = attention_create(cases[_i]);
    GradInput separate[3] = {
        {"q", a.q, a.dq, a.n_q, false},
        {"k", a.k, a.dk, a.n_kv, false},
        {"v", a.v, a.dv, a.n_kv, false},
    };
    GradInput fused = {"fused qkv", a.inputs, a.input_grads, a.n_inputs, false};
    GradCheck gc = {.ctx = &a,
                    .forward = attention_forward,
                    .backward = attention_backward,
                    .out = a.out,
                    .dout = a.dout,
                    .n_out = a.n_out,
                    .inputs = a.c.fused ? &fused : separate,
                    .n_inputs = a.c.fused ? 1 : 3};
    gradcheck_run(&gc);
    attention_free(&a);
}
END_TEST

/* With one fused gradient buffer, asking for dq alone (or dk, or dv) must
   leave the other two column blocks untouched and give the same values. */
START_TEST(each_gradient_stays_in_its_columns) {
    Attention a = attention_create((Case){2, 6, 6, 3, 4, true, true});
    Backend *be = backend_cpu();
    attention_forward(&a);
    attention_backward(&a);
    float *full = a.input_grads;
    int channels = a.c.heads * a.c.head_dim;
    float *alone = disco_malloc(a.n_inputs * sizeof(float), "one gradient");
    for (int which = 0; which < 3; which++) {
        const float sentinel = 7.25f;
        for (size_t i = 0; i < a.n_inputs; i++) alone[i] = sentinel;
        be->ops->attention_backward(be, which == 0 ? alone : NULL, which == 1 ? alone + channels : NULL,
                                    which == 2 ? alone + 2 * channels : NULL, a.dout, a.q, a.k, a.v, a.probs, &a.shape);
        for (size_t i = 0; i < a.n_inputs; i++) {
            int block = (int)(i % (3 * channels)) / channels;
            if (block == which)
                ck_assert_msg(alone[i] == full[i], "gradient %d alone differs at %zu", which, i);
            else
                ck_assert_msg(alone[i] == sentinel, "gradient %d wrote into block %d at %zu", which, block, i);
        }
    }
    free(alone);
    attention_free(&a);
}
END_TEST

int main(void) {
    Suite *s = suite_create("attention");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, forward_matches_reference, 0, N_CASES);
    tcase_add_loop_test(tc, backward_matches_finite_differences, 0, N_CASES);
    tcase_add_test(tc, each_gradient_stays_in_its_columns);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
