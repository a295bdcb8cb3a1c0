/* Seed lists in EDM's syntax and their batches of consecutive seeds; bad
   lists are refused with the field and the part named. */
#include <stdlib.h>

#include "disco/seeds.h"
#include "fatal_check.h"
#include "testutil.h"

static void assert_list(const char *text, const uint32_t *want, int64_t count) {
    SeedList s = seeds_parse(text, "sample.seeds");
    ck_assert_int_eq(s.count, count);
    for (int64_t i = 0; i < count; i++) ck_assert_uint_eq(s.seeds[i], want[i]);
    seeds_free(&s);
}

START_TEST(parses_seeds_and_ranges) {
    assert_list("0-3", (uint32_t[]){0, 1, 2, 3}, 4);
    assert_list("7", (uint32_t[]){7}, 1);
    assert_list("0,5,9-12", (uint32_t[]){0, 5, 9, 10, 11, 12}, 6);
    assert_list(" 20 - 21 , 3", (uint32_t[]){20, 21, 3}, 3); /* order kept */
    assert_list("4294967294-4294967295", (uint32_t[]){4294967294u, 4294967295u}, 2);
    SeedList big = seeds_parse("0-49999", "sample.seeds");
    ck_assert_int_eq(big.count, 50000);
    ck_assert_uint_eq(big.seeds[49999], 49999);
    seeds_free(&big);
}
END_TEST

START_TEST(batches_are_runs_of_consecutive_seeds) {
    SeedList s = seeds_parse("0-9,20,21,30,11,12", "sample.seeds");
    SeedBatch *b;
    int64_t n = seeds_batches(s.seeds, s.count, 4, &b);
    /* 0-3, 4-7, 8-9, 20-21, 30, 11-12: a run is cut at the batch size and
       wherever the next seed is not the last one plus 1. */
    const SeedBatch want[] = {{0, 4}, {4, 4}, {8, 2}, {10, 2}, {12, 1}, {13, 2}};
    ck_assert_int_eq(n, 6);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(b[i].first, want[i].first);
        ck_assert_int_eq(b[i].count, want[i].count);
        for (int j = 1; j < b[i].count; j++) ck_assert_uint_eq(s.seeds[b[i].first + j], s.seeds[b[i].first] + j);
    }
    free(b);
    seeds_free(&s);
    /* The largest seed does not wrap around to 0. */
    n = seeds_batches((uint32_t[]){4294967295u, 0}, 2, 4, &b);
    ck_assert_int_eq(n, 2);
    free(b);
}
END_TEST

START_TEST(syntax_error_is_fatal) {
    expect_fatal_mentioning("sample.seeds", "0-x", NULL);
    seeds_parse("0-x", "sample.seeds");
}
END_TEST

START_TEST(empty_list_is_fatal) {
    expect_fatal_mentioning("sample.seeds", NULL, NULL);
    seeds_parse("", "sample.seeds");
}
END_TEST

START_TEST(backward_range_is_fatal) {
    expect_fatal_mentioning("sample.seeds", "9-3", "backwards");
    seeds_parse("9-3", "sample.seeds");
}
END_TEST

START_TEST(repeated_seed_is_fatal) {
    expect_fatal_mentioning("sample.seeds", "seed 5", "twice");
    seeds_parse("0-9,5", "sample.seeds");
}
END_TEST

START_TEST(seed_beyond_32_bits_is_fatal) {
    expect_fatal_mentioning("sample.seeds", "4294967296", NULL);
    seeds_parse("4294967296", "sample.seeds");
}
END_TEST

int main(void) {
    scratch_create();
    Suite *s = suite_create("seeds");
    TCase *tc = tcase_create("seeds");
    tcase_add_test(tc, parses_seeds_and_ranges);
    tcase_add_test(tc, batches_are_runs_of_consecutive_seeds);
    tcase_add_exit_test(tc, syntax_error_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, empty_list_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, backward_range_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, repeated_seed_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, seed_beyond_32_bits_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    int result = run_suite(s);
    scratch_remove();
    return result;
}
