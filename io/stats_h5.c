/* Feature statistics as HDF5: what EDM's .npz holds, plus N and the feature
   network's name, so that a file says what it was computed from. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "h5_file.h"
#include "disco/frechet.h"

#define STATS_FORMAT_VERSION 1

static void write_array(hid_t file, const char *tmp, const char *name, int ndim, const hsize_t *dims,
                        const double *values) {
    hid_t space = H5Screate_simple(ndim, dims, NULL);
    H5_CHECK(space, tmp, "describe the array '%s'", name);
    hid_t set = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(set, tmp, "create the array '%s'", name);
    H5_CHECK(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), tmp, "write the array '%s'",
             name);
    H5Dclose(set);
    H5Sclose(space);
}

void stats_write_h5(const char *path, const FrechetStats *stats) {
    char tmp[4096];
    hid_t file = h5_create_temporary(path, tmp, sizeof tmp);
    int version = STATS_FORMAT_VERSION;
    h5_write_attribute(file, tmp, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    h5_write_attribute(file, tmp, "count", H5T_STD_I64LE, H5T_NATIVE_INT64, &stats->count);
    h5_write_string(file, tmp, "network", stats->network);
    hsize_t dims[2] = {(hsize_t)stats->dim, (hsize_t)stats->dim};
    write_array(file, tmp, "mu", 1, dims, stats->mu);
    write_array(file, tmp, "sigma", 2, dims, stats->sigma);
    h5_publish(file, tmp, path);
}

/* The array `name`, which must be float64-convertible of rank ndim; dims receives its size. */
static double *read_array(hid_t file, const char *path, const char *name, int ndim, hsize_t *dims) {
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    H5_CHECK(set, path, "find the array '%s'", name);
    hid_t type = H5Dget_type(set);
    DISCO_CHECK(H5Tget_class(type) == H5T_FLOAT, "'%s': array '%s' is not a float array", path, name);
    H5Tclose(type);
    hid_t space = H5Dget_space(set);
    H5_CHECK(space, path, "read the shape of '%s'", name);
    int rank = H5Sget_simple_extent_ndims(space);
    DISCO_CHECK(rank == ndim, "'%s': array '%s' has %d dimensions, expected %d", path, name, rank, ndim);
    H5Sget_simple_extent_dims(space, dims, NULL);
    hsize_t count = 1;
    for (int d = 0; d < ndim; d++) count *= dims[d];
    double *values = disco_malloc((size_t)(count ? count : 1) * sizeof *values, name);
    H5_CHECK(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), path, "read the array '%s'",
             name);
    H5Sclose(space);
    H5Dclose(set);
    return values;
}

FrechetStats stats_read_h5(const char *path) {
    hid_t file = h5_open_readonly(path, "feature statistics file");
    int version = 0;
    h5_read_attribute(file, path, "format_version", H5T_NATIVE_INT, &version);
    DISCO_CHECK(version == STATS_FORMAT_VERSION, "'%s': feature statistics format_version %d; this build reads %d",
                path, version, STATS_FORMAT_VERSION);
    FrechetStats stats = {0};
    h5_read_attribute(file, path, "count", H5T_NATIVE_INT64, &stats.count);
    h5_read_string(file, path, "network", stats.network, sizeof stats.network);
    hsize_t mu_dims[1], sigma_dims[2];
    stats.mu = read_array(file, path, "mu", 1, mu_dims);
    stats.sigma = read_array(file, path, "sigma", 2, sigma_dims);
    H5_CHECK(H5Fclose(file), path, "close the file");
    DISCO_CHECK(mu_dims[0] > 0 && mu_dims[0] <= INT_MAX, "'%s': array 'mu' has %llu elements", path,
                (unsigned long long)mu_dims[0]);
    DISCO_CHECK(sigma_dims[0] == mu_dims[0] && sigma_dims[1] == mu_dims[0],
                "'%s': array 'sigma' has shape (%llu, %llu), but 'mu' has %llu elements: sigma must be (%llu, %llu)",
                path, (unsigned long long)sigma_dims[0], (unsigned long long)sigma_dims[1],
                (unsigned long long)mu_dims[0], (unsigned long long)mu_dims[0], (unsigned long long)mu_dims[0]);
    DISCO_CHECK(stats.count == 0 || stats.count >= 2, "'%s': attribute 'count' is %" PRId64 "; a covariance needs 2",
                path, stats.count);
    stats.dim = (int)mu_dims[0];
    return stats;
}
