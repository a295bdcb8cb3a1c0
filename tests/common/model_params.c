#include "model_params.h"

#include <stdlib.h>

#include "testutil.h"

size_t count_param_floats(const Graph *g) {
    size_t total = 0;
    for (int i = 0; i < graph_param_count(g); i++) total += graph_numel(g, graph_param_id(g, i));
    return total;
}

static void add_noise(Graph *g, int id, uint32_t tag, float scale) {
    size_t n = graph_numel(g, id);
    float *x = graph_data(g, id), *noise = alloc_normal(n, tag, scale);
    for (size_t j = 0; j < n; j++) x[j] += noise[j];
    free(noise);
}

void perturb_params(Graph *g, uint32_t tag, float scale) {
    for (int i = 0; i < graph_param_count(g); i++) add_noise(g, graph_param_id(g, i), tag + (uint32_t)i, scale);
}

void perturb_param(Graph *g, const char *name, uint32_t tag, float scale) {
    int id = graph_find_param(g, name);
    ck_assert_msg(id >= 0, "no parameter '%s'", name);
    add_noise(g, id, tag, scale);
}

void assert_param_shapes(const Graph *g, const ParamShape *want, int count) {
    for (int i = 0; i < count; i++) {
        int id = graph_find_param(g, want[i].name);
        ck_assert_msg(id >= 0, "no parameter '%s'", want[i].name);
        Tensor t = graph_tensor(g, id);
        ck_assert_msg(t.ndim == (want[i].cols ? 2 : 1), "'%s' has %d dimensions", want[i].name, t.ndim);
        ck_assert_msg(t.shape[0] == want[i].rows && (!want[i].cols || t.shape[1] == want[i].cols),
                      "'%s' has the wrong shape", want[i].name);
    }
}
