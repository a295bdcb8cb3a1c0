/* disco data import / verify: make shards from distributed datasets, and
   check shards before a run relies on them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "disco/import.h"
#include "disco/shards.h"

static int bad_option(const char *option) {
    fprintf(stderr, "disco data: bad option '%s' (see 'disco data --help')\n", option);
    return 2;
}

static int data_import(int argc, char **argv) {
    FmnistImport o = {.data_dir = "/usr/share/datasets/fashion-mnist", .split = "train", .size = 32};
    const char *out = NULL;
    int fmnist = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* Options that take a value consume the next argument. */
        const char **value = strcmp(a, "--data") == 0 ? &o.data_dir
                             : strcmp(a, "--split") == 0 ? &o.split
                             : strcmp(a, "--out") == 0   ? &out
                                                         : NULL;
        if (value || strcmp(a, "--size") == 0) {
            if (i + 1 >= argc) return bad_option(a);
            if (value)
                *value = argv[++i];
            else
                o.size = atoi(argv[++i]);
        } else if (strcmp(a, "--fmnist") == 0) {
            fmnist = 1;
        } else if (strcmp(a, "--rgb") == 0) {
            o.rgb = true;
        } else if (strcmp(a, "--force") == 0) {
            o.force = true;
        } else {
            return bad_option(a);
        }
    }
    if (!fmnist || !out) {
        fprintf(stderr, "disco data import: needs --fmnist and --out FILE (see 'disco data --help')\n");
        return 2;
    }
    int64_t count = import_fmnist(&o, out);
    printf("import: %" PRId64 " images (%dx%dx%d) from Fashion-MNIST %s; wrote %s\n", count, o.size, o.size,
           o.rgb ? 3 : 1, o.split, out);
    return 0;
}

/* A bad file is fatal inside shard_open or shard_verify, with its name;
   the files before it have already been reported. */
static int data_verify(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "disco data verify: needs at least one FILE\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        Shard *shard = shard_open(argv[i]);
        ShardInfo info = *shard_info(shard);
        shard_close(shard);
        shard_verify(argv[i]);
        printf("%s: N %" PRId64 ", shape %dx%dx%d, classes %d: ok\n", argv[i], info.count, info.height,
               info.width, info.channels, info.classes);
    }
    return 0;
}

int command_data(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "import") == 0) return data_import(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "verify") == 0) return data_verify(argc - 1, argv + 1);
    fprintf(stderr, "disco data: expected 'import' or 'verify' (see 'disco data --help')\n");
    return 2;
}
