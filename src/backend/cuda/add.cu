/* y[i] = scale * (a[i] + b[i % nb]): b repeats every nb elements, so a bias of
   [C] or an embedding of [T, C] broadcasts over the leading dimensions. */
#include "cuda_ops.h"

static void check_broadcast(size_t n, size_t nb) {
    DISCO_CHECK(nb > 0 && n % nb == 0, "add: broadcast length %zu does not divide %zu", nb, n);
}

static __global__ void add_kernel(float *y, const float *a, const float *b, size_t n, size_t nb, float scale) {
    CUDA_FOR_EACH(i, n) y[i] = scale * (a[i] + b[i % nb]);
}

static __global__ void scale_kernel(float *y, const float *x, size_t n, float scale) {
    CUDA_FOR_EACH(i, n) y[i] = scale * x[i];
}

void cuda_add_forward(Backend *be, float *y, const float *a, const float *b, size_t n, size_t nb, float scale) {
    check_broadcast(n, nb);
    CUDA_LAUNCH_1D(be, n, add_kernel, y, a, b, n, nb, scale);
}

/* db before da, so that da may reuse dy's buffer (as on the CPU). */
void cuda_add_backward(Backend *be, float *da, float *db, const float *dy, size_t n, size_t nb, float scale) {
    check_broadcast(n, nb);
    if (db && nb == n) CUDA_LAUNCH_1D(be, n, scale_kernel, db, dy, n, scale);
    else if (db) cuda_column_sum(be, db, 0, dy, NULL, 1, n / nb, nb, scale, 0.0f);
    if (da) CUDA_LAUNCH_1D(be, n, scale_kernel, da, dy, n, scale);
}
