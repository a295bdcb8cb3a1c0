#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

typedef struct {
    Backend *be;
    int batch, tokens, channels;
    float *x, *scale_shift, *y, *dx, *dscale_shift, *dy;
} ModulateCase;

static const int shapes[][3] = {{1, 1, 3}, {3, 7, 5}, {2, 1, 8}, {1, 9, 4}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

static ModulateCase make_case(const int shape[3], uint32_t tag) {
    ModulateCase m = {.be = backend_cpu(), .batch = shape[0], .tokens = shape[1], .channels = shape[2]};
    size_t n = (size_t)m.batch * m.tokens * m.channels, nss = (size_t)m.batch * 2 * m.channels;
    m.x = alloc_normal(n, tag, 1.0f), m.scale_shift = alloc_normal(nss, tag + 1, 0.5f);
    m.y = alloc_zeros(n), m.dx = alloc_zeros(n), m.dy = alloc_zeros(n), m.dscale_shift = alloc_zeros(nss);
    return m;
}

static void free_case(ModulateCase *m) {
    free(m->x), free(m->scale_shift), free(m->y), free(m->dx), free(m->dscale_shift), free(m->dy);
}

static void modulate_forward(void *ctx) {
    ModulateCase *m = ctx;
    m->be->ops->modulate_forward(m->be, m->y, m->x, m->scale_shift, m->batch, m->tokens, m->channels);
}

static void modulate_backward(void *ctx) {
    ModulateCase *m = ctx;
    m->be->ops->modulate_backward(m->be, m->dx, m->dscale_shift, m->dy, m->x, m->scale_shift, m->batch, m->tokens,
                                  m->channels);
}

/* Scale is the first half of each scale_shift row, shift the second (EDM's chunk(2)). */
START_TEST(forward_matches_reference) {
    for (int k = 0; k < N_SHAPES; k++) {
        ModulateCase m = make_case(shapes[k], 10 + 2 * k);
        modulate_forward(&m);
        int C = m.channels;
        for (int b = 0; b < m.batch; b++)
            for (int t = 0; t < m.tokens; t++)
                for (int c = 0; c < C; c++) {
                    size_t i = ((size_t)b * m.tokens + t) * C + c;
                    double want = m.x[i] * (1.0 + m.scale_shift[b * 2 * C + c]) + m.scale_shift[b * 2 * C + C + c];
                    ck_assert_double_eq_tol(m.y[i], want, 1e-6 * fmax(fabs(want), 1.0));
                }
        free_case(&m);
    }
}
END_TEST

START_TEST(backward_matches_finite_differences) {
    for (int k = 0; k < N_SHAPES; k++) {
        ModulateCase m = make_case(shapes[k], 100 + 2 * k);
        size_t n = (size_t)m.batch * m.tokens * m.channels;
        GradInput inputs[] = {{"x", m.x, m.dx, n, false},
                              {"scale_shift", m.scale_shift, m.dscale_shift, (size_t)m.batch * 2 * m.channels, false}};
        GradCheck gc = {.ctx = &m, .forward = modulate_forward, .backward = modulate_backward, .out = m.y,
                        .dout = m.dy, .n_out = n, .inputs = inputs, .n_inputs = 2};
        gradcheck_run(&gc);
        free_case(&m);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("modulate");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forward_matches_reference);
    tcase_add_test(tc, backward_matches_finite_differences);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
