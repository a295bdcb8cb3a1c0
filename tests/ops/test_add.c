#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

/* {n, nb}: plain addition, a bias over rows, a [T, C] embedding over a batch, one element. */
static const size_t sizes[][2] = {{35, 35}, {35, 5}, {3 * 7 * 4, 7 * 4}, {1, 1}};
#define N_SIZES (int)(sizeof sizes / sizeof sizes[0])
static const float scale = 0.70710678f;

typedef struct {
    Backend *be;
    size_t n, nb;
    float *a, *b, *y, *da, *db, *dy;
} AddCase;

static AddCase make_case(size_t n, size_t nb, uint32_t tag) {
    AddCase c = {backend_cpu(), n, nb, alloc_normal(n, tag, 1.0f), alloc_normal(nb, tag + 1, 1.0f),
                 alloc_zeros(n), alloc_zeros(n), alloc_zeros(nb), alloc_zeros(n)};
    return c;
}

static void free_case(AddCase *c) { free(c->a), free(c->b), free(c->y), free(c->da), free(c->db), free(c->dy); }

static void add_forward(void *ctx) {
    AddCase *c = ctx;
    c->be->ops->add_forward(c->be, c->y, c->a, c->b, c->n, c->nb, scale);
}

static void add_backward(void *ctx) {
    AddCase *c = ctx;
    c->be->ops->add_backward(c->be, c->da, c->db, c->dy, c->n, c->nb, scale);
}

START_TEST(forward_broadcasts_b) {
    for (int k = 0; k < N_SIZES; k++) {
        AddCase c = make_case(sizes[k][0], sizes[k][1], 10 + 2 * k);
        add_forward(&c);
        for (size_t i = 0; i < c.n; i++) {
            double want = scale * ((double)c.a[i] + c.b[i % c.nb]);
            ck_assert_double_eq_tol(c.y[i], want, 1e-6 * fmax(fabs(want), 1.0));
        }
        free_case(&c);
    }
}
END_TEST

START_TEST(backward_matches_finite_differences) {
    for (int k = 0; k < N_SIZES; k++) {
        AddCase c = make_case(sizes[k][0], sizes[k][1], 100 + 2 * k);
        GradInput inputs[] = {{"a", c.a, c.da, c.n, false}, {"b", c.b, c.db, c.nb, false}};
        GradCheck gc = {.ctx = &c, .forward = add_forward, .backward = add_backward, .out = c.y, .dout = c.dy,
                        .n_out = c.n, .inputs = inputs, .n_inputs = 2};
        gradcheck_run(&gc);
        free_case(&c);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("add");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forward_broadcasts_b);
    tcase_add_test(tc, backward_matches_finite_differences);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
