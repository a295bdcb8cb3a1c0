/* disco data import / verify: make data sets from distributed formats, and
   check data sets before a run relies on them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "disco/dataset.h"
#include "disco/dist.h"
#include "disco/import.h"
#include "disco/shards.h"

static int bad_option(const char *option) {
    fprintf(stderr, "disco data: bad option '%s' (see 'disco data --help')\n", option);
    return 2;
}

typedef struct {
    FmnistImport fmnist;
    ImportOptions out;
    const char *imagenet, *png_folder, *labels, *preprocess;
    const char **npz;
    int npz_files, resolution;
    bool use_fmnist;
} ImportArgs;

static int formats_named(const ImportArgs *a) {
    return a->use_fmnist + (a->imagenet != NULL) + (a->png_folder != NULL) + (a->npz_files > 0);
}

/* Returns 0, or the exit status of a usage error. */
static int parse_import(int argc, char **argv, ImportArgs *a) {
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char **text = strcmp(o, "--data") == 0         ? &a->fmnist.data_dir
                            : strcmp(o, "--split") == 0      ? &a->fmnist.split
                            : strcmp(o, "--out") == 0        ? &a->out.out_dir
                            : strcmp(o, "--imagenet") == 0   ? &a->imagenet
                            : strcmp(o, "--png-folder") == 0 ? &a->png_folder
                            : strcmp(o, "--labels") == 0     ? &a->labels
                            : strcmp(o, "--preprocess") == 0 ? &a->preprocess
                                                             : NULL;
        int *number = strcmp(o, "--size") == 0         ? &a->fmnist.size
                      : strcmp(o, "--resolution") == 0 ? &a->resolution
                      : strcmp(o, "--deflate") == 0    ? &a->out.deflate_level
                                                       : NULL;
        if (text || number || strcmp(o, "--shard-images") == 0) {
            if (i + 1 >= argc) return bad_option(o);
            const char *value = argv[++i];
            if (text)
                *text = value;
            else if (number)
                *number = atoi(value);
            else
                a->out.shard_images = strtoll(value, NULL, 10);
        } else if (strcmp(o, "--npz") == 0) {
            a->npz = (const char **)argv + i + 1;
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) i++, a->npz_files++;
            if (a->npz_files == 0) return bad_option(o);
        } else if (strcmp(o, "--fmnist") == 0) {
            a->use_fmnist = true;
        } else if (strcmp(o, "--rgb") == 0) {
            a->fmnist.rgb = true;
        } else if (strcmp(o, "--force") == 0) {
            a->out.force = true;
        } else {
            return bad_option(o);
        }
    }
    if (formats_named(a) != 1 || !a->out.out_dir) {
        fprintf(stderr, "disco data import: needs one of --fmnist, --imagenet DIR, --png-folder DIR, --npz FILE...,"
                        " and --out DIR (see 'disco data --help')\n");
        return 2;
    }
    return 0;
}

static ImportSource open_source(const ImportArgs *a) {
    if (a->use_fmnist) return import_source_fmnist(&a->fmnist);
    if (a->imagenet) return import_source_imagenet(a->imagenet, a->preprocess, a->resolution);
    if (a->png_folder) return import_source_png_folder(a->png_folder, a->labels, a->preprocess, a->resolution);
    return import_source_npz(a->npz_files, a->npz);
}

static int data_import(int argc, char **argv) {
    ImportArgs a = {.fmnist = {.data_dir = "/usr/share/datasets/fashion-mnist", .split = "train", .size = 32},
                    .out = {.shard_images = 10000},
                    .preprocess = "center-crop"};
    int usage = parse_import(argc, argv, &a);
    if (usage) return usage;
    dist_init(&argc, &argv);
    ImportSource source = open_source(&a);
    ShardInfo shape = {.height = source.height, .width = source.width, .channels = source.channels,
                       .classes = source.classes};
    ImportReport r = import_dataset(&source, &a.out);
    if (dist_rank() == 0)
        printf("import: %" PRId64 " images (%dx%dx%d, %d classes) in %" PRId64 " shards (%" PRId64
               " written, %" PRId64 " kept from an earlier run) by %d rank%s; wrote %s\n",
               r.images, shape.height, shape.width, shape.channels, shape.classes, r.shards_written + r.shards_kept,
               r.shards_written, r.shards_kept, dist_world(), dist_world() > 1 ? "s" : "", a.out.out_dir);
    dist_finalize();
    return 0;
}

/* A bad file is fatal inside dataset_open or dataset_verify, with its name;
   the paths before it have already been reported. */
static int data_verify(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "disco data verify: needs at least one data set directory or shard file\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        Dataset *d = dataset_open(argv[i]);
        ShardInfo info = *dataset_info(d);
        int shards = dataset_shards(d);
        dataset_close(d);
        dataset_verify(argv[i]);
        printf("%s: N %" PRId64 " in %d shard%s, shape %dx%dx%d, classes %d: ok\n", argv[i], info.count, shards,
               shards > 1 ? "s" : "", info.height, info.width, info.channels, info.classes);
    }
    return 0;
}

int command_data(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "import") == 0) return data_import(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "verify") == 0) return data_verify(argc - 1, argv + 1);
    fprintf(stderr, "disco data: expected 'import' or 'verify' (see 'disco data --help')\n");
    return 2;
}
