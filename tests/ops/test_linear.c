#include <stdlib.h>

#include "disco/backend.h"
#include "testutil.h"

typedef struct {
    int rows, in, out;
    bool has_bias;
} LinearShape;

/* Odd sizes on purpose: a single row, a single input, sizes no vector width divides. */
static const LinearShape shapes[] = {
    {1, 1, 1, true}, {1, 5, 3, false}, {3, 13, 5, true}, {7, 5, 13, false}, {7, 13, 1, true}, {33, 40, 17, true},
};
enum { N_SHAPES = sizeof(shapes) / sizeof(shapes[0]) };

typedef struct {
    Backend *be;
    LinearShape s;
    float *x, *w, *b, *y;
    float *dx, *dw, *db, *dy;
} Linear;

static Linear linear_create(LinearShape s) {
    Linear l = {.be = backend_cpu(), .s = s};
    l.x = alloc_normal((size_t)s.rows * s.in, 1, 1.0f);
    l.w = alloc_normal((size_t)s.out * s.in, 2, 0.5f);
    l.b = s.has_bias ? alloc_normal((size_t)s.out, 3, 1.0f) : NULL;
    l.y = alloc_zeros((size_t)s.rows * s.out);
    l.dy = alloc_zeros((size_t)s.rows * s.out);
    l.dx = alloc_zeros((size_t)s.rows * s.in);
    l.dw = alloc_zeros((size_t)s.out * s.in);
    l.db = s.has_bias ? alloc_zeros((size_t)s.out) : NULL;
    return l;
}

static void linear_destroy(Linear *l) {
    float *buffers[] = {l->x, l->w, l->b, l->y, l->dx, l->dw, l->db, l->dy};
    for (size_t i = 0; i < sizeof(buffers) / sizeof(buffers[0]); i++) free(buffers[i]);
}

static void forward(void *ctx) {
    Linear *l = ctx;
    l->be->ops->linear_forward(l->be, l->y, l->x, l->w, l->b, l->s.rows, l->s.in, l->s.out);
}

static void backward(void *ctx) {
    Linear *l = ctx;
    l->be->ops->linear_backward(l->be, l->dx, l->dw, l->db, l->dy, l->x, l->w, l->s.rows, l->s.in, l->s.out);
}

START_TEST(forward_matches_a_naive_loop) {
    LinearShape s = shapes[_i];
    Linear l = linear_create(s);
    forward(&l);
    float *expected = alloc_zeros((size_t)s.rows * s.out);
    for (int r = 0; r < s.rows; r++)
        for (int o = 0; o < s.out; o++) {
            double sum = s.has_bias ? l.b[o] : 0.0;
            for (int i = 0; i < s.in; i++) sum += (double)l.x[r * s.in + i] * l.w[o * s.in + i];
            expected[r * s.out + o] = (float)sum;
        }
    double err = relative_error(l.y, expected, (size_t)s.rows * s.out);
    ck_assert_msg(err < 1e-5, "rows %d in %d out %d: relative error %g", s.rows, s.in, s.out, err);
    free(expected);
    linear_destroy(&l);
}
END_TEST

START_TEST(gradients_match_finite_differences) {
    LinearShape s = shapes[_i];
    Linear l = linear_create(s);
    GradInput inputs[] = {
        {"x", l.x, l.dx, (size_t)s.rows * s.in, false},
        {"w", l.w, l.dw, (size_t)s.out * s.in, true},
        {"b", l.b, l.db, (size_t)s.out, true},
    };
    GradCheck gc = {.ctx = &l, .forward = forward, .backward = backward, .out = l.y, .dout = l.dy,
                    .n_out = (size_t)s.rows * s.out, .inputs = inputs, .n_inputs = s.has_bias ? 3 : 2};
    gradcheck_run(&gc);
    linear_destroy(&l);
}
END_TEST

/* Asking for one gradient gives the same numbers as asking for all three. */
START_TEST(null_gradients_are_skipped) {
    LinearShape s = {5, 7, 3, true};
    Linear l = linear_create(s);
    size_t nx = (size_t)s.rows * s.in, nw = (size_t)s.out * s.in;
    fill_normal(l.dy, (size_t)s.rows * s.out, 4, 1.0f);
    backward(&l);
    float *dx = alloc_zeros(nx), *dw = alloc_zeros(nw), *db = alloc_zeros((size_t)s.out);
    Backend *be = l.be;
    be->ops->linear_backward(be, dx, NULL, NULL, l.dy, l.x, l.w, s.rows, s.in, s.out);
    be->ops->linear_backward(be, NULL, dw, NULL, l.dy, l.x, l.w, s.rows, s.in, s.out);
    be->ops->linear_backward(be, NULL, NULL, db, l.dy, l.x, l.w, s.rows, s.in, s.out);
    ck_assert_double_eq(max_abs_difference(dx, l.dx, nx), 0.0);
    ck_assert_double_eq(max_abs_difference(dw, l.dw, nw), 0.0);
    ck_assert_double_eq(max_abs_difference(db, l.db, (size_t)s.out), 0.0);
    free(dx);
    free(dw);
    free(db);
    linear_destroy(&l);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("linear");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, forward_matches_a_naive_loop, 0, N_SHAPES);
    tcase_add_loop_test(tc, gradients_match_finite_differences, 0, N_SHAPES);
    tcase_add_test(tc, null_gradients_are_skipped);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
