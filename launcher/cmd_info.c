#include <omp.h>
#include <stdio.h>

#include "commands.h"
#include "disco/backend.h"
#include "disco/dist.h"

int command_info(int argc, char **argv) {
    printf("disco build\n");
#ifdef DISCO_HAVE_MPI
    printf("  MPI:    yes\n");
#else
    printf("  MPI:    no (single-process build)\n");
#endif
    printf("  OpenMP: %d threads\n", omp_get_max_threads());
    dist_init(&argc, &argv);
    if (dist_world() > 1)
        printf("  rank:   %d of %d (local %d of %d on this node)\n", dist_rank(), dist_world(), dist_local_rank(),
               dist_local_world());
    int device = backend_cuda_device_for(dist_local_rank());
    const char *why = NULL;
    Backend *cuda = backend_cuda_create(device < 0 ? 0 : device, PRECISION_BF16, &why);
    if (cuda) {
        printf("  CUDA:   device %d of %d usable\n", device, backend_cuda_device_count());
        backend_cuda_destroy(cuda);
    } else {
        printf("  CUDA:   not usable: %s\n", why);
    }
    dist_finalize();
    return 0;
}
