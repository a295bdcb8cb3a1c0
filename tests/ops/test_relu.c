#include <math.h>
#include <stdlib.h>

#include "disco/backend.h"
#include "testutil.h"

/* Sizes on both sides of the one-thread cutoff (PARALLEL_MIN_FLOATS = 32K). */
START_TEST(keeps_positives_zeroes_negatives) {
    size_t sizes[] = {1, 7, 40000};
    for (int k = 0; k < 3; k++) {
        size_t n = sizes[k];
        float *x = alloc_normal(n, (uint32_t)k, 3.0f), *y = alloc_normal(n, 9, 1.0f);
        backend_cpu()->ops->relu_forward(backend_cpu(), y, x, n);
        for (size_t i = 0; i < n; i++) ck_assert_float_eq(y[i], x[i] > 0 ? x[i] : 0.0f);
        free(x), free(y);
    }
}
END_TEST

/* A NaN must reach the features, where it is seen, rather than become 0. */
START_TEST(nan_passes_through) {
    float x[3] = {NAN, -INFINITY, INFINITY}, y[3];
    backend_cpu()->ops->relu_forward(backend_cpu(), y, x, 3);
    ck_assert(isnan(y[0]));
    ck_assert_float_eq(y[1], 0.0f);
    ck_assert(isinf(y[2]) && y[2] > 0);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("relu");
    TCase *tc = tcase_create("cpu");
    tcase_add_test(tc, keeps_positives_zeroes_negatives);
    tcase_add_test(tc, nan_passes_through);
    suite_add_tcase(suite, tc);
    return run_suite(suite);
}
