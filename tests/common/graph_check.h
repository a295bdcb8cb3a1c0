/* Gradient check of a whole compiled graph: every parameter and the chosen
   float inputs, against central differences of the summed loss. */
#ifndef DISCO_GRAPH_CHECK_H
#define DISCO_GRAPH_CHECK_H

#include "disco/graph.h"

/* Fails the current check test, naming the tensor, when any gradient is wrong.
   `loss` is summed over its elements; grad_inputs are float inputs created
   with needs_grad. */
void check_whole_graph(Graph *g, int loss, const int *grad_inputs, int n_grad_inputs);
/* The same probing at most max_probes elements per tensor (24 above): for
   composites of many tensors whose parts have their own full checks. */
void check_whole_graph_probing(Graph *g, int loss, const int *grad_inputs, int n_grad_inputs, int max_probes);

#endif
