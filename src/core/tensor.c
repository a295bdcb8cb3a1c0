#include "disco/tensor.h"

#include <stdio.h>

#include "disco/error.h"

Tensor tensor_view(void *data, DType dtype, Device device, int ndim, const int *shape) {
    DISCO_CHECK(ndim >= 0 && ndim <= TENSOR_MAX_DIMS, "tensor rank %d is outside 0..%d", ndim, TENSOR_MAX_DIMS);
    Tensor t = {.data = data, .ndim = ndim, .dtype = dtype, .device = device};
    for (int i = 0; i < ndim; i++) {
        DISCO_CHECK(shape[i] > 0, "tensor dimension %d is %d; dimensions must be positive", i, shape[i]);
        t.shape[i] = shape[i];
    }
    return t;
}

size_t tensor_numel(const Tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

size_t dtype_size(DType dtype) {
    switch (dtype) {
    case DTYPE_F32: return 4;
    case DTYPE_BF16: return 2;
    case DTYPE_I32: return 4;
    case DTYPE_U8: return 1;
    }
    DISCO_FATAL("unknown dtype %d", (int)dtype);
}

size_t tensor_bytes(const Tensor *t) { return tensor_numel(t) * dtype_size(t->dtype); }

const char *dtype_name(DType dtype) {
    static const char *names[] = {"f32", "bf16", "i32", "u8"};
    return (unsigned)dtype < 4 ? names[dtype] : "unknown";
}

const char *device_name(Device device) { return device == DEVICE_CPU ? "cpu" : "cuda"; }

const char *tensor_shape_string(const Tensor *t, char *buf, size_t size) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < t->ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ", %d" : "%d", t->shape[i]);
    if (used < size) snprintf(buf + used, size - used, "]");
    return buf;
}
