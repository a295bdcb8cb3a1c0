/* Pieces shared by the model's transformers (the AR prior, the ViT encoder,
 * the latent transformer), so that all three build one block the same way
 * and name its parameters alike.
 *
 * Initialisation, and why:
 *  - linear weights U(-b, b) with variance 1/fan_in (PyTorch's default
 *    scale), biases 0; layer norms gamma 1, beta 0;
 *  - the last linear of each residual branch (attn.proj, mlp.fc2) scaled by
 *    TransformerShape.residual_init: 0 starts every block as the identity,
 *    so depth does not change the initial signal (GPT-2's 1/sqrt(2 depth)
 *    taken to its limit), right where the input already carries what the
 *    output needs (the prior, the latent transformer); an encoder whose
 *    output tokens are learned queries reads the image only through
 *    attention, so there identity blocks would hide the image from the
 *    output until training happened to grow them (vit_encoder.c). */
#ifndef DISCO_MODELS_TRANSFORMER_H
#define DISCO_MODELS_TRANSFORMER_H

#include <stdbool.h>

#include "disco/graph.h"

/* Embeddings, position tables and learned tokens: N(0, 0.02^2), as GPT-2,
   small next to the unit scale the first layer norm brings them to. */
#define TRANSFORMER_EMBED_INIT ((Init){INIT_NORMAL, 0.02f, 0})

typedef struct {
    int width, heads;
    int mlp_ratio;  /* MLP hidden width = mlp_ratio * width */
    float dropout;  /* on each residual branch; 0 for none */
    bool causal;
    float residual_init; /* scale of attn.proj and mlp.fc2 at init; 0: zero */
} TransformerShape;

/* Checks the shape, naming the model in the message. */
void transformer_check_shape(const TransformerShape *s, int depth, const char *model);

/* A linear with bias under `scope` (scope.weight [out, in], scope.bias [out]):
   weights U(-b, b) of variance weight_scale^2 / fan_in (0: zero), biases 0. */
int transformer_linear(Graph *g, const char *scope, int x, int out, float weight_scale);
int transformer_layer_norm(Graph *g, const char *scope, int x);

/* `depth` pre-LN blocks on x [B, ..., width] (each x + attn(ln_1(x)), then
   x + mlp(ln_2(x)), GELU in the MLP), named blocks.0, blocks.1, ... */
int transformer_blocks(Graph *g, int x, const TransformerShape *s, int depth);

#endif
