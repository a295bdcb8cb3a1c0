/* Collectives over host buffers (include/disco/comm.h): MPI when the world
   has more than one rank, plain copies in a world of one (a build without
   MPI, a program started without mpirun, or mpirun -np 1). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "comm_internal.h"
#include "disco/dist.h"
#include "disco/error.h"

/* ---- a world of one: the sum over ranks is this rank's data ---- */

static void solo_destroy(Comm *c) { free(c); }
static void solo_in_place(Comm *c, float *buffer, size_t count) {}
/* memmove: an in-place all-gather passes send == receive. */
static void solo_copy(Comm *c, const float *send, float *receive, size_t count) {
    memmove(receive, send, count * sizeof *receive);
}
static void solo_broadcast(Comm *c, float *buffer, size_t count, int root) {}
static void solo_wait_all(Comm *c) {}

static const CommOps solo_ops = {
    .on_device = false,
    .destroy = solo_destroy,
    .allreduce_sum = solo_in_place,
    .reduce_scatter_sum = solo_copy,
    .all_gather = solo_copy,
    .broadcast = solo_broadcast,
    .allreduce_sum_start = solo_in_place,
    .wait_all = solo_wait_all,
};

#ifdef DISCO_HAVE_MPI
#include "dist_mpi.h"

typedef struct {
    Comm base;
    MPI_Comm mpi;
    size_t max_piece;      /* floats per MPI call: MPI counts are int */
    MPI_Request *requests; /* one per piece of each started reduction */
    MPI_Status *statuses;  /* where Waitall says which piece failed */
    int n_requests, capacity;
} MpiComm;

static MpiComm *mpi_of(Comm *c) { return (MpiComm *)c; }

static int piece(const MpiComm *m, size_t left) { return (int)(left < m->max_piece ? left : m->max_piece); }

static void mpi_allreduce_sum(Comm *c, float *buffer, size_t count) {
    MpiComm *m = mpi_of(c);
    for (size_t done = 0; done < count;) {
        int n = piece(m, count - done);
        dist_check_mpi(MPI_Allreduce(MPI_IN_PLACE, buffer + done, n, MPI_FLOAT, MPI_SUM, m->mpi), "MPI_Allreduce");
        done += (size_t)n;
    }
}

static void mpi_reduce_scatter_sum(Comm *c, const float *send, float *receive, size_t count) {
    MpiComm *m = mpi_of(c);
    if (count <= m->max_piece) {
        dist_check_mpi(MPI_Reduce_scatter_block(send, receive, (int)count, MPI_FLOAT, MPI_SUM, m->mpi),
                       "MPI_Reduce_scatter_block");
        return;
    }
    /* A piece of every rank's part is not one run of floats, and Open MPI
       refuses MPI_SUM on a strided datatype: each piece goes to its owner. */
    for (size_t done = 0; done < count;) {
        int n = piece(m, count - done);
        for (int owner = 0; owner < c->world; owner++)
            dist_check_mpi(MPI_Reduce(send + (size_t)owner * count + done, owner == c->rank ? receive + done : NULL,
                                      n, MPI_FLOAT, MPI_SUM, owner, m->mpi),
                           "MPI_Reduce");
        done += (size_t)n;
    }
}

/* One piece of every rank's part, rank r's lying r * count floats after
   rank 0's. A piece that is the whole part is plain floats. A smaller one
   is one element of n floats whose extent is `count` floats, so that the
   W elements of the receive buffer stride from part to part. */
typedef struct {
    MPI_Datatype type;
    int count;
} RankParts;

static RankParts rank_parts(int n, size_t count) {
    if ((size_t)n == count) return (RankParts){MPI_FLOAT, n};
    MPI_Datatype run, strided;
    dist_check_mpi(MPI_Type_contiguous(n, MPI_FLOAT, &run), "MPI_Type_contiguous");
    dist_check_mpi(MPI_Type_create_resized(run, 0, (MPI_Aint)(count * sizeof(float)), &strided),
                   "MPI_Type_create_resized");
    dist_check_mpi(MPI_Type_free(&run), "MPI_Type_free");
    dist_check_mpi(MPI_Type_commit(&strided), "MPI_Type_commit");
    return (RankParts){strided, 1};
}

static void rank_parts_free(RankParts *p) {
    if (p->type != MPI_FLOAT) dist_check_mpi(MPI_Type_free(&p->type), "MPI_Type_free");
}

static void mpi_all_gather(Comm *c, const float *send, float *receive, size_t count) {
    MpiComm *m = mpi_of(c);
    bool in_place = send == receive + (size_t)c->rank * count;
    for (size_t done = 0; done < count;) {
        int n = piece(m, count - done);
        RankParts parts = rank_parts(n, count);
        dist_check_mpi(MPI_Allgather(in_place ? MPI_IN_PLACE : send + done, n, MPI_FLOAT, receive + done, parts.count,
                                     parts.type, m->mpi),
                       "MPI_Allgather");
        rank_parts_free(&parts);
        done += (size_t)n;
    }
}

static void mpi_broadcast(Comm *c, float *buffer, size_t count, int root) {
    MpiComm *m = mpi_of(c);
    for (size_t done = 0; done < count;) {
        int n = piece(m, count - done);
        dist_check_mpi(MPI_Bcast(buffer + done, n, MPI_FLOAT, root, m->mpi), "MPI_Bcast");
        done += (size_t)n;
    }
}

/* Grows only until the largest set of pending reductions has been seen
   once, so training steps after the first allocate nothing. */
static MPI_Request *new_request(MpiComm *m) {
    if (m->n_requests == m->capacity) {
        m->capacity = m->capacity ? 2 * m->capacity : 64;
        m->requests = realloc(m->requests, (size_t)m->capacity * sizeof *m->requests);
        m->statuses = realloc(m->statuses, (size_t)m->capacity * sizeof *m->statuses);
        DISCO_CHECK(m->requests && m->statuses, "out of memory for %d pending MPI requests", m->capacity);
    }
    return &m->requests[m->n_requests++];
}

static void mpi_allreduce_sum_start(Comm *c, float *buffer, size_t count) {
    MpiComm *m = mpi_of(c);
    for (size_t done = 0; done < count;) {
        int n = piece(m, count - done);
        dist_check_mpi(MPI_Iallreduce(MPI_IN_PLACE, buffer + done, n, MPI_FLOAT, MPI_SUM, m->mpi, new_request(m)),
                       "MPI_Iallreduce");
        done += (size_t)n;
    }
}

/* Waitall reports a failed request as MPI_ERR_IN_STATUS; its own code,
   which says what went wrong, is in its status. */
static void check_requests(MpiComm *m, int code, const char *call) {
    for (int i = 0; code == MPI_ERR_IN_STATUS && i < m->n_requests; i++) {
        int error = m->statuses[i].MPI_ERROR;
        if (error != MPI_SUCCESS && error != MPI_ERR_PENDING) code = error;
    }
    dist_check_mpi(code, call);
}

static void mpi_wait_all(Comm *c) {
    MpiComm *m = mpi_of(c);
    check_requests(m, MPI_Waitall(m->n_requests, m->requests, m->statuses), "MPI_Waitall");
    m->n_requests = 0;
}

static void mpi_destroy(Comm *c) {
    MpiComm *m = mpi_of(c);
    dist_check_mpi(MPI_Comm_free(&m->mpi), "MPI_Comm_free");
    free(m->requests);
    free(m->statuses);
    free(m);
}

static const CommOps mpi_ops = {
    .on_device = false,
    .destroy = mpi_destroy,
    .allreduce_sum = mpi_allreduce_sum,
    .reduce_scatter_sum = mpi_reduce_scatter_sum,
    .all_gather = mpi_all_gather,
    .broadcast = mpi_broadcast,
    .allreduce_sum_start = mpi_allreduce_sum_start,
    .wait_all = mpi_wait_all,
};

/* Open MPI's non-blocking all-reduce (libnbc) takes a binomial tree when
   the reduction is in place or the world has fewer than 4 ranks: a reduce,
   then a broadcast, so every byte crosses twice, one after the other. Its
   ring, like the blocking MPI_Allreduce, moves 2(W-1)/W of the bytes per
   rank; on 2 ranks here it took bucketed reductions from 0.4-0.7 of the
   blocking call's bus bandwidth to 1.0-1.1 (docs/benchmarks.md). Chosen
   through the MPI tool interface unless the user chose an algorithm; other
   MPIs have no such variable and keep their own choice. */
static void prefer_ring_iallreduce(void) {
    int provided, index, elements, algorithm = 0;
    dist_check_mpi(MPI_T_init_thread(MPI_THREAD_SINGLE, &provided), "MPI_T_init_thread");
    if (MPI_T_cvar_get_index("coll_libnbc_iallreduce_algorithm", &index) == MPI_SUCCESS) {
        MPI_T_cvar_handle handle;
        dist_check_mpi(MPI_T_cvar_handle_alloc(index, NULL, &handle, &elements),
                       "MPI_T_cvar_handle_alloc (coll_libnbc_iallreduce_algorithm)");
        dist_check_mpi(MPI_T_cvar_read(handle, &algorithm), "MPI_T_cvar_read (coll_libnbc_iallreduce_algorithm)");
        const int ignore = 0, ring = 1;
        if (algorithm == ignore)
            dist_check_mpi(MPI_T_cvar_write(handle, &ring), "MPI_T_cvar_write (coll_libnbc_iallreduce_algorithm)");
        dist_check_mpi(MPI_T_cvar_handle_free(&handle), "MPI_T_cvar_handle_free");
    }
    dist_check_mpi(MPI_T_finalize(), "MPI_T_finalize");
}

static Comm *create_mpi(size_t max_piece) {
    MpiComm *m = disco_calloc(1, sizeof *m, "MPI comm");
    m->base = (Comm){.ops = &mpi_ops, .rank = dist_rank(), .world = dist_world()};
    m->max_piece = max_piece;
    /* A communicator of its own: its collectives, some in flight across
       other calls, never match another library's on MPI_COMM_WORLD. Its
       errors come back as codes, checked at every call. */
    dist_check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &m->mpi), "MPI_Comm_dup");
    dist_check_mpi(MPI_Comm_set_errhandler(m->mpi, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    prefer_ring_iallreduce();
    return &m->base;
}
#endif

Comm *comm_create_host_split(size_t max_piece) {
    DISCO_CHECK(max_piece >= 1 && max_piece <= INT_MAX, "comm_create_host_split: %zu floats per MPI call", max_piece);
#ifdef DISCO_HAVE_MPI
    if (dist_world() > 1) return create_mpi(max_piece);
#endif
    Comm *c = disco_calloc(1, sizeof *c, "comm (world of one)");
    *c = (Comm){.ops = &solo_ops, .rank = 0, .world = 1};
    return c;
}

Comm *comm_create_host(void) { return comm_create_host_split(INT_MAX); }
