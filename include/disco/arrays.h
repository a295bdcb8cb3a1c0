/* Small result files (latents, samples) as HDF5: named float32 or int32
 * arrays that h5py and h5dump read as they are. */
#ifndef DISCO_ARRAYS_H
#define DISCO_ARRAYS_H

#include "disco/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *name;
    DType dtype; /* DTYPE_F32 or DTYPE_I32 */
    int ndim;
    int shape[TENSOR_MAX_DIMS];
    const void *data;
} NamedArray;

/* Writes all arrays into a new file under a temporary name, then renames it. */
void arrays_save(const char *path, const NamedArray *arrays, int count);
/* Reads one array; its dtype and rank must match, shape receives its size.
   Returns malloc'd memory. Errors name the file and the array. */
void *arrays_load(const char *path, const char *name, DType dtype, int ndim, int *shape);

#ifdef __cplusplus
}
#endif

#endif
