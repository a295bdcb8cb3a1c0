/* What disco sample writes into its output directory:
     000000/000123.png   one PNG per seed, EDM's layout (the folder is the
                         seed rounded down to a thousand, six digits)
     grid.png            the first images side by side, for people
     samples.npz         the ADM evaluator's batch: arr_0 uint8 [N, H, W, 3]
                         (grey repeated into 3 channels), arr_1 int64
                         labels [N], in the order of the seed list */
#ifndef DISCO_SAMPLE_OUTPUT_H
#define DISCO_SAMPLE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "disco/seeds.h"

void sample_png_path(char *path, size_t size, const char *dir, uint32_t seed);

/* An image in [-1, 1] (HWC, doubles) as EDM stores it, uint8 =
   clip(x * 127.5 + 128, 0, 255) truncated; its folder is created, and the
   PNG is written under a temporary name and renamed, so a PNG that exists is
   whole. A non-finite pixel is fatal, naming the seed. */
void sample_write_png(const char *dir, uint32_t seed, const double *image, int side, int channels);

/* grid.png (grid x grid images; 0: none) and samples.npz, from the PNGs of
   every seed of the list, so that images of an earlier, interrupted run are
   in them too. labels[i] is seed i's class. One rank calls it, after every
   rank has written its PNGs. */
void sample_collect(const char *dir, const SeedList *seeds, const int32_t *labels, int grid);

#endif
