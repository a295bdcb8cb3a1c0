/* Gradient all-reduce under mpirun: bus bandwidth, 2 (W - 1) / W * bytes /
   time, of (a) one MPI_Allreduce of the whole buffer ("raw") and (b) the
   bucketed reducer of grad_reducer.h over the same buffer, with buckets of
   4, 25 (PyTorch DDP's default) and 64 MiB, each started as soon as a
   backward without compute reports it final (the buffer in STEPS steps from
   the top), then finished. Sizes 1 to 256 MiB; each time is the slowest
   rank's, the best of REPEATS after one warm-up; the ratio ours / raw is
   from the same run.

   Then overlap, with the default buckets: a simulated backward that
   computes (spins) in STEPS steps for as long as the raw all-reduce of its
   gradients takes. Perfect overlap would take the compute time alone; none,
   compute plus all-reduce.

   Not a test; rank 0 prints markdown tables, with the 1-minute load average.
     OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
     OMPI_MCA_rmaps_base_oversubscribe=1 mpirun -np 2 build/tests/bench_allreduce */
#include <stdio.h>
#include <stdlib.h>

#include "disco/comm.h"
#include "disco/dist.h"
#include "disco/error.h"
#include "disco/grad_reducer.h"
#include "disco/timer.h"
#include "testutil.h"

#ifdef DISCO_HAVE_MPI
#include <mpi.h>

enum { REPEATS = 8, STEPS = 32 };
#define MIB ((size_t)1 << 20)
static const size_t SIZES_MIB[] = {1, 4, 16, 64, 256};
static const size_t BUCKETS_MIB[] = {4, 25, 64};
enum { N_BUCKETS = sizeof BUCKETS_MIB / sizeof BUCKETS_MIB[0] };

typedef struct {
    Comm *comm;
    float *grads;
    size_t count;
    GradReducer *reducer;
    double compute_seconds;
} Job;

typedef void (*Run)(Job *job);

static void raw_allreduce(Job *job) {
    DISCO_CHECK(MPI_Allreduce(MPI_IN_PLACE, job->grads, (int)job->count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) ==
                    MPI_SUCCESS,
                "MPI_Allreduce of %zu floats failed", job->count);
}

static void compute_for(double seconds) {
    for (double end = time_now() + seconds; time_now() < end;) {}
}

static void compute_alone(Job *job) {
    for (int s = 0; s < STEPS; s++) compute_for(job->compute_seconds / STEPS);
}

static void compute_then_raw(Job *job) {
    compute_alone(job);
    raw_allreduce(job);
}

/* The reducer as a backward drives it: after each of STEPS steps one more
   STEPS-th of the buffer, from the top, is final. */
static void backward_with_reducer(Job *job) {
    grad_reducer_begin(job->reducer);
    for (int s = 0; s < STEPS; s++) {
        compute_for(job->compute_seconds / STEPS);
        grad_reducer_ready(job->reducer, job->count - job->count * (size_t)(s + 1) / STEPS);
    }
    grad_reducer_finish(job->reducer);
}

/* The slowest rank's time, best of REPEATS after a warm-up. */
static double best_seconds(Run run, Job *job) {
    double best = 1e30;
    for (int k = 0; k <= REPEATS; k++) {
        dist_barrier();
        double start = time_now();
        run(job);
        double slowest = (double)dist_max_int64((int64_t)((time_now() - start) * 1e9)) * 1e-9;
        if (k > 0 && slowest < best) best = slowest;
    }
    return best;
}

static double bus_gb_per_s(size_t bytes, double seconds) {
    int world = dist_world();
    return 2.0 * (world - 1) / world * (double)bytes / seconds / 1e9;
}

static void fill(Job *job) {
    /* Ones grow by a factor of W per reduction: no denormals, whose slow
       arithmetic would be timed instead of the transport. */
    for (size_t i = 0; i < job->count; i++) job->grads[i] = 1.0f;
}

static void bandwidth_table(Job *job) {
    job->compute_seconds = 0; /* the transport alone */
    if (dist_rank() == 0) {
        printf("| size | raw GB/s |");
        for (int b = 0; b < N_BUCKETS; b++) printf(" %zu MiB buckets GB/s (/ raw) |", BUCKETS_MIB[b]);
        printf(" load |\n|---:|---:|");
        for (int b = 0; b < N_BUCKETS; b++) printf("---:|");
        printf("---:|\n");
    }
    for (size_t s = 0; s < sizeof SIZES_MIB / sizeof SIZES_MIB[0]; s++) {
        size_t bytes = SIZES_MIB[s] * MIB;
        job->count = bytes / sizeof(float);
        fill(job);
        double load = load_average();
        double raw = bus_gb_per_s(bytes, best_seconds(raw_allreduce, job));
        if (dist_rank() == 0) printf("| %zu MiB | %.2f |", SIZES_MIB[s], raw);
        for (int b = 0; b < N_BUCKETS; b++) {
            fill(job);
            job->reducer = grad_reducer_create(job->comm, job->grads, job->count, BUCKETS_MIB[b] * MIB);
            double ours = bus_gb_per_s(bytes, best_seconds(backward_with_reducer, job));
            if (dist_rank() == 0) printf(" %.2f (%.2f) |", ours, ours / raw);
            grad_reducer_destroy(job->reducer);
        }
        if (dist_rank() == 0) printf(" %.2f |\n", load);
        fflush(stdout);
    }
}

static void overlap_table(Job *job) {
    if (dist_rank() == 0)
        printf("\n| size | compute ms | compute + raw all-reduce ms | compute with %zu MiB buckets ms | hidden | load |\n"
               "|---:|---:|---:|---:|---:|---:|\n",
               GRAD_REDUCER_BUCKET_BYTES / MIB);
    for (size_t s = 1; s < sizeof SIZES_MIB / sizeof SIZES_MIB[0]; s++) {
        job->count = SIZES_MIB[s] * MIB / sizeof(float);
        fill(job);
        double load = load_average();
        job->compute_seconds = best_seconds(raw_allreduce, job);
        double alone = best_seconds(compute_alone, job), serial = best_seconds(compute_then_raw, job);
        job->reducer = grad_reducer_create(job->comm, job->grads, job->count, GRAD_REDUCER_BUCKET_BYTES);
        double overlapped = best_seconds(backward_with_reducer, job);
        grad_reducer_destroy(job->reducer);
        /* The share of the all-reduce's time that the compute hid. */
        double hidden = (serial - overlapped) / (serial - alone);
        if (dist_rank() == 0)
            printf("| %zu MiB | %.1f | %.1f | %.1f | %.0f%% | %.2f |\n", SIZES_MIB[s], alone * 1e3, serial * 1e3,
                   overlapped * 1e3, 100 * hidden, load);
        fflush(stdout);
    }
}

int main(int argc, char **argv) {
    disco_tune_malloc();
    dist_init(&argc, &argv);
    if (dist_world() < 2) {
        printf("bench_allreduce measures nothing in a world of one: run it under mpirun -np 2 or more\n");
        dist_finalize();
        return 0;
    }
    size_t largest = SIZES_MIB[sizeof SIZES_MIB / sizeof SIZES_MIB[0] - 1] * MIB;
    Job job = {.comm = comm_create_host(), .grads = disco_malloc(largest, "gradients")};
    if (dist_rank() == 0)
        printf("%d ranks; bus bandwidth 2(W-1)/W * bytes / time, slowest rank, best of %d after a warm-up\n\n",
               dist_world(), REPEATS);
    bandwidth_table(&job);
    overlap_table(&job);
    comm_destroy(job.comm);
    free(job.grads);
    dist_finalize();
    return 0;
}

#else
int main(void) {
    printf("bench_allreduce needs a build with MPI\n");
    return 0;
}
#endif
