#include <string.h>

#include "cpu_ops.h"
#include "disco/error.h"

/* Checked before any parallel region, so the error comes from the calling
   thread and names the first bad row. */
static void check_indices(const int32_t *idx, int rows, int vocab) {
    for (int r = 0; r < rows; r++)
        DISCO_CHECK(idx[r] >= 0 && idx[r] < vocab, "embedding: row %d has index %d, outside the table [0, %d)", r,
                    idx[r], vocab);
}

void cpu_embedding_forward(Backend *be, float *y, const int32_t *idx, const float *table, int rows, int vocab,
                           int dim) {
    check_indices(idx, rows, vocab);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++)
        memcpy(y + (size_t)r * dim, table + (size_t)idx[r] * dim, (size_t)dim * sizeof(float));
}

void cpu_embedding_backward(Backend *be, float *dtable, const float *dy, const int32_t *idx, int rows, int vocab,
                            int dim) {
    if (!dtable) return;
    check_indices(idx, rows, vocab);
    /* Rows may repeat an index, so threads split the columns, never the rows. */
#pragma omp parallel for schedule(static)
    for (int d = 0; d < dim; d++)
        for (int r = 0; r < rows; r++) dtable[(size_t)idx[r] * dim + d] += dy[(size_t)r * dim + d];
}
