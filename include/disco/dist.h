/* The process group: MPI ranks when the build has MPI, else one process.
 *
 * Every rank of a job calls dist_init first. It installs MPI_Abort as the
 * abort hook (error.h), so a fatal error on any rank ends every rank instead
 * of leaving the others waiting in a collective: distributed runs never hang
 * on one rank's error. Without mpirun a program runs as a world of one (MPI
 * singleton), and a build without MPI behaves the same way. */
#ifndef DISCO_DIST_H
#define DISCO_DIST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void dist_init(int *argc, char ***argv);
void dist_finalize(void);
int dist_rank(void);
int dist_world(void);
/* The rank among the processes on this node (MPI_Comm_split_type shared
   memory), and how many there are: a rank drives CUDA device local_rank. */
int dist_local_rank(void);
int dist_local_world(void);
void dist_barrier(void);
/* Every rank's `count` values, rank 0's first, into all[world * count] on every rank. */
void dist_allgather_int64(const int64_t *mine, int count, int64_t *all);
int64_t dist_sum_int64(int64_t value);
int64_t dist_max_int64(int64_t value);
double dist_sum_double(double value);
/* Rank root's bytes into every rank's buffer. */
void dist_broadcast(void *bytes, size_t size, int root);

#ifdef __cplusplus
}
#endif

#endif
