/* Curvature of the sampling ODE (DisCo-Diff App. F.3); see include/disco/edm.h. */
#include <math.h>
#include <stdlib.h>

#include "disco/edm.h"
#include "disco/error.h"

/* slope = (x - D(x; t)) / t for all n samples; den is scratch. */
static void slopes(DenoiseFn denoise, void *ctx, const float *x, double t, int n, int dim, float *den,
                   double *slope) {
    denoise(ctx, x, t, den, n, dim);
    for (size_t k = 0; k < (size_t)n * (size_t)dim; k++) slope[k] = ((double)x[k] - (double)den[k]) / t;
}

static double norm(const double *v, int dim) {
    double s = 0;
    for (int j = 0; j < dim; j++) s += v[j] * v[j];
    return sqrt(s);
}

void edm_curvature(DenoiseFn denoise, void *ctx, const float *x, double t, double dt, int n, int dim, double *kappa) {
    DISCO_CHECK(0 < dt && dt < t, "curvature needs 0 < dt < t, not dt = %g at t = %g", dt, t);
    size_t len = (size_t)n * (size_t)dim;
    float *den = disco_malloc(2 * len * sizeof(float), "curvature scratch");
    float *x_step = den + len;
    double *d0 = disco_malloc(2 * len * sizeof(double), "curvature slopes");
    double *d1 = d0 + len;

    slopes(denoise, ctx, x, t, n, dim, den, d0);
    for (size_t k = 0; k < len; k++) x_step[k] = (float)((double)x[k] - dt * d0[k]);
    slopes(denoise, ctx, x_step, t - dt, n, dim, den, d1);

    for (int r = 0; r < n; r++) {
        const double *a = d0 + (size_t)r * dim, *b = d1 + (size_t)r * dim;
        double na = norm(a, dim), nb = norm(b, dim), turn = 0, moved = 0;
        /* A sample that does not move (D(x) = x) has no tangent: call it straight. */
        if (na == 0 || nb == 0) {
            kappa[r] = 0;
            continue;
        }
        for (int j = 0; j < dim; j++) {
            double dT = a[j] / na - b[j] / nb;
            /* The step actually taken, float rounding included. */
            double dx = (double)x[(size_t)r * dim + j] - (double)x_step[(size_t)r * dim + j];
            turn += dT * dT;
            moved += dx * dx;
        }
        kappa[r] = moved > 0 ? sqrt(turn / moved) : 0.0;
    }
    free(d0);
    free(den);
}
