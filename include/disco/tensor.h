/* A view of memory with a shape. Feature maps are NHWC, so [B, H, W, C] is
   also the token sequence [B, H*W, C]. Tensors never own their memory. */
#ifndef DISCO_TENSOR_H
#define DISCO_TENSOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { DTYPE_F32, DTYPE_BF16, DTYPE_I32, DTYPE_U8 } DType;
typedef enum { DEVICE_CPU, DEVICE_CUDA } Device;

#define TENSOR_MAX_DIMS 4

typedef struct {
    void *data;
    int ndim;
    int shape[TENSOR_MAX_DIMS];
    DType dtype;
    Device device;
} Tensor;

Tensor tensor_view(void *data, DType dtype, Device device, int ndim, const int *shape);
size_t tensor_numel(const Tensor *t);
size_t tensor_bytes(const Tensor *t);
size_t dtype_size(DType dtype);
const char *dtype_name(DType dtype);
const char *device_name(Device device);
/* "[8, 16, 16, 576]" into buf; returns buf. */
const char *tensor_shape_string(const Tensor *t, char *buf, size_t size);

static inline float *tensor_f32(const Tensor *t) { return (float *)t->data; }

#ifdef __cplusplus
}
#endif

#endif
