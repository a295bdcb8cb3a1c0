/* Feature statistics of uint8 images and the Fréchet distance between them
 * (docs/fid.md): the two feature networks, the inputs `disco fid` reads, and
 * the statistics files. Sampling calls fid_stats_of_images on the images it
 * has just made; `disco fid` calls fid_stats_of_path.
 *
 * Networks:
 *   "inception"  FID: Inception-v3's 2048 pool features (inception.h), weights
 *                from scripts/inception_export.py; any image size, grey
 *                repeated to RGB.
 *   "fmnist"     FD on Fashion-MNIST: the classifier's 128 penultimate
 *                features (models.h), weights from `disco classify --save`;
 *                images of at most 32x32, centred on a black canvas, RGB
 *                made grey as PIL's convert('L') does.
 * Both run on the CPU backend. */
#ifndef DISCO_FID_RUN_H
#define DISCO_FID_RUN_H

#include <stdint.h>

#include "disco/frechet.h"

typedef struct {
    const char *network; /* "inception" or "fmnist" */
    const char *weights; /* the network's weights file */
    int batch;           /* images per forward pass; 0: the network's default */
} FidOptions;

typedef struct FidNetwork FidNetwork;

/* The network for images of height x width x channels (1 or 3); `images`
   names them in error messages (a file, a folder, "samples"). */
FidNetwork *fid_network_open(const FidOptions *options, int height, int width, int channels, const char *images);
void fid_network_close(FidNetwork *n);
int fid_network_dim(const FidNetwork *n);
/* "inception-2015-12-05" or "fmnist-classifier": stored with the statistics. */
const char *fid_network_name(const FidNetwork *n);
/* Adds the features of count images [count, height, width, channels]. */
void fid_network_add(FidNetwork *n, FeatureStats *stats, const uint8_t *images, int64_t count);

/* Collective over the MPI world: each rank passes its own images (any
   number, none included) and every rank gets the statistics of them all. */
FrechetStats fid_stats_of_images(FidNetwork *n, const uint8_t *images, int64_t count);

/* Collective: the statistics of the images at path, each rank reading and
   running a contiguous slice. path is a folder of PNGs (searched
   recursively, in sorted order: EDM's seed folders), an .npz holding arr_0
   uint8 [N, H, W, C] (the ADM evaluator's form), or a data set directory or
   shard of ours (dataset.h). */
FrechetStats fid_stats_of_path(const char *path, const FidOptions *options);

/* EDM's reference .npz or our HDF5 (with N and the network's name), chosen
   by the file name's ending: .npz, or .h5 / .hdf5; any other name is fatal
   (fid_stats_check_name checks one before anything is computed). */
void fid_stats_check_name(const char *path);
/* The Fréchet distance of stats from ref, read from ref_path. A reference
   of other features gives a meaningless number: refused, naming the file,
   as EDM's fid.py would fail on a shape mismatch. */
double fid_distance(const FrechetStats *stats, const FrechetStats *ref, const char *ref_path);
/* Collective: the statistics of the images at path (fid_stats_of_path) and
   their distance to ref, the same on every rank. *count: the images. */
double fid_distance_of_path(const char *path, const FidOptions *options, const FrechetStats *ref,
                            const char *ref_path, int64_t *count);
void fid_stats_save(const char *path, const FrechetStats *stats);
FrechetStats fid_stats_load(const char *path);

#endif
