/* EDM's weights into our graph; see include/disco/edm_weights.h. A first
   pass matches every dump tensor to a parameter and checks names and shapes
   (and, when loading, the resampling filters' values), so that a bad dump
   changes nothing; a second reads each tensor and changes its layout. */
#include "disco/edm_weights.h"

#include <hdf5.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/log.h"
#include "h5_file.h"

#define OUR_PREFIX "model."
#define FILTER_SUFFIX ".resample_filter"
#define CROSS_ATTENTION ".cross_attn."

/* A dump for the wrong preset mismatches hundreds of tensors: the first few say enough. */
enum { LISTED_PROBLEMS = 12 };

typedef struct {
    const char *path;
    int count;
    char first[768];
} Problems;

__attribute__((format(printf, 2, 3))) static void problem(Problems *p, const char *fmt, ...) {
    char text[768];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    if (p->count == 0) snprintf(p->first, sizeof p->first, "%s", text);
    if (p->count < LISTED_PROBLEMS) LOG_ERROR("EDM weights '%s': %s", p->path, text);
    p->count++;
}

static void fail_if_any(const Problems *p) {
    if (p->count == 0) return;
    char listed[48] = "";
    if (p->count > 1)
        snprintf(listed, sizeof listed, ", the first %d listed above",
                 p->count < LISTED_PROBLEMS ? p->count : LISTED_PROBLEMS);
    DISCO_FATAL("EDM weights '%s': %s (%d problem%s in all%s; nothing was loaded)", p->path, p->first, p->count,
                p->count > 1 ? "s" : "", listed);
}

/* One dataset of the dump. */
typedef struct {
    char *name; /* EDM's state_dict name */
    int ndim;
    int shape[TENSOR_MAX_DIMS];
    int param; /* our parameter's id; -1 for a resample filter */
} DumpTensor;

typedef struct {
    const char *path;
    DumpTensor *tensors;
    int count, capacity;
    Problems *problems;
} Dump;

static herr_t add_tensor(hid_t root, const char *name, const H5O_info_t *info, void *context) {
    if (info->type != H5O_TYPE_DATASET) return 0;
    Dump *d = context;
    hid_t set = H5Dopen2(root, name, H5P_DEFAULT);
    H5_CHECK(set, d->path, "open the dataset '%s'", name);
    hid_t type = H5Dget_type(set), space = H5Dget_space(set);
    H5_CHECK(space, d->path, "read the shape of '%s'", name);
    hsize_t dims[H5S_MAX_RANK];
    int ndim = H5Sget_simple_extent_dims(space, dims, NULL);
    bool is_float = H5Tget_class(type) == H5T_FLOAT;
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(set);
    if (!is_float || ndim < 1 || ndim > TENSOR_MAX_DIMS) {
        problem(d->problems, "'%s' is not a float tensor of 1 to %d dimensions", name, TENSOR_MAX_DIMS);
        return 0;
    }
    if (d->count == d->capacity) {
        d->capacity = d->capacity ? 2 * d->capacity : 256;
        DumpTensor *grown = realloc(d->tensors, (size_t)d->capacity * sizeof *grown);
        DISCO_CHECK(grown, "out of memory listing the tensors of '%s'", d->path);
        d->tensors = grown;
    }
    DumpTensor *t = &d->tensors[d->count++];
    *t = (DumpTensor){.name = disco_strdup(name), .ndim = ndim, .param = -1};
    for (int i = 0; i < ndim; i++) t->shape[i] = (int)dims[i];
    return 0;
}

static void free_dump(Dump *d) {
    for (int i = 0; i < d->count; i++) free(d->tensors[i].name);
    free(d->tensors);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void shape_string(const int *shape, int ndim, char *out, size_t size) {
    int used = snprintf(out, size, "[");
    for (int i = 0; i < ndim; i++) used += snprintf(out + used, size - (size_t)used, "%s%d", i ? ", " : "", shape[i]);
    snprintf(out + used, size - (size_t)used, "]");
}

/* PyTorch's shape of our parameter: a conv weight [out, kh, kw, in] is [out, in, kh, kw] there. */
static Tensor torch_shape(Tensor ours) {
    if (ours.ndim != 4) return ours;
    Tensor t = ours;
    t.shape[1] = ours.shape[3], t.shape[2] = ours.shape[1], t.shape[3] = ours.shape[2];
    return t;
}

static bool is_qkv(const char *name) { return ends_with(name, ".qkv.weight") || ends_with(name, ".qkv.bias"); }

/* Matches one dump tensor to our parameter (or, for a resampling filter, to
   nothing) and checks its shape; false when that fails. */
static bool match(const Graph *g, DumpTensor *t, int channels_per_head, bool *taken, Problems *p) {
    char ours[1024], have[96], want[96];
    snprintf(ours, sizeof ours, "%s%s", strncmp(t->name, OUR_PREFIX, strlen(OUR_PREFIX)) == 0 ? "" : OUR_PREFIX,
             t->name);
    shape_string(t->shape, t->ndim, have, sizeof have);
    if (ends_with(t->name, FILTER_SUFFIX)) {
        bool box = t->ndim == 4 && t->shape[0] == 1 && t->shape[1] == 1 && t->shape[2] == 2 && t->shape[3] == 2;
        if (!box)
            problem(p, "'%s' is a resampling filter of shape %s; our U-Net resamples with EDM's [1, 1] box only "
                       "([1, 1, 2, 2])", t->name, have);
        return box;
    }
    int id = graph_find_param(g, ours);
    if (id < 0) {
        problem(p, "'%s' has nowhere to go: our model has no parameter '%s' (is the model preset the one the "
                   "weights were trained as?)", t->name, ours);
        return false;
    }
    if (taken[id]) {
        problem(p, "'%s' goes to '%s', which another tensor of the dump fills already", t->name, ours);
        return false;
    }
    taken[id] = true; /* a tensor of the wrong shape is that, not also a missing one */
    Tensor want_shape = torch_shape(graph_tensor(g, id));
    bool same = want_shape.ndim == t->ndim;
    for (int i = 0; same && i < t->ndim; i++) same = want_shape.shape[i] == t->shape[i];
    if (!same) {
        shape_string(want_shape.shape, want_shape.ndim, want, sizeof want);
        problem(p, "'%s' has shape %s; our '%s' needs %s in PyTorch's layout", t->name, have, ours, want);
        return false;
    }
    if (is_qkv(ours) && (t->shape[0] % 3 != 0 || (t->shape[0] / 3) % channels_per_head != 0)) {
        problem(p, "'%s' has %d rows, which do not split into q, k and v of heads of %d channels", t->name,
                t->shape[0], channels_per_head);
        return false;
    }
    t->param = id;
    return true;
}

static size_t dump_numel(const DumpTensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

static void read_floats(hid_t file, const char *path, const char *name, float *out) {
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    H5_CHECK(set, path, "open the dataset '%s'", name);
    H5_CHECK(H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), path, "read '%s'", name);
    H5Dclose(set);
}

/* EDM normalises the [1, 1] filter's outer product: four taps of 1/4. */
static void check_filter_values(hid_t file, const DumpTensor *t, Problems *p) {
    float taps[4];
    read_floats(file, p->path, t->name, taps);
    for (int i = 0; i < 4; i++)
        if (taps[i] != 0.25f) {
            problem(p, "'%s' holds %g, %g, %g, %g; our U-Net resamples with the box filter (four taps of 0.25)",
                    t->name, taps[0], taps[1], taps[2], taps[3]);
            return;
        }
}

/* Every parameter under "model." needs a tensor, but the cross-attention. */
static int count_left_at_init(const Graph *g, const bool *taken, Problems *p) {
    int left = 0;
    for (int k = 0; k < graph_param_count(g); k++) {
        int id = graph_param_id(g, k);
        const char *name = graph_name(g, id);
        if (taken[id] || strncmp(name, OUR_PREFIX, strlen(OUR_PREFIX)) != 0) continue;
        if (strstr(name, CROSS_ATTENTION))
            left++;
        else
            problem(p, "our parameter '%s' has no tensor in the dump (EDM's name '%s')", name,
                    name + strlen(OUR_PREFIX));
    }
    return left;
}

/* The first pass; the caller frees the dump. */
static EdmWeightsCount check_dump(hid_t file, Dump *d, const Graph *g, int channels_per_head, bool check_values) {
    DISCO_CHECK(channels_per_head > 0, "EDM weights '%s': channels per head must be positive, not %d", d->path,
                channels_per_head);
    H5_CHECK(H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, add_tensor, d, H5O_INFO_BASIC), d->path,
             "list the datasets");
    int max_id = 0;
    for (int k = 0; k < graph_param_count(g); k++)
        if (graph_param_id(g, k) > max_id) max_id = graph_param_id(g, k);
    bool *taken = disco_calloc((size_t)max_id + 1, sizeof(bool), "EDM weights: parameters filled");
    EdmWeightsCount count = {0};
    for (int i = 0; i < d->count; i++) {
        DumpTensor *t = &d->tensors[i];
        bool matched = match(g, t, channels_per_head, taken, d->problems);
        if (t->param >= 0) count.loaded++, count.loaded_floats += dump_numel(t);
        if (!ends_with(t->name, FILTER_SUFFIX)) continue;
        count.filters++;
        if (matched && check_values) check_filter_values(file, t, d->problems);
    }
    count.left_at_init = count_left_at_init(g, taken, d->problems);
    free(taken);
    fail_if_any(d->problems);
    return count;
}

EdmWeightsCount edm_weights_check(const char *dump_path, const Graph *g, int channels_per_head) {
    hid_t file = h5_open_readonly(dump_path, "dump of EDM weights");
    Problems problems = {.path = dump_path};
    Dump d = {.path = dump_path, .problems = &problems};
    EdmWeightsCount count = check_dump(file, &d, g, channels_per_head, false);
    free_dump(&d);
    H5_CHECK(H5Fclose(file), dump_path, "close the file");
    return count;
}

/* PyTorch's conv weight [out, in, kh, kw] into ours [out, kh, kw, in]. */
static void conv_to_ours(float *dst, const float *src, const int *torch) {
    int out = torch[0], in = torch[1], kh = torch[2], kw = torch[3];
    for (int o = 0; o < out; o++)
        for (int i = 0; i < in; i++)
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    dst[(((size_t)o * kh + y) * kw + x) * in + i] = src[(((size_t)o * in + i) * kh + y) * kw + x];
}

/* The fused qkv's 3C rows (each `width` floats): EDM's row h*3d + 3c + j,
   for head h, channel c of d and j = 0, 1, 2 for q, k, v, becomes our row
   j*C + h*d + c, where graph_self_attention reads q, k and v side by side. */
static void qkv_rows_to_ours(float *dst, const float *src, int rows, int head_dim, size_t width) {
    int channels = rows / 3, heads = channels / head_dim;
    for (int h = 0; h < heads; h++)
        for (int c = 0; c < head_dim; c++)
            for (int j = 0; j < 3; j++) {
                size_t edm = (size_t)h * 3 * head_dim + 3 * (size_t)c + (size_t)j;
                size_t ours = (size_t)j * channels + (size_t)h * head_dim + (size_t)c;
                memcpy(dst + ours * width, src + edm * width, width * sizeof(float));
            }
}

/* One tensor, read and put in our layout, into its parameter. */
static void load_tensor(hid_t file, const char *path, Graph *g, const DumpTensor *t, int channels_per_head) {
    size_t n = dump_numel(t);
    float *torch = disco_malloc(n * sizeof(float), t->name), *ours = disco_malloc(n * sizeof(float), t->name);
    read_floats(file, path, t->name, torch);
    if (t->ndim == 4)
        conv_to_ours(ours, torch, t->shape);
    else
        memcpy(ours, torch, n * sizeof(float));
    if (is_qkv(t->name)) {
        memcpy(torch, ours, n * sizeof(float));
        qkv_rows_to_ours(ours, torch, t->shape[0], channels_per_head, n / (size_t)t->shape[0]);
    }
    Backend *be = graph_backend(g);
    be->ops->upload(be, graph_data(g, t->param), ours, n * sizeof(float));
    free(torch);
    free(ours);
}

EdmWeightsCount edm_weights_load(const char *dump_path, Graph *g, int channels_per_head) {
    hid_t file = h5_open_readonly(dump_path, "dump of EDM weights");
    if (H5Aexists(file, "source") > 0) {
        char *source = h5_read_new_string(file, dump_path, "source");
        LOG_INFO("EDM weights '%s': from %s", dump_path, source);
        free(source);
    }
    Problems problems = {.path = dump_path};
    Dump d = {.path = dump_path, .problems = &problems};
    EdmWeightsCount count = check_dump(file, &d, g, channels_per_head, true);
    for (int i = 0; i < d.count; i++)
        if (d.tensors[i].param >= 0) load_tensor(file, dump_path, g, &d.tensors[i], channels_per_head);
    free_dump(&d);
    H5_CHECK(H5Fclose(file), dump_path, "close the file");
    return count;
}
