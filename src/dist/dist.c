/* The process group over MPI_COMM_WORLD; see include/disco/dist.h. */
#include "disco/dist.h"

#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/log.h"

#ifdef DISCO_HAVE_MPI
#include "dist_mpi.h"

static int world_rank, world_size = 1, local_rank, local_size = 1;

static void abort_every_rank(int exit_code) {
    int initialised = 0, finalised = 0;
    MPI_Initialized(&initialised);
    MPI_Finalized(&finalised);
    if (initialised && !finalised) MPI_Abort(MPI_COMM_WORLD, exit_code);
}

void dist_init(int *argc, char ***argv) {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) DISCO_CHECK(MPI_Init(argc, argv) == MPI_SUCCESS, "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_size(node, &local_size);
    MPI_Comm_free(&node);
    /* Errors in MPI calls come back as codes (checked below) rather than
       ending the job from inside MPI with a message that names no call. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    disco_set_abort_hook(abort_every_rank);
    log_set_rank(world_size > 1 ? world_rank : -1);
}

void dist_finalize(void) {
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (!finalised) MPI_Finalize();
    disco_set_abort_hook(NULL);
}

int dist_rank(void) { return world_rank; }
int dist_world(void) { return world_size; }
int dist_local_rank(void) { return local_rank; }
int dist_local_world(void) { return local_size; }

void dist_check_mpi(int code, const char *call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    DISCO_FATAL("%s failed on rank %d of %d: %s", call, world_rank, world_size, text);
}

/* A world of one needs no MPI, so library code and single-process tests
   may call these without dist_init. */
void dist_barrier(void) {
    if (world_size > 1) dist_check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void dist_allgather_int64(const int64_t *mine, int count, int64_t *all) {
    if (world_size == 1)
        memcpy(all, mine, (size_t)count * sizeof *all);
    else
        dist_check_mpi(MPI_Allgather(mine, count, MPI_INT64_T, all, count, MPI_INT64_T, MPI_COMM_WORLD),
                       "MPI_Allgather");
}

static int64_t reduce_int64(int64_t value, MPI_Op op) {
    int64_t result = value;
    if (world_size > 1)
        dist_check_mpi(MPI_Allreduce(&value, &result, 1, MPI_INT64_T, op, MPI_COMM_WORLD), "MPI_Allreduce");
    return result;
}

int64_t dist_sum_int64(int64_t value) { return reduce_int64(value, MPI_SUM); }
int64_t dist_max_int64(int64_t value) { return reduce_int64(value, MPI_MAX); }

double dist_sum_double(double value) {
    double sum = value;
    if (world_size > 1)
        dist_check_mpi(MPI_Allreduce(&value, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    return sum;
}

void dist_broadcast(void *bytes, size_t size, int root) {
    DISCO_CHECK(size <= INT32_MAX, "dist_broadcast: %zu bytes is more than one MPI_Bcast carries", size);
    if (world_size > 1) dist_check_mpi(MPI_Bcast(bytes, (int)size, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

#else /* one process */

void dist_init(int *argc, char ***argv) {}
void dist_finalize(void) {}
int dist_rank(void) { return 0; }
int dist_world(void) { return 1; }
int dist_local_rank(void) { return 0; }
int dist_local_world(void) { return 1; }
void dist_barrier(void) {}
void dist_allgather_int64(const int64_t *mine, int count, int64_t *all) {
    memcpy(all, mine, (size_t)count * sizeof *all);
}
int64_t dist_sum_int64(int64_t value) { return value; }
int64_t dist_max_int64(int64_t value) { return value; }
double dist_sum_double(double value) { return value; }
void dist_broadcast(void *bytes, size_t size, int root) {}

#endif
