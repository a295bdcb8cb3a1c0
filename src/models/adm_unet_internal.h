/* The ADM U-Net's layers and residual block, shared by its topology
   (adm_unet.c) and built in adm_unet_blocks.c. */
#ifndef DISCO_ADM_UNET_INTERNAL_H
#define DISCO_ADM_UNET_INTERNAL_H

#include <stdbool.h>

#include "disco/adm_unet.h"

/* EDM's two initialisations: kaiming-uniform times sqrt(1/3), i.e. weights
   and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)); and all zeros, for the
   layers that end a residual branch. */
typedef enum { ADM_INIT_UNIFORM, ADM_INIT_ZERO } AdmInit;
typedef enum { ADM_WITHOUT_BIAS, ADM_WITH_BIAS } AdmBias;
typedef enum { ADM_RESAMPLE_NONE, ADM_RESAMPLE_DOWN, ADM_RESAMPLE_UP } AdmResample;

int adm_channels(const Graph *g, int x); /* the last dimension */

/* Parameters "<scope>.weight" and "<scope>.bias". Conv weights are
   [out, k, k, in] with k 1 or 3. */
int adm_linear(Graph *g, const char *scope, int x, int out, AdmBias bias, AdmInit init);
int adm_conv(Graph *g, const char *scope, int x, int out, int kernel, AdmInit init);
/* EDM's GroupNorm: min(32, C/4) groups, eps 1e-5, gamma 1, beta 0. */
int adm_group_norm(Graph *g, const char *scope, int x);

typedef struct {
    int out_channels;
    AdmResample resample;
    bool attention;
    int latent_tokens; /* [B, m, latent_dim] for a cross-attention after the self-attention, or -1 */
} AdmBlockSpec;

/* EDM's UNetBlock (adaptive scale, skip scale 1) under the current scope;
   emb is the mapping network's output [B, emb_channels]. */
int adm_unet_block(Graph *g, const AdmUnetConfig *c, int x, int emb, const AdmBlockSpec *spec);

#endif
