/* Importers: turn a data set as it is distributed into a data set directory
 * of shards with an index (dataset.h, docs/formats.md).
 *
 * Every format is an ImportSource: a count of images of one shape and a way
 * to load image i. import_dataset cuts the global index [0, N) into shards of
 * shard_images images; shard k holds images [k * shard_images, ...). Under
 * mpirun rank r of W writes shards r, r + W, r + 2W, ... so ranks share the
 * work without talking, and the result does not depend on W.
 *
 * Resumable: each shard is written under a temporary name and renamed when
 * complete, so a shard under its real name is finished. Rerunning the same
 * import after a crash or preemption keeps every finished shard (after
 * checking that it holds what this import would write) and writes the rest;
 * index.h5 is written last, once every shard exists. A directory that
 * already has index.h5 is a finished data set: the import refuses to touch
 * it unless `force`, which first removes the old shards and index. */
#ifndef DISCO_IMPORT_H
#define DISCO_IMPORT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t count;
    int height, width, channels, classes;
    char preprocessing[256], source[256];
    void *state;
    /* Writes image `index` (HWC uint8) and its label in [0, classes). */
    void (*load)(void *state, int64_t index, uint8_t *image, int32_t *label);
    void (*close)(void *state);
    /* load may run on several OpenMP threads at once (decoding files);
       sources that stream one file (.npz) load on one thread. */
    bool threaded;
} ImportSource;

typedef struct {
    const char *out_dir;
    int64_t shard_images; /* images per shard; the last shard may hold fewer */
    int deflate_level;    /* 0: uncompressed */
    bool force;           /* replace a finished data set */
} ImportOptions;

typedef struct {
    int64_t images, shards_written, shards_kept; /* over all ranks */
} ImportReport;

/* Collective: every rank of the job (dist.h) calls it with the same source
   and options. Closes the source. */
ImportReport import_dataset(ImportSource *source, const ImportOptions *options);

/* ---- sources ---- */

typedef struct {
    const char *data_dir; /* the gzip'd IDX files, as the Debian package installs them */
    const char *split;    /* "train" or "t10k" */
    int size;             /* 28 keeps the images; 32 centres them on a black 32x32 canvas */
    bool rgb;             /* repeat the grey value into 3 channels */
} FmnistImport;
ImportSource import_source_fmnist(const FmnistImport *options);

/* An ImageNet-style train folder: one subfolder per class (label = the
   folder's index in sorted order), holding JPEG files (a PNG under a .JPEG
   name, as ImageNet has one, is read as PNG). Every image is made square
   at `resolution` by `preprocess` ("center-crop" or "center-crop-dhariwal"). */
ImportSource import_source_imagenet(const char *train_dir, const char *preprocess, int resolution);

/* A folder of PNG files (searched recursively, taken in sorted order of
   their paths relative to the folder). Labels come from labels_json in
   EDM's dataset.json form, {"labels": [["relative/path.png", label], ...]},
   defaulting to the folder's own dataset.json when present; with none every
   label is 0. resolution 0 keeps the images as they are (all must match
   the first); otherwise each is made square by `preprocess`. */
ImportSource import_source_png_folder(const char *dir, const char *labels_json, const char *preprocess,
                                      int resolution);

/* Downsampled-ImageNet .npz batches, in the order given: 'data' uint8
   [N, 3 * R * R] in CHW order, 'labels' 1-based in [1, 1000]. */
ImportSource import_source_npz(int files, const char *const *paths);

#ifdef __cplusplus
}
#endif

#endif
