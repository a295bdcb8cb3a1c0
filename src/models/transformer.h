/* Pieces shared by the model's transformers (the AR prior, the ViT encoder,
 * the latent transformer), so that all three build one block the same way
 * and name its parameters alike.
 *
 * Initialisation, and why:
 *  - linear weights U(-b, b) with variance 1/fan_in (PyTorch's default
 *    scale), biases 0; layer norms gamma 1, beta 0;
 *  - the last linear of each residual branch (attn.proj, mlp.fc2) at zero,
 *    so every block starts as the identity and depth does not change the
 *    initial signal (GPT-2's 1/sqrt(2 depth) scaling taken to its limit). */
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
} TransformerShape;

/* Checks the shape, naming the model in the message. */
void transformer_check_shape(const TransformerShape *s, int depth, const char *model);

/* A linear with bias under `scope` (scope.weight [out, in], scope.bias [out]);
   zero_weight starts it at zero. */
int transformer_linear(Graph *g, const char *scope, int x, int out, bool zero_weight);
int transformer_layer_norm(Graph *g, const char *scope, int x);

/* `depth` pre-LN blocks on x [B, ..., width] (each x + attn(ln_1(x)), then
   x + mlp(ln_2(x)), GELU in the MLP), named blocks.0, blocks.1, ... */
int transformer_blocks(Graph *g, int x, const TransformerShape *s, int depth);

#endif
