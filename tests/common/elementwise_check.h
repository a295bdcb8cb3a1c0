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

/* Runs the activation's suite on the CPU backend and returns the exit code:
   the forward on wide random inputs plus extreme ones (+-20, +-100, 0), every
   output within forward_tol of the reference relative to max(|reference|, 1);
   the backward by finite differences at several sizes, odd ones included. */
int run_elementwise_suite(const char *name, ElementwiseOp op, double forward_tol);

#endif
