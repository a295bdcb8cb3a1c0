#include <math.h>

#include "disco/error.h"
#include "elementwise_check.h"
#include "testutil.h"

/* torch.nn.GELU()'s exact form. */
static double gelu_reference(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

static ElementwiseOp gelu_op(Backend *be) {
    return (ElementwiseOp){be->ops->gelu_forward, be->ops->gelu_backward, gelu_reference};
}

START_TEST(forward_matches_reference) {
    Backend *be = backend_cpu();
    ElementwiseOp op = gelu_op(be);
    check_elementwise_forward(be, &op, 1e-6);
}
END_TEST

START_TEST(backward_matches_finite_differences) {
    Backend *be = backend_cpu();
    ElementwiseOp op = gelu_op(be);
    check_elementwise_gradient(be, &op);
}
END_TEST

int main(void) {
    disco_tune_malloc();
    Suite *s = suite_create("gelu");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forward_matches_reference);
    tcase_add_test(tc, backward_matches_finite_differences);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
