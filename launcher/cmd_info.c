#include <omp.h>
#include <stdio.h>

#include "commands.h"
#include "disco/backend.h"

int command_info(int argc, char **argv) {
    (void)argc, (void)argv;
    printf("disco build\n");
#ifdef DISCO_HAVE_MPI
    printf("  MPI:    yes\n");
#else
    printf("  MPI:    no (single-process build)\n");
#endif
    printf("  OpenMP: %d threads\n", omp_get_max_threads());
    const char *why = NULL;
    Backend *cuda = backend_cuda_create(0, PRECISION_BF16, &why);
    if (cuda) {
        printf("  CUDA:   device 0 usable\n");
        backend_cuda_destroy(cuda);
    } else {
        printf("  CUDA:   not usable: %s\n", why);
    }
    return 0;
}
