#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "testutil.h"

typedef struct {
    int rows, channels;
    float max_positions;
    bool endpoint;
} Shape;

static const Shape shapes[] = {
    {5, 192, 10000.0f, false}, /* EDM's ADM noise embedding */
    {3, 6, 10000.0f, true},    /* DDPM++ style, odd number of frequencies */
    {1, 2, 100.0f, false},
    {7, 10, 100.0f, true},
};
enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };

typedef struct {
    Shape s;
    float *x, *dx, *y, *dy;
} PosEmb;

static PosEmb posemb_create(Shape s) {
    PosEmb p = {.s = s};
    p.x = alloc_normal((size_t)s.rows, 1, 2.0f);
    p.dx = alloc_zeros((size_t)s.rows);
    p.y = alloc_zeros((size_t)s.rows * s.channels);
    p.dy = alloc_zeros((size_t)s.rows * s.channels);
    return p;
}

static void posemb_free(PosEmb *p) { free(p->x), free(p->dx), free(p->y), free(p->dy); }

static void posemb_forward(void *ctx) {
    PosEmb *p = ctx;
    Backend *be = backend_cpu();
    be->ops->positional_embedding_forward(be, p->y, p->x, p->s.rows, p->s.channels, p->s.max_positions, p->s.endpoint);
}

static void posemb_backward(void *ctx) {
    PosEmb *p = ctx;
    Backend *be = backend_cpu();
    be->ops->positional_embedding_backward(be, p->dx, p->dy, p->x, p->s.rows, p->s.channels, p->s.max_positions,
                                           p->s.endpoint);
}

START_TEST(forward_matches_formula) {
    PosEmb p = posemb_create(shapes[_i]);
    posemb_forward(&p);
    int half = p.s.channels / 2;
    for (int r = 0; r < p.s.rows; r++)
        for (int j = 0; j < half; j++) {
            double f = pow(1.0 / p.s.max_positions, (double)j / (half - (p.s.endpoint ? 1 : 0)));
            double want_cos = cos(p.x[r] * f), want_sin = sin(p.x[r] * f);
            float got_cos = p.y[(size_t)r * p.s.channels + j], got_sin = p.y[(size_t)r * p.s.channels + half + j];
            ck_assert_msg(fabs(got_cos - want_cos) < 1e-6 && fabs(got_sin - want_sin) < 1e-6,
                          "row %d frequency %d: got (cos %.9g, sin %.9g), want (%.9g, %.9g)", r, j, got_cos, got_sin,
                          want_cos, want_sin);
        }
    posemb_free(&p);
}
END_TEST

START_TEST(backward_matches_finite_differences) {
    PosEmb p = posemb_create(shapes[_i]);
    GradInput x = {"x", p.x, p.dx, (size_t)p.s.rows, false};
    GradCheck gc = {.ctx = &p,
                    .forward = posemb_forward,
                    .backward = posemb_backward,
                    .out = p.y,
                    .dout = p.dy,
                    .n_out = (size_t)p.s.rows * p.s.channels,
                    .inputs = &x,
                    .n_inputs = 1};
    gradcheck_run(&gc);
    posemb_free(&p);
}
END_TEST

int main(void) {
    Suite *s = suite_create("positional_embedding");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, forward_matches_formula, 0, N_SHAPES);
    tcase_add_loop_test(tc, backward_matches_finite_differences, 0, N_SHAPES);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
