#include "disco/arrays.h"

#include <stdlib.h>

#include "h5_file.h"

static hid_t memory_type(DType dtype, const char *path, const char *name) {
    DISCO_CHECK(dtype == DTYPE_F32 || dtype == DTYPE_I32, "'%s': array '%s' must be float32 or int32", path, name);
    return dtype == DTYPE_F32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT32;
}

void arrays_save(const char *path, const NamedArray *arrays, int count) {
    char tmp[4096];
    hid_t file = h5_create_temporary(path, tmp, sizeof tmp);
    for (int i = 0; i < count; i++) {
        const NamedArray *a = &arrays[i];
        hsize_t dims[TENSOR_MAX_DIMS];
        for (int d = 0; d < a->ndim; d++) dims[d] = (hsize_t)a->shape[d];
        hid_t type = memory_type(a->dtype, tmp, a->name);
        hid_t space = H5Screate_simple(a->ndim, dims, NULL);
        H5_CHECK(space, tmp, "describe the array '%s'", a->name);
        hid_t file_type = a->dtype == DTYPE_F32 ? H5T_IEEE_F32LE : H5T_STD_I32LE;
        hid_t set = H5Dcreate2(file, a->name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(set, tmp, "create the array '%s'", a->name);
        H5_CHECK(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data), tmp, "write the array '%s'", a->name);
        H5Dclose(set);
        H5Sclose(space);
    }
    h5_publish(file, tmp, path);
}

void *arrays_load(const char *path, const char *name, DType dtype, int ndim, int *shape) {
    hid_t file = h5_open_readonly(path, "array file");
    hid_t type = memory_type(dtype, path, name);
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    H5_CHECK(set, path, "find the array '%s'", name);
    hid_t space = H5Dget_space(set);
    H5_CHECK(space, path, "read the shape of '%s'", name);
    int rank = H5Sget_simple_extent_ndims(space);
    DISCO_CHECK(rank == ndim, "'%s': array '%s' has %d dimensions, expected %d", path, name, rank, ndim);
    hsize_t dims[TENSOR_MAX_DIMS];
    H5Sget_simple_extent_dims(space, dims, NULL);
    size_t count = 1;
    for (int d = 0; d < ndim; d++) shape[d] = (int)dims[d], count *= (size_t)dims[d];
    void *data = disco_malloc(count * 4, name);
    H5_CHECK(H5Dread(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path, "read the array '%s'", name);
    H5Sclose(space);
    H5Dclose(set);
    H5_CHECK(H5Fclose(file), path, "close the file");
    return data;
}
