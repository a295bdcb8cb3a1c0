/* ZeRO-1 under mpirun (-np 2 and -np 4): K steps equal, bit for bit, K steps
   of an all-reduce of the gradients followed by Adam over every parameter,
   and leave the same parameters on every rank; at counts that W divides and
   that it does not (the last ranks' slices partly or wholly padding).

   Bit for bit because both sides sum the same numbers and then run the same
   elementwise Adam: the gradients are multiples of 1/8 with small
   numerators, so the sum over ranks is exact in whatever order the
   reduce-scatter and the all-reduce add, and a non-finite sum (one step has
   an infinity and a NaN) is replaced the same way on both sides.

   Usage: test_mpi_zero1 SCRATCH_DIR (unused: everything stays in memory). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/adam.h"
#include "disco/comm.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/zero1.h"
#include "mpi_suite.h"
#include "testutil.h"

enum { STEPS = 5 };
static const float LR = 1e-2f;
static Comm *comm;

static void rank_gradients(float *grads, size_t count, int step) {
    for (size_t i = 0; i < count; i++)
        grads[i] = (float)(dist_rank() + 1) * (float)((int)(((i + (size_t)step) * 7919u) % 201u) - 100) / 8;
    if (step == 1 && dist_rank() == 0) {
        grads[0] = INFINITY;
        if (count > 2) grads[count - 1] = NAN;
    }
}

START_TEST(steps_equal_allreduce_and_full_adam) {
    static const size_t counts[] = {1, 3, 8, 1003, 4097};
    int world = dist_world();
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        float *plain = alloc_normal(n, 7, 1.0f), *sharded = disco_malloc(n * sizeof(float), "ZeRO-1 parameters");
        memcpy(sharded, plain, n * sizeof(float));
        float *grads = disco_malloc(n * sizeof(float), "gradients"), *summed = disco_malloc(n * sizeof(float), "sum");
        Adam *full = adam_create(n);
        Zero1 *z = zero1_create(comm, n);
        ck_assert_uint_eq(zero1_adam(z)->n, (n + (size_t)world - 1) / (size_t)world);
        for (int step = 0; step < STEPS; step++) {
            rank_gradients(grads, n, step);
            memcpy(summed, grads, n * sizeof(float));
            comm_allreduce_sum(comm, summed, n);
            adam_step(full, plain, summed, LR);
            zero1_step(z, sharded, grads, LR);
            for (size_t i = 0; i < n; i++)
                ck_assert_msg(memcmp(&plain[i], &sharded[i], sizeof(float)) == 0,
                              "%zu parameters, step %d: [%zu] = %.9g with ZeRO-1, %.9g with full Adam", n, step, i,
                              sharded[i], plain[i]);
        }
        float *every_rank = disco_malloc((size_t)world * n * sizeof(float), "every rank's parameters");
        comm_all_gather(comm, sharded, every_rank, n);
        for (int r = 0; r < world; r++)
            ck_assert_msg(memcmp(every_rank + (size_t)r * n, sharded, n * sizeof(float)) == 0,
                          "%zu parameters: rank %d's differ from rank %d's", n, r, dist_rank());
        free(every_rank);
        zero1_destroy(z);
        adam_destroy(full);
        free(summed);
        free(grads);
        free(sharded);
        free(plain);
    }
}
END_TEST

int main(int argc, char **argv) {
    char scratch[1024];
    mpi_suite_begin(&argc, &argv, scratch, sizeof scratch);
    comm = comm_create_host();
    Suite *s = suite_create("mpi_zero1");
    TCase *tc = tcase_create("mpi_zero1");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, steps_equal_allreduce_and_full_adam);
    suite_add_tcase(s, tc);
    int result = run_suite_in_process(s);
    comm_destroy(comm);
    dist_finalize();
    return result;
}
