/* Group norm over NHWC [batch, tokens, channels]: group g of sample b is the
   block of channels [g*width, (g+1)*width) across all tokens. stats holds
   [batch, groups] means, then [batch, groups] reciprocal standard deviations.
 *
 * Forward and the input gradient give one block to each (sample, group): its
 * count = tokens * width elements lie width-contiguous, channels apart, and
 * the block's threads stride over them. */
#include "cuda_ops.h"

#define GROUP_THREADS 256

/* Offset of the group's i-th element from the group's first one. */
static inline __device__ size_t group_offset(size_t i, int width, int channels) {
    return (i / width) * channels + i % width;
}

static __global__ void group_norm_forward_kernel(float *y, float *stats, const float *x, const float *gamma,
                                                 const float *beta, int batch, int tokens, int channels,
                                                 int groups, float eps) {
    const int b = blockIdx.x / groups, g = blockIdx.x % groups, width = channels / groups;
    const size_t count = (size_t)tokens * width;
    const size_t base = (size_t)b * tokens * channels + (size_t)g * width;
    const float *xg = x + base;

    /* Sums of x - shift, with shift one of the group's own values: when the
       mean is large against the spread (1e4 vs 1), x - shift is small and
       exact (Sterbenz), so fp32 sums keep the spread that sums of x would
       round away. Two passes, as E[x^2] - E[x]^2 would cancel badly. */
    const float shift = xg[0];
    float sum = 0.0f;
    for (size_t i = threadIdx.x; i < count; i += blockDim.x) sum += xg[group_offset(i, width, channels)] - shift;
    const float mean_shifted = block_sum(sum) / (float)count;
    float sq = 0.0f;
    for (size_t i = threadIdx.x; i < count; i += blockDim.x) {
        float d = (xg[group_offset(i, width, channels)] - shift) - mean_shifted;
        sq += d * d;
    }
    const float rstd = 1.0f / sqrtf(block_sum(sq) / (float)count + eps); /* biased variance, as PyTorch */

    const float *gam = gamma + g * width, *bet = beta + g * width;
    float *yg = y + base;
    for (size_t i = threadIdx.x; i < count; i += blockDim.x) {
        size_t o = group_offset(i, width, channels);
        int c = (int)(i % width);
        yg[o] = ((xg[o] - shift) - mean_shifted) * rstd * gam[c] + bet[c];
    }
    if (threadIdx.x == 0) {
        stats[blockIdx.x] = shift + mean_shifted;
        stats[(size_t)batch * groups + blockIdx.x] = rstd;
    }
}

/* With xhat = (x - mean) * rstd and h = dy * gamma, over a group's elements:
   dx = rstd * (h - mean(h) - xhat * mean(h * xhat)). */
static __global__ void group_norm_dx_kernel(float *dx, const float *dy, const float *x, const float *stats,
                                            const float *gamma, int batch, int tokens, int channels, int groups) {
    const int g = blockIdx.x % groups, width = channels / groups;
    const size_t count = (size_t)tokens * width;
    const size_t base = (size_t)(blockIdx.x / groups) * tokens * channels + (size_t)g * width;
    const float mean = stats[blockIdx.x], rstd = stats[(size_t)batch * groups + blockIdx.x];
    const float *xg = x + base, *dyg = dy + base, *gam = gamma + g * width;

    float sum_h = 0.0f, sum_h_xhat = 0.0f;
    for (size_t i = threadIdx.x; i < count; i += blockDim.x) {
        size_t o = group_offset(i, width, channels);
        float h = dyg[o] * gam[i % width];
        sum_h += h;
        sum_h_xhat += h * (xg[o] - mean) * rstd;
    }
    const float mean_h = block_sum(sum_h) / (float)count;
    const float mean_h_xhat = block_sum(sum_h_xhat) / (float)count;

    float *dxg = dx + base;
    for (size_t i = threadIdx.x; i < count; i += blockDim.x) {
        size_t o = group_offset(i, width, channels);
        float xhat = (xg[o] - mean) * rstd;
        dxg[o] = rstd * (dyg[o] * gam[i % width] - mean_h - xhat * mean_h_xhat);
    }
}

/* dgamma[c] += sum over samples and tokens of dy * xhat, dbeta[c] += sum of dy:
   a column sum over batch * tokens rows in which each row's xhat needs its
   sample's statistics, hence its own kernel rather than cuda_column_sum. */
static __global__ void group_norm_affine_kernel(float *dgamma, float *dbeta, const float *dy, const float *x,
                                                const float *stats, int batch, int tokens, int channels,
                                                int groups) {
    const int c = blockIdx.x * 32 + threadIdx.x, width = channels / groups;
    const size_t rows = (size_t)batch * tokens;
    float sum_dy_xhat = 0.0f, sum_dy = 0.0f;
    if (c < channels)
        for (size_t r = threadIdx.y; r < rows; r += COLUMN_ROWS) {
            const size_t stat = (r / tokens) * groups + c / width, i = r * channels + c;
            const float xhat = (x[i] - stats[stat]) * stats[(size_t)batch * groups + stat];
            sum_dy_xhat += dy[i] * xhat;
            sum_dy += dy[i];
        }
    sum_dy_xhat = column_block_sum(sum_dy_xhat);
    sum_dy = column_block_sum(sum_dy);
    if (threadIdx.y == 0 && c < channels) {
        if (dgamma) dgamma[c] += sum_dy_xhat;
        if (dbeta) dbeta[c] += sum_dy;
    }
}

static void check_groups(int channels, int groups) {
    DISCO_CHECK(groups > 0 && channels % groups == 0, "group norm: %d channels do not split into %d groups",
                channels, groups);
}

void cuda_group_norm_forward(Backend *be, float *y, float *stats, const float *x, const float *gamma,
                             const float *beta, int batch, int tokens, int channels, int groups, float eps) {
    check_groups(channels, groups);
    if (batch == 0) return;
    group_norm_forward_kernel<<<batch * groups, GROUP_THREADS, 0, cuda_stream(be)>>>(
        y, stats, x, gamma, beta, batch, tokens, channels, groups, eps);
    CUDA_CHECK_LAUNCH("group_norm_forward_kernel");
}

void cuda_group_norm_backward(Backend *be, float *dx, float *dgamma, float *dbeta, const float *dy, const float *x,
                              const float *stats, const float *gamma, int batch, int tokens, int channels,
                              int groups) {
    check_groups(channels, groups);
    if (batch == 0) return;
    /* Parameter gradients first, so that dx may reuse dy's buffer. */
    if (dgamma || dbeta) {
        dim3 grid((channels + 31) / 32), block(32, COLUMN_ROWS);
        group_norm_affine_kernel<<<grid, block, 0, cuda_stream(be)>>>(dgamma, dbeta, dy, x, stats, batch, tokens,
                                                                      channels, groups);
        CUDA_CHECK_LAUNCH("group_norm_affine_kernel");
    }
    if (dx) {
        group_norm_dx_kernel<<<batch * groups, GROUP_THREADS, 0, cuda_stream(be)>>>(dx, dy, x, stats, gamma, batch,
                                                                                  tokens, channels, groups);
        CUDA_CHECK_LAUNCH("group_norm_dx_kernel");
    }
}
