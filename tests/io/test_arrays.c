#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disco/arrays.h"
#include "testutil.h"

START_TEST(round_trip) {
    char path[] = "/tmp/disco_arrays_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    float points[6] = {1, 2, 3, 4, 5, 6.5f};
    int32_t labels[3] = {7, -1, 2};
    NamedArray arrays[2] = {{"points", DTYPE_F32, 2, {3, 2}, points}, {"labels", DTYPE_I32, 1, {3}, labels}};
    arrays_save(path, arrays, 2);
    int shape[2];
    float *p = arrays_load(path, "points", DTYPE_F32, 2, shape);
    ck_assert_int_eq(shape[0], 3);
    ck_assert_int_eq(shape[1], 2);
    ck_assert_mem_eq(p, points, sizeof points);
    int32_t *l = arrays_load(path, "labels", DTYPE_I32, 1, shape);
    ck_assert_int_eq(shape[0], 3);
    ck_assert_mem_eq(l, labels, sizeof labels);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    free(p), free(l);
    unlink(path);
}
END_TEST

START_TEST(missing_array_is_fatal) {
    char path[] = "/tmp/disco_arrays_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    int32_t one = 1;
    NamedArray a = {"one", DTYPE_I32, 1, {1}, &one};
    arrays_save(path, &a, 1);
    int shape[1];
    arrays_load(path, "two", DTYPE_I32, 1, shape);
}
END_TEST

int main(void) {
    Suite *s = suite_create("arrays");
    TCase *tc = tcase_create("arrays");
    tcase_add_test(tc, round_trip);
    tcase_add_exit_test(tc, missing_array_is_fatal, EXIT_FAILURE);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
