/* The FID Inception's weights from PyTorch-layout tensors in HDF5 into our
   graph, with each BatchNorm folded into its conv (include/disco/inception.h
   has the formulas). The file is first checked for datasets the network has
   no place for, then read conv by conv: each tensor's shape is checked as it
   is read, its values before they are folded. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/inception.h"
#include "disco/log.h"
#include "h5_file.h"

#define WEIGHT_SUFFIX ".conv.weight"
#define BIAS_SUFFIX ".conv.bias"

/* PyTorch's BatchNorm2d tensors, in the order fold_conv takes them. */
enum { BN_GAMMA, BN_BETA, BN_MEAN, BN_VAR, BN_FIELDS };
static const char *const BN_NAMES[BN_FIELDS] = {"weight", "bias", "running_mean", "running_var"};

typedef char Name[512];

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* out = layer + part + field ("Mixed_5b.branch1x1" ".bn." "running_var"). */
static void tensor_name(Name out, const char *layer, const char *part, const char *field) {
    DISCO_CHECK(snprintf(out, sizeof(Name), "%s%s%s", layer, part, field) < (int)sizeof(Name),
                "Inception weights: the name %s%s%s is too long", layer, part, field);
}

/* "Mixed_5b.branch1x1" from "Mixed_5b.branch1x1.conv.weight" */
static void layer_of(Name layer, const char *weight_name) {
    snprintf(layer, sizeof(Name), "%.*s", (int)(strlen(weight_name) - strlen(WEIGHT_SUFFIX)), weight_name);
}

/* Whether a dataset name is one the network reads: <layer>.conv.weight or
   <layer>.bn.<field> for a layer of g. */
static bool is_wanted(const Graph *g, const char *name) {
    if (ends_with(name, WEIGHT_SUFFIX)) return graph_find_param(g, name) >= 0;
    const char *bn = strstr(name, ".bn.");
    if (!bn) return false;
    bool known_field = false;
    for (int f = 0; f < BN_FIELDS; f++) known_field |= strcmp(bn + 4, BN_NAMES[f]) == 0;
    Name weight;
    snprintf(weight, sizeof weight, "%.*s%s", (int)(bn - name), name, WEIGHT_SUFFIX);
    return known_field && graph_find_param(g, weight) >= 0;
}

static void refuse_unwanted(hid_t file, const char *path, const Graph *g) {
    H5G_info_t info;
    H5_CHECK(H5Gget_info(file, &info), path, "list the datasets");
    for (hsize_t i = 0; i < info.nlinks; i++) {
        Name name;
        H5_CHECK(H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT), path,
                 "read the name of dataset %llu", (unsigned long long)i);
        DISCO_CHECK(is_wanted(g, name),
                    "Inception weights '%s': '%s' has no place in the network, which reads <layer>.conv.weight and "
                    "<layer>.bn.{weight,bias,running_mean,running_var} for its %d convs",
                    path, name, INCEPTION_CONVS);
    }
}

/* Reads a float dataset whose shape must be `shape`; every value finite. */
static void read_tensor(hid_t file, const char *path, const char *name, int ndim, const int *shape, float *out) {
    DISCO_CHECK(H5Lexists(file, name, H5P_DEFAULT) > 0, "Inception weights '%s': the tensor '%s' is missing", path,
                name);
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    H5_CHECK(set, path, "open '%s'", name);
    hid_t space = H5Dget_space(set), type = H5Dget_type(set);
    H5_CHECK(space, path, "read the shape of '%s'", name);
    hsize_t dims[H5S_MAX_RANK];
    int rank = H5Sget_simple_extent_dims(space, dims, NULL);
    bool same = rank == ndim;
    for (int d = 0; same && d < ndim; d++) same = dims[d] == (hsize_t)shape[d];
    if (!same) {
        char have[128] = "", want[128] = "";
        for (int d = 0; d < rank && d < 8; d++)
            snprintf(have + strlen(have), sizeof have - strlen(have), "%s%llu", d ? ", " : "",
                     (unsigned long long)dims[d]);
        for (int d = 0; d < ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? ", " : "", shape[d]);
        DISCO_FATAL("Inception weights '%s': '%s' has shape [%s]; the network needs [%s]", path, name, have, want);
    }
    DISCO_CHECK(H5Tget_class(type) == H5T_FLOAT, "Inception weights '%s': '%s' is not a float tensor", path, name);
    H5_CHECK(H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), path, "read '%s'", name);
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(set);
    size_t n = 1;
    for (int d = 0; d < ndim; d++) n *= (size_t)shape[d];
    for (size_t i = 0; i < n; i++)
        DISCO_CHECK(isfinite(out[i]), "Inception weights '%s': '%s'[%zu] is %g", path, name, i, out[i]);
}

/* torch_w [out, in, kh, kw] and the BatchNorm into our weight [out, kh, kw, in] and bias [out]. */
static void fold_conv(float *weight, float *bias, const float *torch_w, float *const bn[BN_FIELDS], int out, int in,
                      int kh, int kw) {
    for (int o = 0; o < out; o++) {
        double scale = bn[BN_GAMMA][o] / sqrt((double)bn[BN_VAR][o] + INCEPTION_BN_EPS);
        bias[o] = (float)(bn[BN_BETA][o] - bn[BN_MEAN][o] * scale);
        for (int i = 0; i < in; i++)
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    weight[(((size_t)o * kh + y) * kw + x) * in + i] =
                        (float)(torch_w[(((size_t)o * in + i) * kh + y) * kw + x] * scale);
    }
}

static void load_conv(hid_t file, const char *path, Graph *g, int weight_id) {
    Name layer, name;
    layer_of(layer, graph_name(g, weight_id));
    tensor_name(name, layer, BIAS_SUFFIX, "");
    int bias_id = graph_find_param(g, name);
    DISCO_CHECK(bias_id >= 0, "inception_load_weights: the graph has '%s' but no '%s'", graph_name(g, weight_id),
                name);
    Tensor ours = graph_tensor(g, weight_id);
    int out = ours.shape[0], kh = ours.shape[1], kw = ours.shape[2], in = ours.shape[3];
    size_t n = (size_t)out * kh * kw * in;

    float *torch_w = disco_malloc(n * sizeof(float), "Inception conv weight");
    read_tensor(file, path, graph_name(g, weight_id), 4, (int[]){out, in, kh, kw}, torch_w);
    float *bn[BN_FIELDS];
    for (int f = 0; f < BN_FIELDS; f++) {
        bn[f] = disco_malloc((size_t)out * sizeof(float), "Inception BatchNorm");
        tensor_name(name, layer, ".bn.", BN_NAMES[f]);
        read_tensor(file, path, name, 1, (int[]){out}, bn[f]);
    }
    for (int o = 0; o < out; o++)
        DISCO_CHECK(bn[BN_VAR][o] >= 0, "Inception weights '%s': '%s.bn.running_var'[%d] is %g; a variance is >= 0",
                    path, layer, o, bn[BN_VAR][o]);

    float *weight = disco_malloc(n * sizeof(float), "folded conv weight");
    float *bias = disco_malloc((size_t)out * sizeof(float), "folded conv bias");
    fold_conv(weight, bias, torch_w, bn, out, in, kh, kw);
    DISCO_CHECK(graph_data(g, weight_id), "inception_load_weights: compile the graph before loading '%s'", path);
    Backend *be = graph_backend(g);
    be->ops->upload(be, graph_data(g, weight_id), weight, n * sizeof(float));
    be->ops->upload(be, graph_data(g, bias_id), bias, (size_t)out * sizeof(float));
    free(torch_w);
    for (int f = 0; f < BN_FIELDS; f++) free(bn[f]);
    free(weight);
    free(bias);
}

int inception_load_weights(Graph *g, const char *path) {
    hid_t file = h5_open_readonly(path, "Inception weights");
    if (H5Aexists(file, "source") > 0) {
        char *source = h5_read_new_string(file, path, "source");
        LOG_INFO("Inception weights '%s': from %s", path, source);
        free(source);
    }
    refuse_unwanted(file, path, g);
    int convs = 0;
    for (int k = 0; k < graph_param_count(g); k++) {
        int id = graph_param_id(g, k);
        const char *name = graph_name(g, id);
        if (ends_with(name, BIAS_SUFFIX)) continue; /* loaded with its weight */
        DISCO_CHECK(ends_with(name, WEIGHT_SUFFIX),
                    "inception_load_weights: the graph's parameter '%s' is not an Inception conv's", name);
        load_conv(file, path, g, id);
        convs++;
    }
    H5_CHECK(H5Fclose(file), path, "close the file");
    LOG_INFO("Inception weights '%s': %d convs, BatchNorm folded in", path, convs);
    return convs;
}
