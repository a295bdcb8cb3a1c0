/* The second stage: an autoregressive prior p(z | class) over m discrete
 * latents with k values each (DisCo-Diff §3.1, eq. 4): a decoder-only
 * transformer built from the graph ops.
 *
 * The sequence fed in is [c, z_0, ..., z_{m-2}] and the target at position i
 * is z_i, so position 0 holds the class token (or one start token for an
 * unconditional prior) and the prior is conditioned on the class through
 * causal attention to it. Token ids: latent values 0..k-1, then class tokens
 * k..k+classes-1 (or the start token k). For m = 1 the model reduces to a
 * categorical over k values per class, through the same code. */
#ifndef DISCO_PRIOR_H
#define DISCO_PRIOR_H

#include <stdint.h>

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int m, k;
    int classes; /* 0: unconditional */
    int width, depth, heads;
    int mlp_ratio; /* MLP hidden width = mlp_ratio * width */
    float dropout;
} PriorConfig;

typedef struct {
    Graph *g;
    PriorConfig config;
    int batch;
    int tokens;       /* input i32 [B, m]: the shifted sequence above */
    int targets;      /* input i32 [B, m]: z */
    int logits;       /* f32 [B, m, k] */
    int loss;         /* f32 [B * m] cross-entropy per token (the graph's loss) */
    int32_t *staging; /* host [2, B, m]: tokens then targets, uploaded by prior_feed */
} Prior;

/* The paper's prior (DisCo-Diff App. D.1: a 12-layer decoder, 8 heads,
   width 512) over m = 10 latents of k = 100 values, conditioned on the 1000
   ImageNet classes, at 64x64 and 128x128 alike. */
PriorConfig prior_imagenet(void);
/* The same over the group-hierarchical variant's m = 30 latents. */
PriorConfig prior_imagenet64_hierarchical(void);
/* A small prior for Fashion-MNIST's 10 classes, matching vit_encoder_fmnist(). */
PriorConfig prior_fmnist(void);
/* The tiny image preset's prior (image_model_tiny: 4 latents of 5 values, 3 classes). */
PriorConfig prior_tiny(void);
/* The prior of an image model preset, by the same names as image_model_preset. */
PriorConfig prior_preset(const char *name);

/* Builds and compiles a prior graph for a fixed batch on backend be. */
Prior prior_create(Backend *be, const PriorConfig *config, int batch, uint64_t seed);
/* The graph alone, not compiled and without the staging buffer: for
   inspecting a configuration (names, parameter counts) without allocating it.
   prior_destroy frees it. */
Prior prior_build(Backend *be, const PriorConfig *config, int batch, uint64_t seed);
void prior_destroy(Prior *p);

/* Fills tokens and targets from latents [count, m] and labels [count]
   (labels ignored, may be NULL, when unconditional), 1 <= count <= batch.
   Rows past count repeat row 0 so that every input stays a valid token; their
   outputs are meaningless and their losses are not masked, so training passes
   count == batch and sampling reads rows [0, count) only. */
void prior_feed(Prior *p, const int32_t *latents, const int32_t *labels, int count);

typedef struct {
    int steps;
    float lr;
    int rampup_steps; /* linear learning-rate ramp from 0; then a half cosine to 0 at `steps` */
    uint64_t seed;    /* data order */
} PriorTrainConfig;

/* Trains on n examples (latents [n, m], labels [n]) with Adam; batches are
   drawn by a Philox-keyed permutation per epoch. Returns the mean loss over
   the last 10% of steps (nats per latent). */
double prior_train(Prior *p, const int32_t *latents, const int32_t *labels, int n, const PriorTrainConfig *tc);

/* Draws n latent sequences [n, m] given labels (ignored when unconditional),
   token by token with logits / temperature and Gumbel-max; sample r's draws
   come from the key's row first_sample + r, so a sample never depends on
   its batch. */
void prior_sample(Prior *p, const int32_t *labels, int n, float temperature, uint64_t seed, uint32_t first_sample,
                  int32_t *latents);

#ifdef __cplusplus
}
#endif

#endif
