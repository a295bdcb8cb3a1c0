#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/error.h"
#include "disco/rng.h"

void fill_normal(float *x, size_t n, uint32_t tag, float scale) {
    RngKey key = {.seed = 0x5eed, .stream = RNG_STREAM_TEST, .step = tag};
    rng_fill_normal(&key, x, n);
    for (size_t i = 0; i < n; i++) x[i] *= scale;
}

void fill_uniform(float *x, size_t n, uint32_t tag, float lo, float hi) {
    RngKey key = {.seed = 0x5eed, .stream = RNG_STREAM_TEST, .step = tag};
    rng_fill_uniform(&key, x, n);
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * x[i];
}

float *alloc_normal(size_t n, uint32_t tag, float scale) {
    float *x = disco_malloc(n * sizeof(float), "test data");
    fill_normal(x, n, tag, scale);
    return x;
}

float *alloc_zeros(size_t n) { return disco_calloc(n, sizeof(float), "test data"); }

double relative_error(const float *a, const float *b, size_t n) {
    double diff = 0, ref = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        diff += d * d;
        ref += (double)b[i] * (double)b[i];
    }
    return sqrt(diff) / fmax(sqrt(ref), 1e-12);
}

double max_abs_difference(const float *a, const float *b, size_t n) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    return worst;
}

static double loss_of(const GradCheck *gc) {
    gc->forward(gc->ctx);
    double loss = 0;
    for (size_t i = 0; i < gc->n_out; i++) loss += (double)gc->out[i] * (double)gc->dout[i];
    return loss;
}

/* Parameter gradients start at this value so that "+=" is observable. */
#define PARAM_GRAD_PRESET 0.25f
/* Input gradients start as garbage so that a missing "=" is observable. */
#define INPUT_GRAD_GARBAGE 1234.5f

double gradcheck_run(const GradCheck *gc) {
    double eps = gc->eps > 0 ? gc->eps : 1e-2;
    double tol = gc->tol > 0 ? gc->tol : 1e-2;
    int max_probes = gc->max_probes > 0 ? gc->max_probes : 64;

    fill_normal(gc->dout, gc->n_out, 999, 1.0f);
    for (int a = 0; a < gc->n_inputs; a++) {
        const GradInput *in = &gc->inputs[a];
        for (size_t i = 0; i < in->n; i++) in->grad[i] = in->is_param ? PARAM_GRAD_PRESET : INPUT_GRAD_GARBAGE;
    }
    gc->forward(gc->ctx);
    gc->backward(gc->ctx);

    /* Central differences cannot resolve a gradient below the float rounding
       of the loss divided by eps. Outputs the probe does not touch round the
       same way in both evaluations and cancel; the others round
       independently, so their errors add in quadrature: 16 ulps of the RMS
       term, times sqrt(n), bounds it. Gradients that small are held to that
       absolute bound instead of a relative one. */
    double sum_squares = 0;
    for (size_t i = 0; i < gc->n_out; i++) {
        double term = (double)gc->out[i] * (double)gc->dout[i];
        sum_squares += term * term;
    }
    double noise = sqrt(sum_squares) * ldexp(1.0, -20) / eps;
    double smallest_ref = fmax(1e-4, noise / tol);

    double worst = 0;
    for (int a = 0; a < gc->n_inputs; a++) {
        const GradInput *in = &gc->inputs[a];
        size_t probes = in->n < (size_t)max_probes ? in->n : (size_t)max_probes;
        double max_diff = 0, max_ref = smallest_ref;
        size_t worst_index = 0;
        double worst_numeric = 0, worst_analytic = 0;
        for (size_t p = 0; p < probes; p++) {
            /* Spread probes over the whole buffer, ends included. */
            size_t i = probes == in->n ? p : (size_t)((double)p * (double)(in->n - 1) / (double)(probes - 1));
            float saved = in->value[i];
            in->value[i] = saved + (float)eps;
            double up = loss_of(gc);
            in->value[i] = saved - (float)eps;
            double down = loss_of(gc);
            in->value[i] = saved;
            double numeric = (up - down) / (2 * eps);
            double analytic = (double)in->grad[i] - (in->is_param ? PARAM_GRAD_PRESET : 0.0);
            double diff = fabs(numeric - analytic);
            if (diff > max_diff) {
                max_diff = diff;
                worst_index = i;
                worst_numeric = numeric;
                worst_analytic = analytic;
            }
            max_ref = fmax(max_ref, fmax(fabs(numeric), fabs(analytic)));
        }
        double err = max_diff / max_ref;
        if (err > worst) worst = err;
        ck_assert_msg(err <= tol,
                      "gradient of '%s' is wrong: at element %zu numeric %.6g, analytic %.6g "
                      "(relative error %.3g > %.3g over %zu probes)",
                      in->name, worst_index, worst_numeric, worst_analytic, err, tol, probes);
    }
    gc->forward(gc->ctx); /* leave the outputs matching the unperturbed inputs */
    return worst;
}

static int run(Suite *s, bool fork) {
    disco_tune_malloc(); /* as every main does */
    SRunner *runner = srunner_create(s);
    if (!fork) srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int run_suite(Suite *s) { return run(s, true); }
int run_suite_in_process(Suite *s) { return run(s, false); }

double load_average(void) {
    double load = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &load) != 1) load = -1;
    if (f) fclose(f);
    return load;
}
