#include "elementwise_check.h"

#include <math.h>
#include <stdlib.h>

#include "testutil.h"

static void check_elementwise_forward(Backend *be, const ElementwiseOp *op, double tol) {
    enum { N = 4096 };
    static const float extremes[] = {-100.0f, -20.0f, 0.0f, 20.0f, 100.0f};
    float *x = alloc_normal(N, 1, 3.0f), *y = alloc_zeros(N);
    for (size_t i = 0; i < sizeof extremes / sizeof extremes[0]; i++) x[i] = extremes[i];
    op->forward(be, y, x, N);
    for (int i = 0; i < N; i++) {
        double want = op->reference(x[i]);
        ck_assert_msg(fabs(y[i] - want) <= tol * fmax(fabs(want), 1.0), "f(%.9g) = %.9g, reference %.9g", (double)x[i],
                      (double)y[i], want);
    }
    free(x), free(y);
}

typedef struct {
    Backend *be;
    const ElementwiseOp *op;
    float *x, *y, *dx, *dy;
    size_t n;
} Pointwise;

static void pointwise_forward(void *ctx) {
    Pointwise *p = ctx;
    p->op->forward(p->be, p->y, p->x, p->n);
}

static void pointwise_backward(void *ctx) {
    Pointwise *p = ctx;
    p->op->backward(p->be, p->dx, p->dy, p->x, p->n);
}

static void check_elementwise_gradient(Backend *be, const ElementwiseOp *op) {
    static const size_t sizes[] = {1, 5, 37, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        Pointwise p = {be, op, alloc_normal(n, 2 + (uint32_t)s, 2.0f), alloc_zeros(n), alloc_zeros(n), alloc_zeros(n), n};
        GradInput input = {"x", p.x, p.dx, n, false};
        GradCheck gc = {.ctx = &p, .forward = pointwise_forward, .backward = pointwise_backward,
                        .out = p.y, .dout = p.dy, .n_out = n, .inputs = &input, .n_inputs = 1};
        gradcheck_run(&gc);
        free(p.x), free(p.y), free(p.dx), free(p.dy);
    }
}

static ElementwiseOp op_under_test;
static double forward_tolerance;

START_TEST(forward_matches_reference) { check_elementwise_forward(backend_cpu(), &op_under_test, forward_tolerance); }
END_TEST

START_TEST(backward_matches_finite_differences) { check_elementwise_gradient(backend_cpu(), &op_under_test); }
END_TEST

int run_elementwise_suite(const char *name, ElementwiseOp op, double forward_tol) {
    op_under_test = op;
    forward_tolerance = forward_tol;
    Suite *s = suite_create(name);
    TCase *tc = tcase_create("cpu");
    tcase_add_test(tc, forward_matches_reference);
    tcase_add_test(tc, backward_matches_finite_differences);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
