#include <math.h>
#include <stdlib.h>

#include "disco/toy.h"
#include "testutil.h"

static double cost(const float *a, const float *b, int i, int j) {
    double dx = (double)a[2 * i] - b[2 * j], dy = (double)a[2 * i + 1] - b[2 * j + 1];
    return dx * dx + dy * dy;
}

/* The best of all n! assignments, by Heap's algorithm. */
static double brute_force_w2(const float *a, const float *b, int n) {
    int perm[8], c[8] = {0};
    for (int i = 0; i < n; i++) perm[i] = i;
    double best = INFINITY;
    for (int i = 0;;) {
        double total = 0;
        for (int r = 0; r < n; r++) total += cost(a, b, r, perm[r]);
        best = fmin(best, total);
        while (i < n && c[i] >= i) c[i++] = 0;
        if (i >= n) break;
        int j = i % 2 ? c[i] : 0, t = perm[j];
        perm[j] = perm[i], perm[i] = t;
        c[i]++, i = 0;
    }
    return sqrt(best / n);
}

START_TEST(matches_brute_force_on_small_sets) {
    float a[14], b[14];
    for (int n = 1; n <= 7; n++)
        for (uint32_t trial = 0; trial < 6; trial++) {
            fill_normal(a, 2 * (size_t)n, 100 * n + trial, 1.0f);
            fill_normal(b, 2 * (size_t)n, 100 * n + trial + 50, 1.5f);
            /* Every other trial on a coarse integer grid: many equal costs. */
            if (trial % 2)
                for (int k = 0; k < 2 * n; k++) a[k] = roundf(a[k]), b[k] = roundf(b[k]);
            double want = brute_force_w2(a, b, n), got = w2_exact(a, b, n);
            ck_assert_msg(fabs(got - want) <= 1e-12 * fmax(want, 1.0), "n = %d trial %u: %.15g, brute force %.15g", n,
                          trial, got, want);
        }
}
END_TEST

static int by_value(const void *x, const void *y) {
    float p = *(const float *)x, q = *(const float *)y;
    return (p > q) - (p < q);
}

/* On a line the optimal plan is monotone: sort both sets and pair them in
   order. The line y = -x keeps the points exact in float, and clusters of
   unequal sizes force long augmenting paths. */
START_TEST(matches_the_sorted_formula_on_a_line) {
    enum { N = 600 };
    float ta[N], tb[N], a[2 * N], b[2 * N];
    fill_normal(ta, N, 7, 1.0f);
    fill_normal(tb, N, 8, 0.3f);
    for (int i = 0; i < N; i++) tb[i] += i % 3 ? 2.0f : -1.0f;
    for (int i = 0; i < N; i++) a[2 * i] = ta[i], a[2 * i + 1] = -ta[i], b[2 * i] = tb[i], b[2 * i + 1] = -tb[i];
    qsort(ta, N, sizeof(float), by_value);
    qsort(tb, N, sizeof(float), by_value);
    double total = 0;
    for (int i = 0; i < N; i++) total += 2.0 * ((double)ta[i] - tb[i]) * ((double)ta[i] - tb[i]);
    double want = sqrt(total / N), got = w2_exact(a, b, N);
    ck_assert_msg(fabs(got - want) <= 1e-12 * want, "line: %.15g, sorted formula %.15g", got, want);
}
END_TEST

START_TEST(zero_for_a_permuted_copy_and_symmetric) {
    enum { N = 400 };
    float *a = alloc_normal(2 * N, 11, 2.0f), *b = alloc_normal(2 * N, 12, 1.0f), *shuffled = alloc_zeros(2 * N);
    for (int i = 0; i < N; i++) {
        int j = (int)((7 * (unsigned)i + 3) % N); /* 7 is prime to 400: a permutation */
        shuffled[2 * j] = a[2 * i], shuffled[2 * j + 1] = a[2 * i + 1];
    }
    ck_assert_double_eq(w2_exact(a, shuffled, N), 0.0);
    double ab = w2_exact(a, b, N), ba = w2_exact(b, a, N);
    ck_assert_msg(ab > 0.5 && fabs(ab - ba) <= 1e-12 * ab, "w2(a, b) = %.15g, w2(b, a) = %.15g", ab, ba);
    ck_assert_double_eq(w2_exact(a, b, 0), 0.0);
    free(a), free(b), free(shuffled);
}
END_TEST

int main(void) {
    Suite *s = suite_create("w2");
    TCase *tc = tcase_create("w2");
    tcase_add_test(tc, matches_brute_force_on_small_sets);
    tcase_add_test(tc, matches_the_sorted_formula_on_a_line);
    tcase_add_test(tc, zero_for_a_permuted_copy_and_symmetric);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
