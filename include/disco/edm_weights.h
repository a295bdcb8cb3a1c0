/* EDM's pretrained U-Net weights in our graph (docs/weights.md).
 *
 * scripts/edm_export.py dumps an EDM network's state_dict into HDF5 as it is:
 * one float32 dataset per state_dict name at the root, in PyTorch's layout.
 * Each name maps to our parameter "model.<name>" (a name that already starts
 * with "model.", as EDMPrecond's do, is taken as it is); conv weights go from
 * [out, in, kh, kw] to our [out, kh, kw, in], and the fused qkv rows from
 * EDM's [head][channel in head][q | k | v] to our [q | k | v][head][channel].
 * EDM's `resample_filter` buffers are not parameters: they are checked to
 * hold the [1, 1] box filter our down- and upsampling implement.
 *
 * Every tensor of the dump must land on a parameter of the same shape (after
 * the layout change), and every parameter under "model." must come from the
 * dump, except DisCo-Diff's cross-attention layers, which EDM does not have:
 * they keep their initialisation, whose zero output projection makes the
 * network compute EDM's function. Parameters outside "model." (the encoder,
 * the latent transformer) are not the dump's business. Anything else is
 * fatal, naming the file and the tensors. */
#ifndef DISCO_EDM_WEIGHTS_H
#define DISCO_EDM_WEIGHTS_H

#include <stddef.h>

#include "disco/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int loaded;           /* parameters the dump provides */
    size_t loaded_floats; /* their elements */
    int left_at_init;     /* cross-attention parameters it does not */
    int filters;          /* resample_filter buffers checked */
} EdmWeightsCount;

/* Names and shapes only: g need not be compiled, so a dump can be checked
   against the full-size network without allocating it. channels_per_head is
   the U-Net's (AdmUnetConfig): qkv's rows must split into such heads. */
EdmWeightsCount edm_weights_check(const char *dump_path, const Graph *g, int channels_per_head);
/* The same checks, then every tensor into g's (compiled) parameters in our
   layout. Nothing is written unless all checks pass. */
EdmWeightsCount edm_weights_load(const char *dump_path, Graph *g, int channels_per_head);

#ifdef __cplusplus
}
#endif

#endif
