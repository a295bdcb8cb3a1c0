#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disco/backend.h"
#include "testutil.h"

typedef struct {
    int rows, vocab, dim;
    int32_t *idx;
    float *table, *dtable, *y, *dy;
} Embedding;

/* Indices cycle with a stride that makes rows repeat when rows > vocab. */
static Embedding embedding_create(int rows, int vocab, int dim) {
    Embedding e = {.rows = rows, .vocab = vocab, .dim = dim};
    e.idx = malloc((size_t)rows * sizeof(int32_t));
    for (int r = 0; r < rows; r++) e.idx[r] = (r * 7 + 3) % vocab;
    e.table = alloc_normal((size_t)vocab * dim, 1, 1.0f);
    e.dtable = alloc_zeros((size_t)vocab * dim);
    e.y = alloc_zeros((size_t)rows * dim);
    e.dy = alloc_zeros((size_t)rows * dim);
    return e;
}

static void embedding_free(Embedding *e) { free(e->idx), free(e->table), free(e->dtable), free(e->y), free(e->dy); }

static void embedding_forward(void *ctx) {
    Embedding *e = ctx;
    Backend *be = backend_cpu();
    be->ops->embedding_forward(be, e->y, e->idx, e->table, e->rows, e->vocab, e->dim);
}

static void embedding_backward(void *ctx) {
    Embedding *e = ctx;
    Backend *be = backend_cpu();
    be->ops->embedding_backward(be, e->dtable, e->dy, e->idx, e->rows, e->vocab, e->dim);
}

static const int shapes[][3] = {{1, 1, 1}, {5, 3, 7}, {12, 5, 4}, {33, 101, 9}}; /* rows, vocab, dim */
enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };

START_TEST(forward_copies_table_rows) {
    Embedding e = embedding_create(shapes[_i][0], shapes[_i][1], shapes[_i][2]);
    embedding_forward(&e);
    for (int r = 0; r < e.rows; r++)
        for (int d = 0; d < e.dim; d++)
            ck_assert_float_eq(e.y[(size_t)r * e.dim + d], e.table[(size_t)e.idx[r] * e.dim + d]);
    embedding_free(&e);
}
END_TEST

/* Repeated indices must add up in dtable, on top of what it already holds. */
START_TEST(backward_matches_finite_differences) {
    Embedding e = embedding_create(shapes[_i][0], shapes[_i][1], shapes[_i][2]);
    GradInput table = {"table", e.table, e.dtable, (size_t)e.vocab * e.dim, true};
    GradCheck gc = {.ctx = &e,
                    .forward = embedding_forward,
                    .backward = embedding_backward,
                    .out = e.y,
                    .dout = e.dy,
                    .n_out = (size_t)e.rows * e.dim,
                    .inputs = &table,
                    .n_inputs = 1};
    gradcheck_run(&gc);
    embedding_free(&e);
}
END_TEST

/* Runs the forward on `bad` at row 3 in a child process; returns its exit
   status and what it wrote to stderr. */
static int forward_in_child(int32_t bad, char *message, size_t size) {
    int pipe_fds[2];
    ck_assert_int_eq(pipe(pipe_fds), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        dup2(pipe_fds[1], STDERR_FILENO);
        close(pipe_fds[0]);
        int32_t idx[5] = {0, 1, 2, bad, 1};
        float table[4 * 2] = {0}, y[5 * 2];
        Backend *be = backend_cpu();
        be->ops->embedding_forward(be, y, idx, table, 5, 4, 2);
        _exit(0);
    }
    close(pipe_fds[1]);
    size_t used = 0;
    ssize_t got;
    while (used + 1 < size && (got = read(pipe_fds[0], message + used, size - 1 - used)) > 0) used += (size_t)got;
    message[used] = '\0';
    close(pipe_fds[0]);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(out_of_range_index_is_fatal_and_named) {
    const int32_t bad_values[] = {4, -1, 1000000};
    for (int v = 0; v < 3; v++) {
        char message[1024], want[64];
        int status = forward_in_child(bad_values[v], message, sizeof message);
        ck_assert_msg(status == EXIT_FAILURE, "index %d: the forward exited with %d, not EXIT_FAILURE", bad_values[v],
                      status);
        snprintf(want, sizeof want, "row 3 has index %d", bad_values[v]);
        ck_assert_msg(strstr(message, want), "index %d: error message \"%s\" does not contain \"%s\"", bad_values[v],
                      message, want);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("embedding");
    TCase *tc = tcase_create("cpu");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, forward_copies_table_rows, 0, N_SHAPES);
    tcase_add_loop_test(tc, backward_matches_finite_differences, 0, N_SHAPES);
    tcase_add_test(tc, out_of_range_index_is_fatal_and_named);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
