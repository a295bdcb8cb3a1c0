#include <math.h>
#include <stdlib.h>

#include "disco/rng.h"
#include "testutil.h"

/* Random123's published known-answer vectors for Philox-4x32-10. */
START_TEST(philox_known_answers) {
    static const uint32_t counters[3][4] = {
        {0, 0, 0, 0}, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
        {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
    static const uint32_t keys[3][2] = {{0, 0}, {0xffffffffu, 0xffffffffu}, {0xa4093822u, 0x299f31d0u}};
    static const uint32_t expected[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
                                            {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
                                            {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
    for (int v = 0; v < 3; v++) {
        uint32_t out[4];
        philox4x32_10(counters[v], keys[v], out);
        for (int w = 0; w < 4; w++)
            ck_assert_msg(out[w] == expected[v][w], "vector %d word %d: got %08x want %08x", v, w, out[w],
                          expected[v][w]);
    }
}
END_TEST

/* Element j of a row-structured draw equals the same element drawn alone with
   the key moved to its row: a batch split cannot change a sample's numbers. */
START_TEST(rows_are_independent_of_the_split) {
    RngKey whole = {.seed = 42, .stream = RNG_STREAM_NOISE, .step = 7, .index = 100, .row_len = 13};
    enum { ROWS = 8 };
    float all[ROWS * 13];
    rng_fill_normal(&whole, all, ROWS * 13);
    for (int r = 0; r < ROWS; r++) {
        RngKey one = whole;
        one.index = whole.index + (uint32_t)r;
        float row[13];
        rng_fill_normal(&one, row, 13);
        for (int i = 0; i < 13; i++) ck_assert_float_eq(row[i], all[r * 13 + i]);
    }
    /* A rank holding every W-th row draws those rows of the whole batch. */
    for (uint32_t world = 2; world <= 4; world++)
        for (uint32_t rank = 0; rank < world; rank++) {
            RngKey strided = whole;
            strided.index = whole.index + rank;
            strided.row_stride = world;
            float mine[ROWS * 13];
            size_t rows = (ROWS - rank + world - 1) / world;
            rng_fill_normal(&strided, mine, rows * 13);
            for (size_t k = 0; k < rows; k++)
                for (int i = 0; i < 13; i++) ck_assert_float_eq(mine[k * 13 + i], all[(rank + k * world) * 13 + i]);
        }
}
END_TEST

START_TEST(streams_and_steps_differ) {
    RngKey a = {.seed = 1, .stream = RNG_STREAM_NOISE};
    RngKey b = a, c = a, d = a;
    b.stream = RNG_STREAM_DROPOUT;
    c.step = 1;
    d.seed = 2;
    int same_b = 0, same_c = 0, same_d = 0;
    for (uint64_t j = 0; j < 256; j++) {
        same_b += rng_u32(&a, j) == rng_u32(&b, j);
        same_c += rng_u32(&a, j) == rng_u32(&c, j);
        same_d += rng_u32(&a, j) == rng_u32(&d, j);
    }
    ck_assert_int_le(same_b + same_c + same_d, 1);
}
END_TEST

/* Moments of 2^20 draws, each within about 5 standard errors. */
START_TEST(distributions_have_the_right_moments) {
    enum { N = 1 << 20 };
    float *x = malloc(N * sizeof(float));
    RngKey key = {.seed = 3, .stream = RNG_STREAM_TEST};

    rng_fill_uniform(&key, x, N);
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        sum += x[i], sum2 += (double)x[i] * x[i];
        lo = fmin(lo, x[i]), hi = fmax(hi, x[i]);
    }
    ck_assert(lo > 0 && hi < 1);
    ck_assert_double_eq_tol(sum / N, 0.5, 5 * sqrt(1.0 / 12 / N));
    ck_assert_double_eq_tol(sum2 / N - (sum / N) * (sum / N), 1.0 / 12, 0.002);

    rng_fill_normal(&key, x, N);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (int i = 0; i < N; i++) {
        double v = x[i];
        m1 += v, m2 += v * v, m3 += v * v * v, m4 += v * v * v * v;
    }
    ck_assert_double_eq_tol(m1 / N, 0.0, 5 / sqrt(N));
    ck_assert_double_eq_tol(m2 / N, 1.0, 5 * sqrt(2.0 / N));
    ck_assert_double_eq_tol(m3 / N, 0.0, 5 * sqrt(15.0 / N));
    ck_assert_double_eq_tol(m4 / N, 3.0, 5 * sqrt(96.0 / N));

    /* Gumbel(0, 1): mean is the Euler-Mascheroni constant, variance pi^2/6. */
    double g1 = 0, g2 = 0;
    for (int i = 0; i < N; i++) {
        double v = rng_gumbel(&key, (uint64_t)i);
        g1 += v, g2 += v * v;
    }
    double mean = g1 / N, var = g2 / N - mean * mean;
    ck_assert_double_eq_tol(mean, 0.5772156649, 5 * sqrt(1.645 / N));
    ck_assert_double_eq_tol(var, M_PI * M_PI / 6, 0.02);
    free(x);
}
END_TEST

/* The extreme words must stay strictly inside (0, 1), or Gumbel noise
   becomes infinite. */
START_TEST(uniform_never_reaches_zero_or_one) {
    ck_assert_float_gt(philox_to_uniform(0u), 0.0f);
    ck_assert_float_lt(philox_to_uniform(0xffffffffu), 1.0f);
    ck_assert(isfinite(-logf(-logf(philox_to_uniform(0xffffffffu)))));
    ck_assert(isfinite(-logf(-logf(philox_to_uniform(0u)))));
}
END_TEST

int main(void) {
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("philox");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, philox_known_answers);
    tcase_add_test(tc, rows_are_independent_of_the_split);
    tcase_add_test(tc, streams_and_steps_differ);
    tcase_add_test(tc, distributions_have_the_right_moments);
    tcase_add_test(tc, uniform_never_reaches_zero_or_one);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
