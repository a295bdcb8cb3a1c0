/* Checkpoints as HDF5 files:
     /params/<name>  float32 in the parameter's logical shape
     /ema/<name>     the same for the EMA weights, when there are any
     root attributes format_version (int), step and images_seen (uint64),
                     config (the effective YAML, when given).
   HDF5's own error printing is switched off: it prints a page of stack for
   one missing link, while the messages here name the file and the parameter. */
#include "disco/checkpoint.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/log.h"
#include "h5_file.h"

enum { FORMAT_VERSION = 1 };

/* The parameters in host memory: the graph's own buffer on the CPU, a copy
   (filled from the device when `fetch`) on other backends. */
static float *host_params(Graph *g, bool fetch) {
    size_t n;
    float *params = graph_params(g, &n);
    Backend *be = graph_backend(g);
    if (be->device == DEVICE_CPU) return params;
    float *host = disco_malloc(n * sizeof(float), "checkpoint parameters");
    if (fetch) be->ops->download(be, host, params, n * sizeof(float));
    return host;
}

static void write_tensors(hid_t file, const char *path, const char *group_name, Graph *g, const float *flat) {
    hid_t group = H5Gcreate2(file, group_name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(group, path, "create the group /%s", group_name);
    for (int k = 0; k < graph_param_count(g); k++) {
        int id = graph_param_id(g, k);
        const char *name = graph_name(g, id);
        Tensor t = graph_tensor(g, id);
        hsize_t dims[TENSOR_MAX_DIMS];
        for (int d = 0; d < t.ndim; d++) dims[d] = (hsize_t)t.shape[d];
        hid_t space = H5Screate_simple(t.ndim, dims, NULL);
        H5_CHECK(space, path, "describe the shape of /%s/%s", group_name, name);
        hid_t set = H5Dcreate2(group, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(set, path, "create /%s/%s", group_name, name);
        H5_CHECK(H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, flat + graph_param_offset(g, id)),
                 path, "write /%s/%s", group_name, name);
        H5Dclose(set);
        H5Sclose(space);
    }
    H5Gclose(group);
}

void checkpoint_save(const char *path, Graph *g, const float *ema, const CheckpointInfo *info) {
    char tmp[4096];
    hid_t file = h5_create_temporary(path, tmp, sizeof tmp);

    float *params = host_params(g, true);
    write_tensors(file, tmp, "params", g, params);
    if (params != graph_params(g, NULL)) free(params);
    if (ema) write_tensors(file, tmp, "ema", g, ema);

    const int version = FORMAT_VERSION;
    h5_write_attribute(file, tmp, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    h5_write_attribute(file, tmp, "step", H5T_STD_U64LE, H5T_NATIVE_UINT64, &info->step);
    h5_write_attribute(file, tmp, "images_seen", H5T_STD_U64LE, H5T_NATIVE_UINT64, &info->images_seen);
    if (info->config_yaml) h5_write_string(file, tmp, "config", info->config_yaml);

    h5_publish(file, tmp, path);
}

/* ---- loading ---- */

static void check_shape(hid_t set, const char *path, const char *group_name, const char *name, Tensor want) {
    hid_t space = H5Dget_space(set);
    H5_CHECK(space, path, "read the shape of /%s/%s", group_name, name);
    hsize_t dims[H5S_MAX_RANK];
    int ndim = H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    H5_CHECK(ndim, path, "read the shape of /%s/%s", group_name, name);
    bool same = ndim == want.ndim;
    for (int d = 0; d < ndim && same; d++) same = dims[d] == (hsize_t)want.shape[d];
    if (same) return;
    char have[128] = "[", expected[64];
    for (int d = 0; d < ndim; d++)
        snprintf(have + strlen(have), sizeof have - strlen(have), "%s%llu", d ? ", " : "", (unsigned long long)dims[d]);
    snprintf(have + strlen(have), sizeof have - strlen(have), "]");
    DISCO_FATAL("checkpoint '%s': parameter '%s' (under /%s) has shape %s, but the graph's is %s", path, name,
                group_name, have, tensor_shape_string(&want, expected, sizeof expected));
}

static void read_tensors(hid_t file, const char *path, const char *group_name, Graph *g, float *flat) {
    DISCO_CHECK(H5Lexists(file, group_name, H5P_DEFAULT) > 0, "checkpoint '%s' has no /%s group%s", path,
                group_name, strcmp(group_name, "ema") == 0 ? " (it was saved without EMA weights)" : "");
    hid_t group = H5Gopen2(file, group_name, H5P_DEFAULT);
    H5_CHECK(group, path, "open the group /%s", group_name);
    for (int k = 0; k < graph_param_count(g); k++) {
        int id = graph_param_id(g, k);
        const char *name = graph_name(g, id);
        DISCO_CHECK(H5Lexists(group, name, H5P_DEFAULT) > 0, "checkpoint '%s' has no parameter '%s' (under /%s)",
                    path, name, group_name);
        hid_t set = H5Dopen2(group, name, H5P_DEFAULT);
        H5_CHECK(set, path, "open /%s/%s", group_name, name);
        check_shape(set, path, group_name, name, graph_tensor(g, id));
        H5_CHECK(H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, flat + graph_param_offset(g, id)),
                 path, "read /%s/%s", group_name, name);
        H5Dclose(set);
    }
    /* Loading part of a model (an encoder alone) is legitimate; say so in
       case it was not meant. */
    H5G_info_t info;
    H5_CHECK(H5Gget_info(group, &info), path, "list /%s", group_name);
    if (info.nlinks > (hsize_t)graph_param_count(g))
        LOG_DEBUG("checkpoint '%s': /%s holds %llu tensors, the graph uses %d; the rest are ignored", path, group_name,
                 (unsigned long long)info.nlinks, graph_param_count(g));
    H5Gclose(group);
}

uint64_t checkpoint_load(const char *path, Graph *g, float *ema, int use_ema) {
    hid_t file = h5_open_readonly(path, "checkpoint");

    int version = 0;
    uint64_t step = 0;
    h5_read_attribute(file, path, "format_version", H5T_NATIVE_INT, &version);
    DISCO_CHECK(version == FORMAT_VERSION, "checkpoint '%s' has format version %d; this build reads version %d", path,
                version, FORMAT_VERSION);
    h5_read_attribute(file, path, "step", H5T_NATIVE_UINT64, &step);

    float *params = host_params(g, false);
    read_tensors(file, path, use_ema ? "ema" : "params", g, params);
    if (params != graph_params(g, NULL)) {
        size_t n;
        Backend *be = graph_backend(g);
        be->ops->upload(be, graph_params(g, &n), params, n * sizeof(float));
        free(params);
    }
    if (ema) read_tensors(file, path, "ema", g, ema);
    H5_CHECK(H5Fclose(file), path, "close the file");
    return step;
}
