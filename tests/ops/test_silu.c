#include <math.h>

#include "elementwise_check.h"

static double silu_reference(double x) { return x / (1.0 + exp(-x)); }

int main(void) {
    const OpTable *ops = backend_cpu()->ops;
    return run_elementwise_suite("silu", (ElementwiseOp){ops->silu_forward, ops->silu_backward, silu_reference}, 1e-6);
}
