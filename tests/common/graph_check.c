#include "graph_check.h"

#include <stdlib.h>

#include "testutil.h"

typedef struct {
    Graph *g;
    int loss;
    float out, dout;
} GraphCheck;

static void graph_check_forward(void *ctx) {
    GraphCheck *c = ctx;
    graph_forward(c->g);
    const float *loss = graph_data(c->g, c->loss);
    double total = 0;
    for (size_t i = 0; i < graph_numel(c->g, c->loss); i++) total += loss[i];
    c->out = (float)total;
}

static void graph_check_backward(void *ctx) {
    GraphCheck *c = ctx;
    graph_backward(c->g, c->dout);
}

void check_whole_graph_probing(Graph *g, int loss, const int *grad_inputs, int n_grad_inputs, int max_probes) {
    GraphCheck c = {.g = g, .loss = loss};
    int n_params = graph_param_count(g);
    GradInput *inputs = calloc((size_t)(n_params + n_grad_inputs), sizeof(GradInput));
    for (int i = 0; i < n_params; i++) {
        int id = graph_param_id(g, i);
        inputs[i] = (GradInput){graph_name(g, id), graph_data(g, id), graph_grad(g, id), graph_numel(g, id), true};
    }
    for (int i = 0; i < n_grad_inputs; i++) {
        int id = grad_inputs[i];
        inputs[n_params + i] =
            (GradInput){graph_name(g, id), graph_data(g, id), graph_grad(g, id), graph_numel(g, id), false};
    }
    GradCheck gc = {.ctx = &c, .forward = graph_check_forward, .backward = graph_check_backward, .out = &c.out,
                    .dout = &c.dout, .n_out = 1, .inputs = inputs, .n_inputs = n_params + n_grad_inputs,
                    .max_probes = max_probes};
    gradcheck_run(&gc);
    free(inputs);
}

void check_whole_graph(Graph *g, int loss, const int *grad_inputs, int n_grad_inputs) {
    check_whole_graph_probing(g, loss, grad_inputs, n_grad_inputs, 24);
}
