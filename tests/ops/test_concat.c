#include <stdlib.h>
#include <string.h>

#include "disco/backend.h"
#include "disco/error.h"
#include "testutil.h"

/* {rows, ca, cb} */
static const int shapes[][3] = {{1, 3, 5}, {5, 1, 1}, {5, 4, 9}, {2, 6, 2}};
#define N_SHAPES (int)(sizeof shapes / sizeof shapes[0])

typedef struct {
    Backend *be;
    int rows, ca, cb;
    float *a, *b, *y, *da, *db, *dy;
} ConcatCase;

static ConcatCase make_case(const int shape[3], uint32_t tag) {
    ConcatCase c = {.be = backend_cpu(), .rows = shape[0], .ca = shape[1], .cb = shape[2]};
    size_t na = (size_t)c.rows * c.ca, nb = (size_t)c.rows * c.cb;
    c.a = alloc_normal(na, tag, 1.0f), c.b = alloc_normal(nb, tag + 1, 1.0f), c.y = alloc_zeros(na + nb);
    c.da = alloc_zeros(na), c.db = alloc_zeros(nb), c.dy = alloc_zeros(na + nb);
    return c;
}

static void free_case(ConcatCase *c) { free(c->a), free(c->b), free(c->y), free(c->da), free(c->db), free(c->dy); }

static void concat_forward(void *ctx) {
    ConcatCase *c = ctx;
    c->be->ops->concat_forward(c->be, c->y, c->a, c->b, c->rows, c->ca, c->cb);
}

static void concat_backward(void *ctx) {
    ConcatCase *c = ctx;
    c->be->ops->concat_backward(c->be, c->da, c->db, c->dy, c->rows, c->ca, c->cb);
}

/* Each output row is a's row then b's row, and splitting it at ca gives a and b back bit for bit. */
START_TEST(forward_lays_out_rows_and_splits_back) {
    for (int k = 0; k < N_SHAPES; k++) {
        ConcatCase c = make_case(shapes[k], 10 + 2 * k);
        int width = c.ca + c.cb;
        concat_forward(&c);
        for (int r = 0; r < c.rows; r++)
            for (int j = 0; j < width; j++) {
                float want = j < c.ca ? c.a[r * c.ca + j] : c.b[r * c.cb + j - c.ca];
                ck_assert_float_eq(c.y[r * width + j], want);
            }
        float *a_back = alloc_zeros((size_t)c.rows * c.ca), *b_back = alloc_zeros((size_t)c.rows * c.cb);
        c.be->ops->split_forward(c.be, a_back, c.y, c.rows, width, 0, c.ca);
        c.be->ops->split_forward(c.be, b_back, c.y, c.rows, width, c.ca, c.cb);
        ck_assert(memcmp(a_back, c.a, sizeof(float) * c.rows * c.ca) == 0);
        ck_assert(memcmp(b_back, c.b, sizeof(float) * c.rows * c.cb) == 0);
        free(a_back), free(b_back);
        free_case(&c);
    }
}
END_TEST

START_TEST(backward_matches_finite_differences) {
    for (int k = 0; k < N_SHAPES; k++) {
        ConcatCase c = make_case(shapes[k], 100 + 2 * k);
        size_t na = (size_t)c.rows * c.ca, nb = (size_t)c.rows * c.cb;
        GradInput inputs[] = {{"a", c.a, c.da, na, false}, {"b", c.b, c.db, nb, false}};
        GradCheck gc = {.ctx = &c, .forward = concat_forward, .backward = concat_backward, .out = c.y, .dout = c.dy,
                        .n_out = na + nb, .inputs = inputs, .n_inputs = 2};
        gradcheck_run(&gc);
        free_case(&c);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("concat");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forward_lays_out_rows_and_splits_back);
    tcase_add_test(tc, backward_matches_finite_differences);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
