/* Loading a checkpoint into a graph that has more parameters than the file:
   a DisCo-Diff model started from a baseline's (EDM's) U-Net, whose encoder,
   latent transformer and cross-attention keep their initialisation. The
   reverse of checkpoint_load's contract: every tensor of the file must find
   its parameter, not every parameter its tensor. */
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint_file.h"
#include "disco/checkpoint.h"
#include "disco/error.h"
#include "disco/log.h"
#include "h5_file.h"

/* A wrong file mismatches many tensors: the first few say enough. */
enum { LISTED_MISMATCHES = 12 };

typedef struct {
    const char *path, *group_name;
    Graph *g;
    int *ids; /* the parameter each dataset of the group goes to, in HDF5's name order */
    int count, capacity, mismatches;
    char first[768];
} Subset;

static void mismatch(Subset *s, const char *text) {
    if (s->mismatches == 0) snprintf(s->first, sizeof s->first, "%s", text);
    if (s->mismatches < LISTED_MISMATCHES) LOG_ERROR("checkpoint '%s': %s", s->path, text);
    s->mismatches++;
}

/* Whether the dataset's dimensions are the tensor's shape. */
static bool same_shape(hid_t set, const char *path, const char *name, Tensor want) {
    hid_t space = H5Dget_space(set);
    H5_CHECK(space, path, "read the shape of '%s'", name);
    hsize_t dims[H5S_MAX_RANK];
    int ndim = H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    bool same = ndim == want.ndim;
    for (int d = 0; same && d < ndim; d++) same = dims[d] == (hsize_t)want.shape[d];
    return same;
}

static herr_t match_dataset(hid_t group, const char *name, const H5L_info_t *info, void *context) {
    (void)info;
    Subset *s = context;
    char text[768];
    int id = graph_find_param(s->g, name);
    if (id < 0) {
        snprintf(text, sizeof text, "parameter '%s' (under /%s) is not one of the model's", name, s->group_name);
        mismatch(s, text);
        return 0;
    }
    hid_t set = H5Dopen2(group, name, H5P_DEFAULT);
    H5_CHECK(set, s->path, "open /%s/%s", s->group_name, name);
    Tensor want = graph_tensor(s->g, id);
    if (!same_shape(set, s->path, name, want)) {
        char shape[64];
        snprintf(text, sizeof text, "parameter '%s' (under /%s) has another shape than the model's %s", name,
                 s->group_name, tensor_shape_string(&want, shape, sizeof shape));
        mismatch(s, text);
    }
    H5Dclose(set);
    if (s->count == s->capacity) {
        s->capacity = s->capacity ? 2 * s->capacity : 256;
        int *grown = realloc(s->ids, (size_t)s->capacity * sizeof *grown);
        DISCO_CHECK(grown, "out of memory listing the parameters of '%s'", s->path);
        s->ids = grown;
    }
    s->ids[s->count++] = id;
    return 0;
}

/* Reads the file's tensors into their parameters, each checked against its crc32. */
static void read_subset(hid_t group, const Subset *s) {
    Backend *be = graph_backend(s->g);
    for (int i = 0; i < s->count; i++) {
        int id = s->ids[i];
        const char *name = graph_name(s->g, id);
        size_t n = graph_numel(s->g, id);
        float *host = be->device == DEVICE_CPU ? graph_data(s->g, id) : disco_malloc(n * sizeof(float), name);
        char dataset[1024];
        snprintf(dataset, sizeof dataset, "/%s/%s", s->group_name, name);
        hid_t set = H5Dopen2(group, name, H5P_DEFAULT);
        H5_CHECK(set, s->path, "open %s", dataset);
        checkpoint_read_verified(set, s->path, dataset, host, n);
        H5Dclose(set);
        if (be->device == DEVICE_CPU) continue;
        be->ops->upload(be, graph_data(s->g, id), host, n * sizeof(float));
        free(host);
    }
}

int checkpoint_load_subset(const char *path, Graph *g, bool use_ema) {
    hid_t file = checkpoint_open(path, false);
    const char *group_name = use_ema ? "ema" : "params";
    DISCO_CHECK(H5Lexists(file, group_name, H5P_DEFAULT) > 0,
                "checkpoint '%s' has no /%s group: it was saved without those tensors", path, group_name);
    hid_t group = H5Gopen2(file, group_name, H5P_DEFAULT);
    H5_CHECK(group, path, "open the group /%s", group_name);
    Subset s = {.path = path, .group_name = group_name, .g = g};
    H5_CHECK(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, NULL, match_dataset, &s), path, "list /%s", group_name);
    if (s.mismatches > 0) {
        char listed[48] = "";
        if (s.mismatches > 1)
            snprintf(listed, sizeof listed, ", the first %d listed above",
                     s.mismatches < LISTED_MISMATCHES ? s.mismatches : LISTED_MISMATCHES);
        DISCO_FATAL("checkpoint '%s': %s (%d mismatch%s in all%s; nothing was loaded)", path, s.first, s.mismatches,
                    s.mismatches > 1 ? "es" : "", listed);
    }
    read_subset(group, &s);
    LOG_DEBUG("checkpoint '%s': loaded %d of the model's %d parameters from /%s", path, s.count, graph_param_count(g),
              group_name);
    free(s.ids);
    H5Gclose(group);
    H5_CHECK(H5Fclose(file), path, "close the file");
    return s.count;
}
