/* Multi-head scaled dot-product attention. Each (batch, head) pair is one
   OpenMP task that runs its own GEMMs; the strides let q, k and v (and their
   gradients) be column slices of one fused projection. */
#include <cblas.h>
#include <math.h>

#include "cpu_ops.h"
#include "disco/error.h"

/* Backward works on blocks of query rows whose dP/dS scores fit this many
   floats on the thread's stack (64 KiB), so the op allocates nothing and the
   GEMMs stay wider than one row. */
enum { SCORE_TILE_FLOATS = 16384 };

/* Where head h of batch b starts in each buffer (and in its gradient). */
typedef struct {
    size_t q, k, v, out, probs;
} HeadOffsets;

static HeadOffsets head_offsets(const AttentionShape *s, int b, int h) {
    size_t column = (size_t)h * s->head_dim;
    HeadOffsets at = {
        .q = (size_t)b * s->q_len * s->q_stride + column,
        .k = (size_t)b * s->kv_len * s->k_stride + column,
        .v = (size_t)b * s->kv_len * s->v_stride + column,
        .out = (size_t)b * s->q_len * s->heads * s->head_dim + column,
        .probs = ((size_t)b * s->heads + h) * s->q_len * s->kv_len,
    };
    return at;
}

static void check_shape(const AttentionShape *s) {
    int channels = s->heads * s->head_dim;
    DISCO_CHECK(s->batch > 0 && s->q_len > 0 && s->kv_len > 0 && s->heads > 0 && s->head_dim > 0,
                "attention: empty shape (batch %d, q_len %d, kv_len %d, heads %d, head_dim %d)", s->batch, s->q_len,
                s->kv_len, s->heads, s->head_dim);
    DISCO_CHECK(s->q_stride >= channels && s->k_stride >= channels && s->v_stride >= channels,
                "attention: token strides (%d, %d, %d) are shorter than heads*head_dim = %d", s->q_stride, s->k_stride,
                s->v_stride, channels);
    DISCO_CHECK(!s->causal || s->q_len == s->kv_len, "attention: causal needs q_len == kv_len, got %d and %d", s->q_len,
                s->kv_len);
}

/* Softmax of one row of logits in place; keys at or past `visible` are masked to 0. */
static void softmax_row(float *row, int visible, int len) {
    float max = row[0];
    for (int j = 1; j < visible; j++) max = fmaxf(max, row[j]);
    float sum = 0.0f;
    for (int j = 0; j < visible; j++) {
        row[j] = expf(row[j] - max);
        sum += row[j];
    }
    float inv_sum = 1.0f / sum;
    for (int j = 0; j < visible; j++) row[j] *= inv_sum;
    for (int j = visible; j < len; j++) row[j] = 0.0f;
}

void cpu_attention_forward(Backend *be, float *out, float *probs, const float *q, const float *k, const float *v,
                           const AttentionShape *s) {
    check_shape(s);
    int tq = s->q_len, tk = s->kv_len, dim = s->head_dim, channels = s->heads * dim;
    float scale = 1.0f / sqrtf((float)dim);

    /* One task per (batch, head); OpenBLAS built on OpenMP sees it is inside a
       parallel region and runs each GEMM on the calling thread. */
#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < s->batch * s->heads; bh++) {
        HeadOffsets at = head_offsets(s, bh / s->heads, bh % s->heads);
        float *p = probs + at.probs;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tq, tk, dim, scale, q + at.q, s->q_stride, k + at.k,
                    s->k_stride, 0.0f, p, tk);
        for (int i = 0; i < tq; i++) softmax_row(p + (size_t)i * tk, s->causal ? i + 1 : tk, tk);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, tq, dim, tk, 1.0f, p, tk, v + at.v, s->v_stride, 0.0f,
                    out + at.out, channels);
    }
}

/* With S = scale * Q K^T, P = softmax(S), O = P V:
     dV = P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(P * dP)),
     dQ = scale * dS K,  dK = scale * dS^T Q.
   Masked keys have P = 0, so they get dS = 0 without a second mask. */
void cpu_attention_backward(Backend *be, float *dq, float *dk, float *dv, const float *dout, const float *q,
                            const float *k, const float *v, const float *probs, const AttentionShape *s) {
    check_shape(s);
    int tq = s->q_len, tk = s->kv_len, dim = s->head_dim, channels = s->heads * dim;
    DISCO_CHECK(tk <= SCORE_TILE_FLOATS, "attention backward: kv_len %d is over the CPU limit of %d keys", tk,
                SCORE_TILE_FLOATS);
    float scale = 1.0f / sqrtf((float)dim);
    int tile_rows = SCORE_TILE_FLOATS / tk < tq ? SCORE_TILE_FLOATS / tk : tq;

#pragma omp parallel for schedule(static)
    for (int bh = 0; bh < s->batch * s->heads; bh++) {
        HeadOffsets at = head_offsets(s, bh / s->heads, bh % s->heads);
        const float *p = probs + at.probs, *dout_h = dout + at.out;
        if (dv)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, tk, dim, tq, 1.0f, p, tk, dout_h, channels, 0.0f,
                        dv + at.v, s->v_stride);
        if (!dq && !dk) continue;

        float ds[SCORE_TILE_FLOATS];
        for (int i0 = 0; i0 < tq; i0 += tile_rows) {
            int rows = tq - i0 < tile_rows ? tq - i0 : tile_rows;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, tk, dim, 1.0f, dout_h + (size_t)i0 * channels,
                        channels, v + at.v, s->v_stride, 0.0f, ds, tk);
            for (int r = 0; r < rows; r++) {
                const float *p_row = p + (size_t)(i0 + r) * tk;
                float *ds_row = ds + (size_t)r * tk;
                float p_dot_dp = 0.0f;
                for (int j = 0; j < tk; j++) p_dot_dp += p_row[j] * ds_row[j];
                for (int j = 0; j < tk; j++) ds_row[j] = p_row[j] * (ds_row[j] - p_dot_dp);
            }
            size_t q_rows = at.q + (size_t)i0 * s->q_stride;
            if (dq)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, dim, tk, scale, ds, tk, k + at.k,
                            s->k_stride, 0.0f, dq + q_rows, s->q_stride);
            /* dK sums over all query rows: the first block writes, later blocks add. */
            if (dk)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, tk, dim, rows, scale, ds, tk, q + q_rows,
                            s->q_stride, i0 == 0 ? 0.0f : 1.0f, dk + at.k, s->k_stride);
        }
    }
}
