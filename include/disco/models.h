/* Model builders: each adds one network to a graph and returns the ids of the
 * tensors a caller feeds and reads. Parameter names follow PyTorch's dotted
 * style under the scope that is current when the builder is called. */
#ifndef DISCO_MODELS_H
#define DISCO_MODELS_H

#include <stdint.h>

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- image classifier (Fashion-MNIST; its features define FD there) ----
 *
 * Grey 32x32 images in [-1, 1], NHWC [B, 32, 32, 1]. One stage per
 * resolution 32, 16, 8, 4: conv3x3 -> group norm -> SiLU, then a 2x box
 * downsample; a last downsample takes the 2x2 map to 1x1, so the two after
 * the 4x4 stage are its global average pool (the graph has no reshape or
 * pooling op, and a linear acts on the last dimension only). Then
 * linear -> SiLU gives the penultimate features and a linear the logits. */

#define CLASSIFIER_SIZE 32
#define CLASSIFIER_CLASSES 10

typedef struct {
    int batch;
    int width;    /* channels of the 32x32 stage, doubling at each stage after (a multiple of 8) */
    int features; /* length of the penultimate feature vector */
} ClassifierConfig;

typedef struct {
    int images;   /* input f32 [B, 32, 32, 1] */
    int labels;   /* input i32 [B] */
    int features; /* f32 [B, 1, 1, features]: what FD is computed on */
    int logits;   /* f32 [B, 1, 1, 10] */
    int loss;     /* f32 [B] cross-entropy per image, already the graph's loss */
} Classifier;

/* The defaults `disco classify` trains. */
ClassifierConfig classifier_default_config(int batch);
Classifier classifier_build(Graph *g, const ClassifierConfig *config);

/* One uint8 image of at most 32x32 into the classifier's input: centred on a
   black (pixel 0) 32x32 canvas, then scaled to [-1, 1]. dst holds 32*32 floats. */
void classifier_pack_image(float *dst, const uint8_t *image, int height, int width);

#ifdef __cplusplus
}
#endif

#endif
