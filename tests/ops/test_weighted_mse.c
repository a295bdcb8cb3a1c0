#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/backend.h"
#include "testutil.h"

typedef struct {
    int rows, dim;
    float *pred, *target, *weight, *dpred, *dtarget, *loss, *dloss;
} Mse;

static Mse mse_create(int rows, int dim) {
    Mse m = {.rows = rows, .dim = dim};
    size_t n = (size_t)rows * dim;
    m.pred = alloc_normal(n, 1, 1.0f);
    m.target = alloc_normal(n, 2, 1.0f);
    m.weight = alloc_zeros((size_t)rows);
    fill_uniform(m.weight, (size_t)rows, 3, 0.1f, 5.0f); /* λ(σ) is positive and varies a lot */
    m.dpred = alloc_zeros(n);
    m.dtarget = alloc_zeros(n);
    m.loss = alloc_zeros((size_t)rows);
    m.dloss = alloc_zeros((size_t)rows);
    return m;
}

static void mse_free(Mse *m) {
    free(m->pred), free(m->target), free(m->weight), free(m->dpred), free(m->dtarget), free(m->loss), free(m->dloss);
}

static void mse_forward(void *ctx) {
    Mse *m = ctx;
    Backend *be = backend_cpu();
    be->ops->weighted_mse_forward(be, m->loss, m->pred, m->target, m->weight, m->rows, m->dim);
}

static void mse_backward(void *ctx) {
    Mse *m = ctx;
    Backend *be = backend_cpu();
    be->ops->weighted_mse_backward(be, m->dpred, m->dtarget, m->dloss, m->pred, m->target, m->weight, m->rows, m->dim);
}

static const int shapes[][2] = {{1, 1}, {3, 7}, {5, 48}, {2, 3 * 8 * 8}}; /* rows, dim */
enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };

START_TEST(forward_matches_reference) {
    Mse m = mse_create(shapes[_i][0], shapes[_i][1]);
    mse_forward(&m);
    for (int r = 0; r < m.rows; r++) {
        double sum = 0;
        for (int d = 0; d < m.dim; d++) {
            double diff = (double)m.pred[(size_t)r * m.dim + d] - m.target[(size_t)r * m.dim + d];
            sum += diff * diff;
        }
        double want = m.weight[r] * sum;
        ck_assert_msg(fabs(m.loss[r] - want) <= 1e-6 * fmax(want, 1.0), "row %d: loss %.9g, want %.9g", r, m.loss[r],
                      want);
    }
    mse_free(&m);
}
END_TEST

START_TEST(backward_matches_finite_differences) {
    Mse m = mse_create(shapes[_i][0], shapes[_i][1]);
    size_t n = (size_t)m.rows * m.dim;
    GradInput inputs[2] = {{"pred", m.pred, m.dpred, n, false}, {"target", m.target, m.dtarget, n, false}};
    GradCheck gc = {.ctx = &m,
                    .forward = mse_forward,
                    .backward = mse_backward,
                    .out = m.loss,
                    .dout = m.dloss,
                    .n_out = (size_t)m.rows,
                    .inputs = inputs,
                    .n_inputs = 2};
    gradcheck_run(&gc);
    mse_free(&m);
}
END_TEST

/* The loss never needs d(target): a NULL there must not change d(pred). */
START_TEST(null_target_gradient_is_skipped) {
    Mse m = mse_create(4, 9);
    size_t n = 4 * 9;
    fill_normal(m.dloss, 4, 4, 1.0f);
    mse_backward(&m);
    float *alone = alloc_zeros(n);
    Backend *be = backend_cpu();
    be->ops->weighted_mse_backward(be, alone, NULL, m.dloss, m.pred, m.target, m.weight, m.rows, m.dim);
    ck_assert_int_eq(memcmp(alone, m.dpred, n * sizeof(float)), 0);
    free(alone);
    mse_free(&m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("weighted_mse");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, forward_matches_reference, 0, N_SHAPES);
    tcase_add_loop_test(tc, backward_matches_finite_differences, 0, N_SHAPES);
    tcase_add_test(tc, null_target_gradient_is_skipped);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
