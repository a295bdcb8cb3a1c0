/* EDM's PositionalEmbedding: y = [cos(x f_j), sin(x f_j)], cos half first. */
#include <math.h>

#include "cpu_ops.h"
#include "disco/error.h"

/* f_j = (1/max_positions)^(j / (channels/2 - endpoint)). */
static float frequency(int j, int half, float max_positions, bool endpoint) {
    return (float)pow(1.0 / max_positions, (double)j / (double)(half - (endpoint ? 1 : 0)));
}

static void check_channels(int channels, bool endpoint) {
    DISCO_CHECK(channels % 2 == 0 && channels / 2 > (endpoint ? 1 : 0),
                "positional embedding: channels %d must be even and give more than %d frequencies", channels,
                endpoint ? 1 : 0);
}

void cpu_positional_embedding_forward(Backend *be, float *y, const float *x, int rows, int channels,
                                      float max_positions, bool endpoint) {
    check_channels(channels, endpoint);
    int half = channels / 2;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        float *y_row = y + (size_t)r * channels;
        for (int j = 0; j < half; j++) {
            float angle = x[r] * frequency(j, half, max_positions, endpoint);
            y_row[j] = cosf(angle);
            y_row[half + j] = sinf(angle);
        }
    }
}

void cpu_positional_embedding_backward(Backend *be, float *dx, const float *dy, const float *x, int rows, int channels,
                                       float max_positions, bool endpoint) {
    if (!dx) return;
    check_channels(channels, endpoint);
    int half = channels / 2;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        const float *dy_row = dy + (size_t)r * channels;
        float sum = 0.0f;
        for (int j = 0; j < half; j++) {
            float f = frequency(j, half, max_positions, endpoint);
            float angle = x[r] * f;
            sum += f * (dy_row[half + j] * cosf(angle) - dy_row[j] * sinf(angle));
        }
        dx[r] = sum;
    }
}
