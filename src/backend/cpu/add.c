/* y[i] = scale * (a[i] + b[i % nb]): b repeats every nb elements, so a bias of
   [C] or an embedding of [T, C] broadcasts over the leading dimensions. */
#include "cpu_ops.h"
#include "disco/error.h"

void cpu_add_forward(Backend *be, float *y, const float *a, const float *b, size_t n, size_t nb, float scale) {
    DISCO_CHECK(nb > 0 && n % nb == 0, "add: broadcast length %zu does not divide %zu", nb, n);
    const size_t repeats = n / nb;
#pragma omp parallel for collapse(2) schedule(static)
    for (size_t r = 0; r < repeats; r++)
        for (size_t j = 0; j < nb; j++) y[r * nb + j] = scale * (a[r * nb + j] + b[j]);
}

void cpu_add_backward(Backend *be, float *da, float *db, const float *dy, size_t n, size_t nb, float scale) {
    DISCO_CHECK(nb > 0 && n % nb == 0, "add: broadcast length %zu does not divide %zu", nb, n);
    const size_t repeats = n / nb;
    /* db before da, so that da may reuse dy's buffer. */
    if (db) {
#pragma omp parallel for schedule(static)
        for (size_t j = 0; j < nb; j++) {
            double sum = 0;
            for (size_t r = 0; r < repeats; r++) sum += dy[r * nb + j];
            db[j] = (float)(scale * sum);
        }
    }
    if (da) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) da[i] = scale * dy[i];
    }
}
