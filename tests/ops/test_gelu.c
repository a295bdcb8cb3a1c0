#include <math.h>

#include "elementwise_check.h"

/* torch.nn.GELU()'s exact form. */
static double gelu_reference(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

int main(void) {
    const OpTable *ops = backend_cpu()->ops;
    return run_elementwise_suite("gelu", (ElementwiseOp){ops->gelu_forward, ops->gelu_backward, gelu_reference}, 1e-6);
}
