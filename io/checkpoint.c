/* Checkpoints as HDF5 files (docs/formats.md, "Checkpoints"): the parameters
   under /params, the EMA weights and Adam's moments under /ema, /adam/m and
   /adam/v, each by parameter name; where the run stands in root attributes.
   checkpoint_file.c adds and checks the checksums. */
#include "disco/checkpoint.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint_file.h"
#include "disco/error.h"
#include "disco/log.h"
#include "h5_file.h"

/* Where each buffer of TrainBuffers goes, in the struct's order. */
enum { BUFFER_KINDS = 3 };
static const char *const BUFFER_GROUPS[BUFFER_KINDS] = {"ema", "adam/m", "adam/v"};

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
    hid_t link_options = H5Pcreate(H5P_LINK_CREATE); /* adam/m makes adam first */
    H5Pset_create_intermediate_group(link_options, 1);
    hid_t group = H5Gcreate2(file, group_name, link_options, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(link_options);
    H5_CHECK(group, path, "create the group /%s", group_name);
    for (int k = 0; k < graph_param_count(g); k++) {
        int id = graph_param_id(g, k);
        const char *name = graph_name(g, id);
        Tensor t = graph_tensor(g, id);
        const float *data = flat + graph_param_offset(g, id);
        hsize_t dims[TENSOR_MAX_DIMS];
        for (int d = 0; d < t.ndim; d++) dims[d] = (hsize_t)t.shape[d];
        hid_t space = H5Screate_simple(t.ndim, dims, NULL);
        H5_CHECK(space, path, "describe the shape of /%s/%s", group_name, name);
        hid_t set = H5Dcreate2(group, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(set, path, "create /%s/%s", group_name, name);
        H5_CHECK(H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path, "write /%s/%s",
                 group_name, name);
        checkpoint_write_crc(set, path, data, graph_numel(g, id));
        H5Dclose(set);
        H5Sclose(space);
    }
    H5Gclose(group);
}

/* What every checkpoint holds: the parameters, buffers[k] under
   BUFFER_GROUPS[k] where not NULL, the version, step, images seen and the
   configuration. The caller adds its own attributes, then seals and
   publishes the file. */
static hid_t write_checkpoint(const char *path, char *tmp, size_t tmp_size, Graph *g,
                              const float *const buffers[BUFFER_KINDS], uint64_t step, uint64_t images_seen,
                              const char *config_yaml) {
    hid_t file = h5_create_temporary(path, tmp, tmp_size);
    float *params = host_params(g, true);
    write_tensors(file, tmp, "params", g, params);
    if (params != graph_params(g, NULL)) free(params);
    for (int k = 0; k < BUFFER_KINDS; k++)
        if (buffers[k]) write_tensors(file, tmp, BUFFER_GROUPS[k], g, buffers[k]);

    const int version = CHECKPOINT_FORMAT_VERSION;
    h5_write_attribute(file, tmp, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    h5_write_attribute(file, tmp, "step", H5T_STD_U64LE, H5T_NATIVE_UINT64, &step);
    h5_write_attribute(file, tmp, "images_seen", H5T_STD_U64LE, H5T_NATIVE_UINT64, &images_seen);
    if (config_yaml) h5_write_string(file, tmp, "config", config_yaml);
    return file;
}

void checkpoint_save(const char *path, Graph *g, const float *ema, const CheckpointInfo *info) {
    char tmp[4096];
    const float *buffers[BUFFER_KINDS] = {ema};
    hid_t file = write_checkpoint(path, tmp, sizeof tmp, g, buffers, info->step, info->images_seen, info->config_yaml);
    checkpoint_seal(file, tmp);
    h5_publish(file, tmp, path);
}

void checkpoint_save_training(const char *path, Graph *g, const TrainBuffers *buffers, const TrainProgress *progress) {
    char tmp[4096];
    const float *flat[BUFFER_KINDS] = {buffers->ema, buffers->adam_m, buffers->adam_v};
    hid_t file = write_checkpoint(path, tmp, sizeof tmp, g, flat, progress->step, progress->images_seen,
                                  progress->config_yaml);
    h5_write_attribute(file, tmp, "data_cursor", H5T_STD_U64LE, H5T_NATIVE_UINT64, &progress->data_cursor);
    h5_write_attribute(file, tmp, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &progress->seed);
    h5_write_attribute(file, tmp, "adam_step", H5T_STD_U64LE, H5T_NATIVE_UINT64, &progress->adam_step);
    h5_write_attribute(file, tmp, "world_size", H5T_STD_I32LE, H5T_NATIVE_INT, &progress->world_size);
    checkpoint_seal(file, tmp);
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
    DISCO_CHECK(H5Lexists(file, group_name, H5P_DEFAULT) > 0,
                "checkpoint '%s' has no /%s group: it was saved without those tensors", path, group_name);
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
        char dataset[1024];
        snprintf(dataset, sizeof dataset, "/%s/%s", group_name, name);
        checkpoint_read_verified(set, path, dataset, flat + graph_param_offset(g, id), graph_numel(g, id));
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

/* Into g's parameters, which on a device go through a host copy. */
static void read_params(hid_t file, const char *path, const char *group_name, Graph *g) {
    float *params = host_params(g, false);
    read_tensors(file, path, group_name, g, params);
    if (params == graph_params(g, NULL)) return;
    size_t n;
    Backend *be = graph_backend(g);
    be->ops->upload(be, graph_params(g, &n), params, n * sizeof(float));
    free(params);
}

uint64_t checkpoint_load(const char *path, Graph *g, float *ema, int use_ema) {
    hid_t file = checkpoint_open(path, false);
    uint64_t step = 0;
    h5_read_attribute(file, path, "step", H5T_NATIVE_UINT64, &step);
    read_params(file, path, use_ema ? "ema" : "params", g);
    if (ema) read_tensors(file, path, "ema", g, ema);
    H5_CHECK(H5Fclose(file), path, "close the file");
    return step;
}

void checkpoint_load_training(const char *path, Graph *g, TrainBuffers *buffers, TrainProgress *progress) {
    hid_t file = checkpoint_open(path, false);
    DISCO_CHECK(H5Aexists(file, "data_cursor") > 0,
                "checkpoint '%s' holds no training state (no attribute 'data_cursor'): it was saved for a stage, "
                "not for resuming",
                path);
    read_params(file, path, "params", g);
    float *flat[BUFFER_KINDS] = {buffers->ema, buffers->adam_m, buffers->adam_v};
    for (int k = 0; k < BUFFER_KINDS; k++)
        if (flat[k]) read_tensors(file, path, BUFFER_GROUPS[k], g, flat[k]);

    h5_read_attribute(file, path, "step", H5T_NATIVE_UINT64, &progress->step);
    h5_read_attribute(file, path, "images_seen", H5T_NATIVE_UINT64, &progress->images_seen);
    h5_read_attribute(file, path, "data_cursor", H5T_NATIVE_UINT64, &progress->data_cursor);
    h5_read_attribute(file, path, "seed", H5T_NATIVE_UINT64, &progress->seed);
    h5_read_attribute(file, path, "adam_step", H5T_NATIVE_UINT64, &progress->adam_step);
    h5_read_attribute(file, path, "world_size", H5T_NATIVE_INT, &progress->world_size);
    progress->config_yaml = H5Aexists(file, "config") > 0 ? h5_read_new_string(file, path, "config") : NULL;
    H5_CHECK(H5Fclose(file), path, "close the file");
}
