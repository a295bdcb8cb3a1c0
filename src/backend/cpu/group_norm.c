/* Group norm over NHWC [batch, tokens, channels]: group g of sample b is the
   block of channels [g*width, (g+1)*width) across all tokens. Layer norm is
   the special case tokens = 1, groups = 1 (see layer_norm.c). */
#include <math.h>

#include "cpu_ops.h"
#include "disco/error.h"

void cpu_group_norm_forward(Backend *be, float *y, float *stats, const float *x, const float *gamma, const float *beta,
                            int batch, int tokens, int channels, int groups, float eps) {
    DISCO_CHECK(groups > 0 && channels % groups == 0, "group norm: %d channels do not split into %d groups", channels,
                groups);
    const int width = channels / groups;
    const double count = (double)tokens * width;
    float *means = stats, *rstds = stats + (size_t)batch * groups;

#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < batch; b++) {
        for (int g = 0; g < groups; g++) {
            const float *xg = x + (size_t)b * tokens * channels + (size_t)g * width;
            float *yg = y + (size_t)b * tokens * channels + (size_t)g * width;
            /* Two passes in double: E[x^2] - E[x]^2 cancels badly when the mean is large. */
            double sum = 0;
            for (int t = 0; t < tokens; t++)
                for (int c = 0; c < width; c++) sum += xg[(size_t)t * channels + c];
            const double mean = sum / count;
            double sq = 0;
            for (int t = 0; t < tokens; t++)
                for (int c = 0; c < width; c++) {
                    double d = xg[(size_t)t * channels + c] - mean;
                    sq += d * d;
                }
            const double rstd = 1.0 / sqrt(sq / count + eps); /* biased variance, as PyTorch */
            means[b * groups + g] = (float)mean;
            rstds[b * groups + g] = (float)rstd;

            const float *gam = gamma + g * width, *bet = beta + g * width;
            for (int t = 0; t < tokens; t++)
                for (int c = 0; c < width; c++) {
                    size_t i = (size_t)t * channels + c;
                    yg[i] = (float)((xg[i] - mean) * rstd) * gam[c] + bet[c];
                }
        }
    }
}

/* With xhat = (x - mean) * rstd and g = dy * gamma, over the n elements of a group:
   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)). */
static void input_gradient(float *dx, const float *dy, const float *x, const float *stats, const float *gamma,
                           int batch, int tokens, int channels, int groups) {
    const int width = channels / groups;
    const double count = (double)tokens * width;
    const float *means = stats, *rstds = stats + (size_t)batch * groups;

#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < batch; b++) {
        for (int g = 0; g < groups; g++) {
            const size_t base = (size_t)b * tokens * channels + (size_t)g * width;
            const float *xg = x + base, *dyg = dy + base, *gam = gamma + g * width;
            const double mean = means[b * groups + g], rstd = rstds[b * groups + g];
            double sum_g = 0, sum_g_xhat = 0;
            for (int t = 0; t < tokens; t++)
                for (int c = 0; c < width; c++) {
                    size_t i = (size_t)t * channels + c;
                    double gi = (double)dyg[i] * gam[c];
                    sum_g += gi;
                    sum_g_xhat += gi * (xg[i] - mean) * rstd;
                }
            const double mean_g = sum_g / count, mean_g_xhat = sum_g_xhat / count;
            float *dxg = dx + base;
            for (int t = 0; t < tokens; t++)
                for (int c = 0; c < width; c++) {
                    size_t i = (size_t)t * channels + c;
                    double xhat = (xg[i] - mean) * rstd;
                    dxg[i] = (float)(rstd * ((double)dyg[i] * gam[c] - mean_g - xhat * mean_g_xhat));
                }
        }
    }
}

/* One thread per channel, so the sums over batch and tokens need no reduction
   across threads; a static schedule gives each thread neighbouring channels,
   which share cache lines. */
static void affine_gradients(float *dgamma, float *dbeta, const float *dy, const float *x, const float *stats,
                             int batch, int tokens, int channels, int groups) {
    const int width = channels / groups;
    const float *means = stats, *rstds = stats + (size_t)batch * groups;

#pragma omp parallel for schedule(static)
    for (int c = 0; c < channels; c++) {
        const int g = c / width;
        double sum_dy_xhat = 0, sum_dy = 0;
        for (int b = 0; b < batch; b++) {
            const double mean = means[b * groups + g], rstd = rstds[b * groups + g];
            const size_t base = (size_t)b * tokens * channels + c;
            for (int t = 0; t < tokens; t++) {
                size_t i = base + (size_t)t * channels;
                sum_dy_xhat += dy[i] * (x[i] - mean) * rstd;
                sum_dy += dy[i];
            }
        }
        if (dgamma) dgamma[c] += (float)sum_dy_xhat;
        if (dbeta) dbeta[c] += (float)sum_dy;
    }
}

void cpu_group_norm_backward(Backend *be, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                             const float *stats, const float *gamma, int batch, int tokens, int channels, int groups) {
    if (dx) input_gradient(dx, dy, x, stats, gamma, batch, tokens, channels, groups);
    if (dgamma || dbeta) affine_gradients(dgamma, dbeta, dy, x, stats, batch, tokens, channels, groups);
}
