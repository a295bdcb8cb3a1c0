/* What every suite run under mpirun shares.
 *
 * The ranks run the same tests in one process each (check's no-fork mode:
 * MPI does not survive a fork), so a failed assertion on one rank would
 * leave the others waiting in a collective until a timeout. Here a failed
 * check assertion ends the whole job at once instead: it is reported with
 * the rank, file, line and message through the fatal-error path, whose
 * abort hook is MPI_Abort (dist.h).
 *
 * Include this after check.h (testutil.h) in MPI suites only. */
#ifndef DISCO_MPI_SUITE_H
#define DISCO_MPI_SUITE_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "disco/dist.h"
#include "disco/error.h"
#include "testutil.h"

static inline void mpi_assert_failed(const char *file, int line, const char *expr, const char *format, ...) {
    char detail[1024] = "";
    if (format) {
        va_list args;
        va_start(args, format);
        vsnprintf(detail, sizeof detail, format, args);
        va_end(args);
    }
    disco_fatal_at(file, line, "%s%s%s", expr, *detail ? ": " : "", detail);
}

/* check's assertions all end in _ck_assert_failed. */
#undef _ck_assert_failed
#define _ck_assert_failed mpi_assert_failed

/* Starts MPI, takes the scratch directory (shared by the ranks, created by
   rank 0) from the command line into scratch[size]. */
static inline void mpi_suite_begin(int *argc, char ***argv, char *scratch, size_t size) {
    disco_tune_malloc();
    dist_init(argc, argv);
    DISCO_CHECK(*argc == 2, "usage: %s SCRATCH_DIR", (*argv)[0]);
    snprintf(scratch, size, "%s", (*argv)[1]);
    if (dist_rank() == 0) mkdir(scratch, 0777);
    dist_barrier();
}

#endif
