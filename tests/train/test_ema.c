#include <math.h>
#include <stdlib.h>

#include "disco/train.h"
#include "testutil.h"

/* After exactly one half-life of samples, the old weights count half. */
START_TEST(half_life_in_samples) {
    float start = 1.0f, target = 0.0f;
    Ema *e = ema_create(&start, 1, 1000, 0);
    uint64_t seen = 0;
    for (int step = 0; step < 10; step++) {
        seen += 100;
        ema_update(e, &target, 100, seen);
    }
    ck_assert_double_eq_tol(e->weights[0], 0.5, 1e-6);
    /* The same samples in batches of 250 give the same memory. */
    float again = 1.0f;
    Ema *f = ema_create(&again, 1, 1000, 0);
    for (seen = 250; seen <= 1000; seen += 250) ema_update(f, &target, 250, seen);
    ck_assert_double_eq_tol(f->weights[0], e->weights[0], 1e-6);
    ema_destroy(e), ema_destroy(f);
}
END_TEST

/* With a ramp-up the effective half-life is ratio * samples_seen while that is shorter. */
START_TEST(rampup_shortens_the_memory) {
    float p = 0;
    Ema *e = ema_create(&p, 1, 1e6, 0.05);
    ck_assert_double_eq_tol(ema_beta(e, 64, 6400), pow(0.5, 64.0 / 320.0), 1e-12);
    ck_assert_double_eq_tol(ema_beta(e, 64, 1000000000), pow(0.5, 64.0 / 1e6), 1e-12);
    ema_destroy(e);
}
END_TEST

START_TEST(learning_rate_ramp) {
    ck_assert_double_eq(lr_at(1e-3, 0, 1000), 0.0);
    ck_assert_double_eq_tol(lr_at(1e-3, 250, 1000), 2.5e-4, 1e-15);
    ck_assert_double_eq(lr_at(1e-3, 5000, 1000), 1e-3);
    ck_assert_double_eq(lr_at(1e-3, 0, 0), 1e-3);
}
END_TEST

int main(void) {
    Suite *s = suite_create("ema");
    TCase *tc = tcase_create("ema");
    tcase_add_test(tc, half_life_in_samples);
    tcase_add_test(tc, rampup_shortens_the_memory);
    tcase_add_test(tc, learning_rate_ramp);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
