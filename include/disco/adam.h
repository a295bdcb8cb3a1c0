/* Adam (Kingma & Ba) over one flat parameter buffer, as torch.optim.Adam
 * without weight decay, which is what EDM trains with.
 *
 * Before each update, non-finite gradients are replaced as EDM does
 * (torch.nan_to_num(grad, nan=0, posinf=1e5, neginf=-1e5)), in place, so
 * one bad sample cannot poison the moments.
 *
 * This version runs on host memory: params, grads and the moments must be
 * CPU buffers (the CPU backend's graph buffers are). */
#ifndef DISCO_ADAM_H
#define DISCO_ADAM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    float beta1, beta2, eps;
    size_t n;
    float *m, *v;  /* first and second moments, n floats each */
    uint64_t step; /* updates taken so far; drives the bias correction */
} Adam;

/* Moments start at zero; beta1 0.9, beta2 0.999, eps 1e-8 (change the fields
   before the first step to use others). */
Adam *adam_create(size_t n);
void adam_destroy(Adam *a);

/* One update of params[n] from grads[n] with learning rate lr (the caller
   applies any ramp-up or decay). Allocates nothing. */
void adam_step(Adam *a, float *params, float *grads, float lr);

#ifdef __cplusplus
}
#endif

#endif
