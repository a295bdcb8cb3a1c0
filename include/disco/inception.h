/* FID's feature network on our ops: Inception-v3 as the 2015 TensorFlow
 * graph (inception-2015-12-05) that every FID number is computed with, in the
 * form EDM's inception-2015-12-05.pkl and pytorch-fid's FIDInception blocks
 * give it. Forward only. docs/fid_inception.md has the architecture, the
 * ways it differs from torchvision's Inception3, and how it was checked.
 *
 * Input: uint8 RGB images of any size, packed by inception_pack_images as
 * (pixel - 128) / 128 into f32 [B, H, W, 3]. The graph resizes them to
 * 299x299 (ops.h, resize_bilinear: the grid of EDM's network), runs the trunk
 * and averages the last 8x8 map: output f32 [B, 2048], the pool features.
 * EDM's network normalises after resizing; the resize's weights sum to one,
 * so normalising first, while packing, gives the same values.
 *
 * Parameters: every conv of the network (94, in pytorch-fid's names) is a
 * conv followed by an eval-mode BatchNorm (eps 0.001) and a ReLU. The
 * BatchNorm is folded into the conv when weights are loaded, so our
 * parameters are, for each conv "<layer>" (e.g. "Mixed_5b.branch5x5_2"):
 *
 *   <layer>.conv.weight [out, kh, kw, in] = W[o, i, y, x] * s[o]
 *   <layer>.conv.bias   [out]             = beta[o] - mean[o] * s[o]
 *   with s[o] = gamma[o] / sqrt(var[o] + 0.001),
 *
 * W = PyTorch's <layer>.conv.weight [out, in, kh, kw], gamma, beta, mean,
 * var = <layer>.bn.weight, .bn.bias, .bn.running_mean, .bn.running_var. */
#ifndef DISCO_INCEPTION_H
#define DISCO_INCEPTION_H

#include <stdint.h>

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

#define INCEPTION_SIZE 299      /* every image is resized to this before the trunk */
#define INCEPTION_FEATURES 2048 /* length of the pool feature vector */
#define INCEPTION_BN_EPS 0.001f /* TensorFlow's BatchNorm epsilon in this graph */
#define INCEPTION_CONVS 94

typedef struct {
    int images;   /* input f32 [B, H, W, 3]: inception_pack_images's output */
    int features; /* f32 [B, 2048] */
} Inception;

/* Adds the network for `batch` images of height x width to g, at the root
   scope, and sets g to inference (graph_set_training false). Until weights
   are loaded the convs hold He-initialised random weights and zero biases,
   which keeps features of order one for tests and timings. */
Inception inception_build(Graph *g, int batch, int height, int width);

/* count uint8 images [count, height, width, channels] (channels 3, or 1 for
   grey, repeated to RGB as EDM's fid.py does) into the input:
   dst[count, height, width, 3] = (pixel - 128) / 128. */
void inception_pack_images(float *dst, const uint8_t *images, int count, int height, int width, int channels);

/* Reads an HDF5 file of PyTorch-layout tensors, one dataset per name above
   (scripts/inception_export.py writes it), into g's compiled parameters,
   folding each BatchNorm into its conv. g holds an inception_build network
   and nothing else. The file must hold every tensor with its shape and no
   other dataset, every value finite, every variance >= 0: anything else is
   fatal, naming the file and the tensor (and the element). Returns the
   number of convs loaded. */
int inception_load_weights(Graph *g, const char *path);

#ifdef __cplusplus
}
#endif

#endif
