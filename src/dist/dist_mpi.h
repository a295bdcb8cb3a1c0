/* What the MPI files of src/dist/ share (builds with MPI only). */
#ifndef DISCO_DIST_MPI_H
#define DISCO_DIST_MPI_H

#include <mpi.h>

/* Fatal unless code is MPI_SUCCESS: the message names the call, this rank and
   MPI's own error string (communicators return codes, dist_init). */
void dist_check_mpi(int code, const char *call);

#endif
