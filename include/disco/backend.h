/* A backend is a device plus the op table that runs on it. Models and the
   graph call ops only through be->ops, so they never know which device runs. */
#ifndef DISCO_BACKEND_H
#define DISCO_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "disco/ops.h"
#include "disco/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PRECISION_FP32, /* fp32 everywhere (the CPU, and the GPU parity mode) */
    PRECISION_BF16, /* GPU: bf16 tensor-core matmuls with fp32 accumulation */
} Precision;

struct Backend {
    Device device;
    Precision precision;
    const OpTable *ops;
    void *impl; /* device state: handles, streams */
};

Backend *backend_cpu(void);

/* True when this build has CUDA and a usable device is present. */
bool backend_cuda_available(void);
/* CUDA devices this process sees (0 without CUDA or a driver). */
int backend_cuda_device_count(void);
/* The device a rank drives: its local rank (dist.h) modulo the devices it
   sees, so that one GPU per task (srun --gpus-per-task=1: always device 0)
   and every GPU of the node per rank (mpirun: local rank i takes GPU i)
   both work. -1 when there is none. */
int backend_cuda_device_for(int local_rank);
/* NULL with *why set when there is no CUDA build or no usable device. */
Backend *backend_cuda_create(int device_index, Precision precision, const char **why);
void backend_cuda_destroy(Backend *be);
/* The stream (a cudaStream_t) every op of a CUDA backend runs on, for work
   that must order itself after the ops (comm_follow_stream); NULL for any
   other backend. */
void *backend_cuda_stream(const Backend *be);

const char *precision_name(Precision p);

/* Host memory that the GPU copies from by DMA, without a staging copy:
   page-locked (cudaHostAlloc, usable from every device) in a CUDA build
   with a device present, plain malloc otherwise (with a warning when a CUDA
   build finds no device). Never NULL; free it with host_free_pinned only. */
void *host_alloc_pinned(size_t bytes, const char *what);
void host_free_pinned(void *p);

#ifdef __cplusplus
}
#endif

#endif
