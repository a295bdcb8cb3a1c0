/* Errors, arenas, tensors, logging and progress. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disco/arena.h"
#include "disco/error.h"
#include "disco/log.h"
#include "disco/progress.h"
#include "disco/tensor.h"
#include "testutil.h"

START_TEST(arena_aligns_and_counts) {
    Arena a;
    arena_init(&a, 4096, "test arena");
    char *p = arena_alloc(&a, 10, "first");
    char *q = arena_alloc(&a, 300, "second");
    ck_assert_uint_eq((uintptr_t)p % ARENA_ALIGN, 0);
    ck_assert_uint_eq((uintptr_t)q % ARENA_ALIGN, 0);
    ck_assert_ptr_eq(q, p + ARENA_ALIGN);
    ck_assert_uint_eq(a.used, 3 * ARENA_ALIGN);
    arena_reset(&a);
    ck_assert_ptr_eq(arena_alloc(&a, 1, "again"), p);
    arena_release(&a);
}
END_TEST

/* A full arena must stop the program with a message, never hand out memory. */
START_TEST(full_arena_is_fatal) {
    Arena a;
    arena_init(&a, 512, "small arena");
    arena_alloc(&a, 400, "fits");
    arena_alloc(&a, 400, "does not fit");
}
END_TEST

static void exit_with_seven(int code) {
    (void)code;
    _exit(7);
}

/* The abort hook is the one path every fatal error takes (MPI_Abort later). */
START_TEST(fatal_calls_the_abort_hook) {
    disco_set_abort_hook(exit_with_seven);
    DISCO_CHECK(1 + 1 == 3, "arithmetic is broken: %d", 2);
}
END_TEST

START_TEST(tensor_shapes) {
    float data[8 * 16 * 16 * 3];
    Tensor t = tensor_view(data, DTYPE_F32, DEVICE_CPU, 4, (int[]){8, 16, 16, 3});
    ck_assert_uint_eq(tensor_numel(&t), 8 * 16 * 16 * 3);
    ck_assert_uint_eq(tensor_bytes(&t), sizeof data);
    char buf[64];
    ck_assert_str_eq(tensor_shape_string(&t, buf, sizeof buf), "[8, 16, 16, 3]");
    ck_assert_uint_eq(dtype_size(DTYPE_BF16), 2);
    ck_assert_str_eq(dtype_name(DTYPE_I32), "i32");
}
END_TEST

START_TEST(zero_dimension_is_fatal) {
    tensor_view(NULL, DTYPE_F32, DEVICE_CPU, 2, (int[]){3, 0});
}
END_TEST

START_TEST(log_levels) {
    ck_assert_int_eq(log_level_from_name("debug"), LOG_DEBUG);
    ck_assert_int_eq(log_level_from_name("warn"), LOG_WARN);
    ck_assert_int_eq(log_level_from_name("loud"), -1);
}
END_TEST

/* Written to a file, progress prints whole lines with a rate, not a live bar. */
START_TEST(progress_plain_lines) {
    FILE *f = tmpfile();
    Progress p;
    progress_begin(&p, f, "train", "img", 1000);
    ck_assert(!p.live);
    p.print_interval = 0;
    progress_update(&p, 250, "loss 0.5");
    progress_end(&p, NULL);
    rewind(f);
    char line[256];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_ptr_nonnull(strstr(line, "train 250/1000 (25%)"));
    ck_assert_ptr_nonnull(strstr(line, "img/s"));
    ck_assert_ptr_nonnull(strstr(line, "loss 0.5"));
    ck_assert_ptr_null(strchr(line, '\r'));
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_ptr_nonnull(strstr(line, "took"));
    fclose(f);
}
END_TEST

int main(void) {
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, arena_aligns_and_counts);
    tcase_add_exit_test(tc, full_arena_is_fatal, EXIT_FAILURE);
    tcase_add_exit_test(tc, fatal_calls_the_abort_hook, 7);
    tcase_add_test(tc, tensor_shapes);
    tcase_add_exit_test(tc, zero_dimension_is_fatal, EXIT_FAILURE);
    tcase_add_test(tc, log_levels);
    tcase_add_test(tc, progress_plain_lines);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
