/* Parameter helpers for the model suites: counting a built graph's weights
   and moving a compiled one away from its initialisation for gradient checks. */
#ifndef DISCO_MODEL_PARAMS_H
#define DISCO_MODEL_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "disco/graph.h"

/* Floats in all parameters; the graph need not be compiled. */
size_t count_param_floats(const Graph *g);

/* Add N(0, scale^2) noise to every parameter, or to the one named, of a
   compiled CPU graph: a weight at zero (a residual branch's last linear, a
   head) would block every gradient behind it. */
void perturb_params(Graph *g, uint32_t tag, float scale);
void perturb_param(Graph *g, const char *name, uint32_t tag, float scale);

/* A parameter's expected name and shape: a matrix [rows, cols], or a
   vector of rows when cols is 0. */
typedef struct {
    const char *name;
    int rows, cols;
} ParamShape;

/* Asserts that every listed parameter exists with its shape. */
void assert_param_shapes(const Graph *g, const ParamShape *want, int count);

#endif
