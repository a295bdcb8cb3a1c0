/* Our ADM U-Net against its PyTorch twin (tests/torch/adm_unet.py) on the
   same weights and inputs; run by tests/launcher/edm_convert.sh on the files
   tests/torch/edm_fixture.py makes, at the `tiny` size unless PRESET says.

     edm_twin_compare checkpoint CKPT.h5 IO.h5 [PRESET]
       CKPT is `disco weights import-edm` of the twin's snapshot: loaded into the
       baseline graph (checkpoint_load), then into a graph with cross-attention
       (checkpoint_load_subset, EMA copy), whose zero output projections must
       leave the twin's F unchanged.
     edm_twin_compare dump DUMP.h5 IO.h5 [PRESET]
       DUMP is edm_export.py of a twin with cross-attention, loaded straight
       into a graph with cross-attention (edm_weights_load).

   Prints the largest difference relative to the largest |F| and "ok" when
   it is below TOLERANCE; exits 1 otherwise. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/adm_unet.h"
#include "disco/checkpoint.h"
#include "disco/edm_weights.h"
#include "disco/error.h"
#include "disco/image_model.h"
#include "testutil.h"

#define TOLERANCE 1e-4

typedef struct {
    Graph *g;
    AdmUnetInputs in;
    int tokens; /* the latent tokens' input, or -1 */
    int output;
} Network;

static void read_dataset(hid_t file, const char *name, float *out, size_t n) {
    hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    DISCO_CHECK(set >= 0, "the io file has no dataset '%s'", name);
    hid_t space = H5Dget_space(set);
    DISCO_CHECK((size_t)H5Sget_simple_extent_npoints(space) == n, "'%s' has %lld values, not %zu", name,
                (long long)H5Sget_simple_extent_npoints(space), n);
    DISCO_CHECK(H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0, "cannot read '%s'", name);
    H5Sclose(space);
    H5Dclose(set);
}

/* The twin's batch, and its tokens' count and width (0 without tokens). */
static void io_sizes(hid_t file, int *batch, int *tokens, int *latent_dim) {
    hsize_t dims[3] = {0};
    hid_t set = H5Dopen2(file, "c_noise", H5P_DEFAULT);
    DISCO_CHECK(set >= 0, "the io file has no dataset 'c_noise'");
    hid_t space = H5Dget_space(set);
    H5Sget_simple_extent_dims(space, dims, NULL);
    *batch = (int)dims[0];
    H5Sclose(space);
    H5Dclose(set);
    *tokens = *latent_dim = 0;
    if (H5Lexists(file, "tokens", H5P_DEFAULT) <= 0) return;
    set = H5Dopen2(file, "tokens", H5P_DEFAULT);
    space = H5Dget_space(set);
    H5Sget_simple_extent_dims(space, dims, NULL);
    *tokens = (int)dims[1], *latent_dim = (int)dims[2];
    H5Sclose(space);
    H5Dclose(set);
}

/* The U-Net under "model", as the trainer builds it, compiled for inference. */
static Network build(AdmUnetConfig c, int batch, int tokens, int latent_dim) {
    c.latent_dim = latent_dim;
    Network net = {.g = graph_create(backend_cpu(), 3), .in = {.class_labels = -1}, .tokens = -1};
    int image[4] = {batch, c.resolution, c.resolution, c.in_channels};
    net.in.x = graph_input(net.g, "x", DTYPE_F32, 4, image, false);
    net.in.c_noise = graph_input(net.g, "c_noise", DTYPE_F32, 1, (int[]){batch}, false);
    net.in.class_labels = graph_input(net.g, "class_labels", DTYPE_F32, 2, (int[]){batch, c.label_dim}, false);
    if (latent_dim > 0)
        net.in.latent_tokens[0] = net.tokens =
            graph_input(net.g, "latent_tokens", DTYPE_F32, 3, (int[]){batch, tokens, latent_dim}, false);
    graph_push_scope(net.g, "model");
    net.output = adm_unet_build(net.g, &c, &net.in).output;
    graph_pop_scope(net.g);
    graph_compile(net.g);
    graph_set_training(net.g, false); /* the twin runs in eval mode: no dropout */
    return net;
}

/* Runs the network on the io file's inputs (tokens: the file's, or random when
   it has none) and compares with its F; true when within TOLERANCE. */
static bool matches_twin(Network *net, hid_t file, const char *what) {
    Graph *g = net->g;
    read_dataset(file, "x", graph_data(g, net->in.x), graph_numel(g, net->in.x));
    read_dataset(file, "c_noise", graph_data(g, net->in.c_noise), graph_numel(g, net->in.c_noise));
    read_dataset(file, "class_labels", graph_data(g, net->in.class_labels), graph_numel(g, net->in.class_labels));
    int tokens = net->tokens;
    if (tokens >= 0 && H5Lexists(file, "tokens", H5P_DEFAULT) > 0)
        read_dataset(file, "tokens", graph_data(g, tokens), graph_numel(g, tokens));
    else if (tokens >= 0)
        fill_normal(graph_data(g, tokens), graph_numel(g, tokens), 5, 1.0f);
    graph_forward(g);
    size_t n = graph_numel(g, net->output);
    float *twin = alloc_zeros(n);
    read_dataset(file, "F", twin, n);
    const float *ours = graph_data(g, net->output);
    double largest = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        largest = fmax(largest, fabs(twin[i]));
        worst = fmax(worst, fabs((double)ours[i] - twin[i]));
    }
    free(twin);
    bool ok = worst <= TOLERANCE * largest && largest > 0;
    printf("%s: max |ours - twin| %.3g, max |twin| %.3g, relative %.3g: %s\n", what, worst, largest,
           worst / largest, ok ? "ok" : "MISMATCH");
    return ok;
}

static bool compare_checkpoint(const AdmUnetConfig *c, const char *checkpoint, hid_t file, int batch) {
    Network base = build(*c, batch, 0, 0);
    checkpoint_load(checkpoint, base.g, NULL, 0);
    bool ok = matches_twin(&base, file, "baseline graph, checkpoint_load");
    Network latent = build(*c, batch, 3, 8);
    int loaded = checkpoint_load_subset(checkpoint, latent.g, true);
    printf("checkpoint_load_subset: %d of %d parameters\n", loaded, graph_param_count(latent.g));
    ok &= loaded == graph_param_count(base.g);
    ok &= matches_twin(&latent, file, "graph with cross-attention, checkpoint_load_subset (EMA)");
    graph_destroy(base.g);
    graph_destroy(latent.g);
    return ok;
}

static bool compare_dump(const AdmUnetConfig *c, const char *dump, hid_t file, int batch, int tokens,
                         int latent_dim) {
    DISCO_CHECK(latent_dim > 0, "the io file for a dump holds no tokens");
    Network net = build(*c, batch, tokens, latent_dim);
    EdmWeightsCount n = edm_weights_load(dump, net.g, c->channels_per_head);
    printf("edm_weights_load: %d tensors, %d left at init, %d filters\n", n.loaded, n.left_at_init, n.filters);
    bool ok = matches_twin(&net, file, "graph with cross-attention, edm_weights_load") && n.left_at_init == 0 &&
              n.loaded == graph_param_count(net.g);
    graph_destroy(net.g);
    return ok;
}

int main(int argc, char **argv) {
    disco_tune_malloc();
    DISCO_CHECK((argc == 4 || argc == 5) && (strcmp(argv[1], "checkpoint") == 0 || strcmp(argv[1], "dump") == 0),
                "usage: edm_twin_compare checkpoint|dump FILE.h5 IO.h5 [PRESET]");
    AdmUnetConfig c = image_model_preset(argc == 5 ? argv[4] : "tiny", 3, false).unet;
    hid_t file = H5Fopen(argv[3], H5F_ACC_RDONLY, H5P_DEFAULT);
    DISCO_CHECK(file >= 0, "cannot open the io file '%s'", argv[3]);
    int batch, tokens, latent_dim;
    io_sizes(file, &batch, &tokens, &latent_dim);
    bool ok = strcmp(argv[1], "checkpoint") == 0 ? compare_checkpoint(&c, argv[2], file, batch)
                                                 : compare_dump(&c, argv[2], file, batch, tokens, latent_dim);
    H5Fclose(file);
    return ok ? 0 : 1;
}
