/* EDM's closed-form pieces; see include/disco/edm.h and SPEC 3.2, 3.4, 3.7. */
#include <math.h>

#include "disco/edm.h"
#include "disco/error.h"

EdmPrecond edm_precond(double sigma, double sigma_data) {
    double s2 = sigma * sigma, d2 = sigma_data * sigma_data;
    double norm = sqrt(s2 + d2);
    /* No x1000 on c_noise: EDM feeds ln(sigma)/4 straight to the embedding. */
    return (EdmPrecond){
        .c_skip = d2 / (s2 + d2),
        .c_out = sigma * sigma_data / norm,
        .c_in = 1.0 / norm,
        .c_noise = log(sigma) / 4.0,
    };
}

double edm_loss_weight(double sigma, double sigma_data) {
    double s = sigma * sigma_data;
    return (sigma * sigma + sigma_data * sigma_data) / (s * s);
}

/* Element `row` of the key: with row_len 0 that is position `row` of row
   key->index, with row_len 1 it is row key->index + row. Either way the
   number belongs to the sample alone, whatever batch it travels in. */
double edm_sample_sigma(const RngKey *key, uint64_t row, double p_mean, double p_std) {
    return exp(p_mean + p_std * (double)rng_normal(key, row));
}

void edm_time_steps(int n, double sigma_min, double sigma_max, double rho, double *t) {
    DISCO_CHECK(n >= 1, "the sampler needs at least one step, not %d", n);
    DISCO_CHECK(0 < sigma_min && sigma_min <= sigma_max, "need 0 < sigma_min <= sigma_max, not %g, %g", sigma_min,
                sigma_max);
    double hi = pow(sigma_max, 1.0 / rho), lo = pow(sigma_min, 1.0 / rho);
    t[0] = sigma_max;
    for (int i = 1; i < n; i++) t[i] = pow(hi + (double)i / (n - 1) * (lo - hi), rho);
    t[n] = 0.0;
}

SamplerConfig sampler_default(void) {
    /* EDM's deterministic defaults; S_min..S_max spans every sigma so that
       setting s_churn alone turns churn on everywhere, as in EDM. */
    return (SamplerConfig){.method = SAMPLER_HEUN,
                           .steps = 18,
                           .sigma_min = 0.002,
                           .sigma_max = 80.0,
                           .rho = 7.0,
                           .s_churn = 0.0,
                           .s_min = 0.0,
                           .s_max = INFINITY,
                           .s_noise = 1.0,
                           .restarts = 0,
                           .restart_gamma = 0.0};
}

SamplerConfig sampler_stochastic_imagenet64(void) {
    SamplerConfig c = sampler_default();
    c.method = SAMPLER_STOCHASTIC;
    c.steps = 256;
    c.s_churn = 40, c.s_min = 0.05, c.s_max = 50, c.s_noise = 1.003;
    return c;
}

void edm_guide(float *out, const float *cond, const float *uncond, size_t n, double scale) {
    float w = (float)scale;
    for (size_t i = 0; i < n; i++) {
        float c = cond[i];
        out[i] = c + w * (c - uncond[i]);
    }
}
