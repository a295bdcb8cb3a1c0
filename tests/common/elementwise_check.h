/* Shared checks for pointwise activations y[i] = f(x[i]) (SiLU, GELU). */
#ifndef DISCO_ELEMENTWISE_CHECK_H
#define DISCO_ELEMENTWISE_CHECK_H

#include <stddef.h>

#include "disco/backend.h"

typedef struct {
    void (*forward)(Backend *be, float *y, const float *x, size_t n);
    void (*backward)(Backend *be, float *dx, const float *dy, const float *x, size_t n);
    double (*reference)(double x); /* f in double, written independently of the op */
} ElementwiseOp;

/* Forward on wide random inputs plus extreme ones (+-20, +-100, 0): every
   output within tol of the reference, relative to max(|reference|, 1). */
void check_elementwise_forward(Backend *be, const ElementwiseOp *op, double tol);
/* Backward by finite differences at several sizes, odd ones included. */
void check_elementwise_gradient(Backend *be, const ElementwiseOp *op);

#endif
