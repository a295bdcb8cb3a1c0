#include <stdlib.h>
#include <string.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

/* {rows, channels, offset, count}: a middle slice, the whole row, the last column. */
static const int shapes[][4] = {{1, 6, 2, 3}, {5, 7, 0, 7}, {5, 7, 6, 1}, {3, 9, 4, 4}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

typedef struct {
    Backend *be;
    int rows, channels, offset, count;
    float *x, *y, *dx, *dy;
} SplitCase;

static SplitCase make_case(const int shape[4], uint32_t tag) {
    SplitCase s = {.be = backend_cpu(), .rows = shape[0], .channels = shape[1], .offset = shape[2], .count = shape[3]};
    size_t nx = (size_t)s.rows * s.channels, ny = (size_t)s.rows * s.count;
    s.x = alloc_normal(nx, tag, 1.0f), s.dx = alloc_zeros(nx), s.y = alloc_zeros(ny), s.dy = alloc_zeros(ny);
    return s;
}

static void free_case(SplitCase *s) { free(s->x), free(s->y), free(s->dx), free(s->dy); }

static void split_forward(void *ctx) {
    SplitCase *s = ctx;
    s->be->ops->split_forward(s->be, s->y, s->x, s->rows, s->channels, s->offset, s->count);
}

static void split_backward(void *ctx) {
    SplitCase *s = ctx;
    s->be->ops->split_backward(s->be, s->dx, s->dy, s->rows, s->channels, s->offset, s->count);
}

START_TEST(forward_takes_the_columns) {
    for (int k = 0; k < N_SHAPES; k++) {
        SplitCase s = make_case(shapes[k], 10 + k);
        split_forward(&s);
        for (int r = 0; r < s.rows; r++)
            for (int j = 0; j < s.count; j++)
                ck_assert_float_eq(s.y[r * s.count + j], s.x[r * s.channels + s.offset + j]);
        free_case(&s);
    }
}
END_TEST

/* Splitting a row in two and concatenating the halves gives it back bit for bit. */
START_TEST(halves_concatenate_back) {
    enum { ROWS = 5, C = 7, LEFT = 3 };
    Backend *be = backend_cpu();
    float *x = alloc_normal(ROWS * C, 20, 1.0f), *left = alloc_zeros(ROWS * LEFT);
    float *right = alloc_zeros(ROWS * (C - LEFT)), *back = alloc_zeros(ROWS * C);
    be->ops->split_forward(be, left, x, ROWS, C, 0, LEFT);
    be->ops->split_forward(be, right, x, ROWS, C, LEFT, C - LEFT);
    be->ops->concat_forward(be, back, left, right, ROWS, LEFT, C - LEFT);
    ck_assert(memcmp(back, x, sizeof(float) * ROWS * C) == 0);
    free(x), free(left), free(right), free(back);
}
END_TEST

/* The checker fills dx with garbage first, so columns outside the slice must be written as zeros. */
START_TEST(backward_matches_finite_differences) {
    for (int k = 0; k < N_SHAPES; k++) {
        SplitCase s = make_case(shapes[k], 100 + k);
        GradInput input = {"x", s.x, s.dx, (size_t)s.rows * s.channels, false};
        GradCheck gc = {.ctx = &s, .forward = split_forward, .backward = split_backward, .out = s.y, .dout = s.dy,
                        .n_out = (size_t)s.rows * s.count, .inputs = &input, .n_inputs = 1, .max_probes = 1000};
        gradcheck_run(&gc);
        free_case(&s);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("split");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forward_takes_the_columns);
    tcase_add_test(tc, halves_concatenate_back);
    tcase_add_test(tc, backward_matches_finite_differences);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
