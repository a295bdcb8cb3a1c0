/* disco weights import-edm: EDM's pretrained U-Net weights, dumped by
   scripts/edm_export.py, into a checkpoint of ours (docs/weights.md). The
   model is built as stage 1 trains it (image_build_training), so the
   checkpoint's names are the trainer's. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "disco/checkpoint.h"
#include "disco/edm_weights.h"
#include "disco/image_model.h"

typedef struct {
    const char *dump, *model, *out;
    int channels; /* 0: the preset's own */
    uint64_t seed;
    bool latents, check_only;
} ImportEdmArgs;

static int usage_error(const char *message, const char *detail) {
    fprintf(stderr, "disco weights: %s%s (see 'disco weights --help')\n", message, detail);
    return 2;
}

/* argv[0] is "import-edm". Returns 0, or the exit status of a usage error. */
static int parse_import_edm(int argc, char **argv, ImportEdmArgs *a) {
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        bool takes_value = strcmp(o, "--model") == 0 || strcmp(o, "--out") == 0 || strcmp(o, "--channels") == 0 ||
                           strcmp(o, "--seed") == 0;
        if (takes_value && i + 1 >= argc) return usage_error("missing the value of ", o);
        if (strcmp(o, "--model") == 0)
            a->model = argv[++i];
        else if (strcmp(o, "--out") == 0)
            a->out = argv[++i];
        else if (strcmp(o, "--channels") == 0)
            a->channels = atoi(argv[++i]);
        else if (strcmp(o, "--seed") == 0)
            a->seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(o, "--latents") == 0)
            a->latents = true;
        else if (strcmp(o, "--check-only") == 0)
            a->check_only = true;
        else if (strncmp(o, "--", 2) != 0 && !a->dump)
            a->dump = o;
        else
            return usage_error("bad option ", o);
    }
    if (!a->dump || !a->model) return usage_error("needs DUMP.h5 and --model NAME", "");
    if (!a->out && !a->check_only) return usage_error("needs --out FILE.h5, or --check-only", "");
    return 0;
}

static int import_edm(const ImportEdmArgs *a) {
    int channels = a->channels ? a->channels : strcmp(a->model, "fmnist") == 0 ? 1 : 3;
    ImageModelConfig config = image_model_preset(a->model, channels, a->latents);
    Graph *g = graph_create(backend_cpu(), a->seed);
    image_build_training(g, &config, 1);
    const char *network = a->latents ? "U-Net with cross-attention" : "U-Net";
    EdmWeightsCount n;
    if (a->check_only) {
        /* Not compiled: the names and shapes need no memory, even at 296M parameters. */
        n = edm_weights_check(a->dump, g, config.unet.channels_per_head);
        printf("import-edm: '%s' matches the %s %s: %d parameters (%zu floats) and %d resampling filters; "
               "%d cross-attention parameters would stay at their initialisation; nothing written\n",
               a->dump, a->model, network, n.loaded, n.loaded_floats, n.filters, n.left_at_init);
    } else {
        graph_compile(g);
        n = edm_weights_load(a->dump, g, config.unet.channels_per_head);
        /* EDM's snapshots hold its EMA: it is both the weights and the EMA here. */
        checkpoint_save(a->out, g, graph_params(g, NULL), &(CheckpointInfo){0});
        printf("import-edm: '%s' -> '%s' (%s %s): %d parameters (%zu floats) from the dump, %d resampling filters "
               "checked, %d cross-attention parameters at their initialisation, %d parameters in all\n",
               a->dump, a->out, a->model, network, n.loaded, n.loaded_floats, n.filters, n.left_at_init,
               graph_param_count(g));
    }
    graph_destroy(g);
    return 0;
}

int command_weights(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "import-edm") != 0)
        return usage_error("unknown subcommand ", argc < 2 ? "(none)" : argv[1]);
    ImportEdmArgs a = {.seed = 1};
    int status = parse_import_edm(argc - 1, argv + 1, &a);
    return status ? status : import_edm(&a);
}
