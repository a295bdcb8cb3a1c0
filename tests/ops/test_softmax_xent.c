#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "testutil.h"

typedef struct {
    int rows, vocab;
    float logit_scale; /* large scales overflow expf without the max subtraction */
} Shape;

static const Shape shapes[] = {{1, 1, 1.0f}, {1, 2, 1.0f}, {3, 7, 1.0f}, {5, 101, 3.0f}, {4, 13, 60.0f}};
enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };

typedef struct {
    Shape s;
    int32_t *targets;
    float *logits, *dlogits, *loss, *dloss, *probs;
} Xent;

static Xent xent_create(Shape s) {
    Xent x = {.s = s};
    size_t n = (size_t)s.rows * s.vocab;
    x.targets = malloc((size_t)s.rows * sizeof(int32_t));
    for (int r = 0; r < s.rows; r++) x.targets[r] = (r * 5 + 2) % s.vocab;
    x.logits = alloc_normal(n, 1, s.logit_scale);
    x.dlogits = alloc_zeros(n);
    x.probs = alloc_zeros(n);
    x.loss = alloc_zeros((size_t)s.rows);
    x.dloss = alloc_zeros((size_t)s.rows);
    return x;
}

static void xent_free(Xent *x) {
    free(x->targets), free(x->logits), free(x->dlogits), free(x->probs), free(x->loss), free(x->dloss);
}

static void xent_forward(void *ctx) {
    Xent *x = ctx;
    Backend *be = backend_cpu();
    be->ops->softmax_xent_forward(be, x->loss, x->probs, x->logits, x->targets, x->s.rows, x->s.vocab);
}

static void xent_backward(void *ctx) {
    Xent *x = ctx;
    Backend *be = backend_cpu();
    be->ops->softmax_xent_backward(be, x->dlogits, x->dloss, x->probs, x->targets, x->s.rows, x->s.vocab);
}

START_TEST(forward_matches_log_sum_exp) {
    Xent x = xent_create(shapes[_i]);
    xent_forward(&x);
    for (int r = 0; r < x.s.rows; r++) {
        const float *logit = x.logits + (size_t)r * x.s.vocab;
        double max = -INFINITY, sum = 0, prob_sum = 0;
        for (int j = 0; j < x.s.vocab; j++) max = fmax(max, logit[j]);
        for (int j = 0; j < x.s.vocab; j++) sum += exp(logit[j] - max);
        double want = log(sum) + max - logit[x.targets[r]];
        ck_assert_msg(fabs(x.loss[r] - want) <= 1e-5 * fmax(fabs(want), 1.0), "row %d: loss %.9g, want %.9g", r,
                      x.loss[r], want);
        for (int j = 0; j < x.s.vocab; j++) {
            double want_p = exp(logit[j] - max) / sum;
            ck_assert_msg(fabs(x.probs[(size_t)r * x.s.vocab + j] - want_p) <= 1e-6,
                          "row %d: probs[%d] %.9g, want %.9g", r, j, x.probs[(size_t)r * x.s.vocab + j], want_p);
            prob_sum += x.probs[(size_t)r * x.s.vocab + j];
        }
        ck_assert_double_eq_tol(prob_sum, 1.0, 1e-5);
    }
    xent_free(&x);
}
END_TEST

START_TEST(backward_matches_finite_differences) {
    Xent x = xent_create(shapes[_i]);
    GradInput logits = {"logits", x.logits, x.dlogits, (size_t)x.s.rows * x.s.vocab, false};
    GradCheck gc = {.ctx = &x,
                    .forward = xent_forward,
                    .backward = xent_backward,
                    .out = x.loss,
                    .dout = x.dloss,
                    .n_out = (size_t)x.s.rows,
                    .inputs = &logits,
                    .n_inputs = 1};
    gradcheck_run(&gc);
    xent_free(&x);
}
END_TEST

/* Both ends of the range: the op must end the process, not read past the row. */
START_TEST(target_out_of_range_is_fatal) {
    Xent x = xent_create((Shape){3, 4, 1.0f});
    x.targets[1] = _i == 0 ? 4 : -1;
    xent_forward(&x);
}
END_TEST

int main(void) {
    Suite *s = suite_create("softmax_xent");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, forward_matches_log_sum_exp, 0, N_SHAPES);
    tcase_add_loop_test(tc, backward_matches_finite_differences, 0, N_SHAPES);
    tcase_add_loop_exit_test(tc, target_out_of_range_is_fatal, EXIT_FAILURE, 0, 2);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
