/* Adam against the update written out by hand in double, EDM's handling of
   non-finite gradients, and convergence on a quadratic. */
#include <math.h>
#include <stdlib.h>

#include "disco/adam.h"
#include "testutil.h"

enum { N = 7, STEPS = 5 };

/* The textbook update (Kingma & Ba, Algorithm 1) with hats, in double. */
typedef struct {
    double m[N], v[N], p[N];
} Reference;

static void reference_step(Reference *r, const float *grads, double lr, int t) {
    for (int i = 0; i < N; i++) {
        double g = grads[i];
        r->m[i] = 0.9 * r->m[i] + 0.1 * g;
        r->v[i] = 0.999 * r->v[i] + 0.001 * g * g;
        double m_hat = r->m[i] / (1 - pow(0.9, t)), v_hat = r->v[i] / (1 - pow(0.999, t));
        r->p[i] -= lr * m_hat / (sqrt(v_hat) + 1e-8);
    }
}

static void expect_close(const float *params, const Reference *r, int step) {
    for (int i = 0; i < N; i++)
        ck_assert_msg(fabs(params[i] - r->p[i]) <= 1e-6 * fmax(1.0, fabs(r->p[i])),
                      "step %d, parameter %d: %.9g, reference %.9g", step, i, params[i], r->p[i]);
}

START_TEST(matches_the_hand_derived_update) {
    Adam *adam = adam_create(N);
    float params[N], grads[N];
    Reference ref = {{0}, {0}, {0}};
    fill_normal(params, N, 1, 1.0f);
    for (int i = 0; i < N; i++) ref.p[i] = params[i];
    for (int t = 1; t <= STEPS; t++) {
        /* Gradients of very different sizes: Adam's step must not depend on them. */
        fill_normal(grads, N, 10 + t, 1.0f);
        grads[0] *= 1e-4f, grads[1] *= 1e3f;
        double lr = 1e-2 * t; /* a ramp, as callers apply one */
        reference_step(&ref, grads, lr, t);
        adam_step(adam, params, grads, (float)lr);
        expect_close(params, &ref, t);
    }
    ck_assert_uint_eq(adam->step, STEPS);
    adam_destroy(adam);
}
END_TEST

/* NaN counts as 0 and +-Inf as +-1e5, written back into the gradients, and
   the update is the one those replacements give. */
START_TEST(non_finite_gradients_are_replaced) {
    Adam *adam = adam_create(N);
    float params[N] = {0.5f, -0.25f, 1, 2, 3, 4, 5};
    float grads[N] = {NAN, INFINITY, -INFINITY, 1.0f, -2.0f, 0.0f, 1e-3f};
    const float replaced[N] = {0, 1e5f, -1e5f, 1.0f, -2.0f, 0.0f, 1e-3f};
    Reference ref = {{0}, {0}, {0}};
    for (int i = 0; i < N; i++) ref.p[i] = params[i];
    reference_step(&ref, replaced, 0.1, 1);
    adam_step(adam, params, grads, 0.1f);
    for (int i = 0; i < N; i++) {
        ck_assert_float_eq(grads[i], replaced[i]);
        ck_assert(isfinite(params[i]) && isfinite(adam->m[i]) && isfinite(adam->v[i]));
    }
    ck_assert_float_eq(params[0], 0.5f); /* a NaN gradient moves nothing */
    expect_close(params, &ref, 1);
    adam_destroy(adam);
}
END_TEST

/* f(x) = 1/2 sum a_i (x_i - c_i)^2 with curvatures over four decades. */
START_TEST(minimises_a_quadratic) {
    enum { DIM = 64, ITERATIONS = 3000 };
    float x[DIM], grads[DIM], a[DIM], c[DIM];
    fill_uniform(c, DIM, 20, -3.0f, 3.0f);
    for (int i = 0; i < DIM; i++) x[i] = 0, a[i] = powf(10.0f, -2.0f + 4.0f * (float)i / (DIM - 1));
    Adam *adam = adam_create(DIM);
    for (int t = 0; t < ITERATIONS; t++) {
        for (int i = 0; i < DIM; i++) grads[i] = a[i] * (x[i] - c[i]);
        /* Decay to zero: at a constant rate Adam hovers about lr from the minimum. */
        adam_step(adam, x, grads, 0.1f * (1.0f - (float)t / ITERATIONS));
    }
    for (int i = 0; i < DIM; i++)
        ck_assert_msg(fabsf(x[i] - c[i]) < 1e-3f, "x[%d] = %g, minimum at %g (curvature %g)", i, x[i], c[i], a[i]);
    adam_destroy(adam);
}
END_TEST

int main(void) {
    Suite *s = suite_create("adam");
    TCase *tc = tcase_create("adam");
    tcase_add_test(tc, matches_the_hand_derived_update);
    tcase_add_test(tc, non_finite_gradients_are_replaced);
    tcase_add_test(tc, minimises_a_quadratic);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
