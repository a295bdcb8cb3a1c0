/* Helpers shared by the check suites: random data, error norms, and a
   finite-difference gradient checker for ops and whole graphs. */
#ifndef DISCO_TESTUTIL_H
#define DISCO_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deterministic N(0, scale^2) or U(lo, hi) test data, distinct per `tag`. */
void fill_normal(float *x, size_t n, uint32_t tag, float scale);
void fill_uniform(float *x, size_t n, uint32_t tag, float lo, float hi);
float *alloc_normal(size_t n, uint32_t tag, float scale);
float *alloc_zeros(size_t n);

/* ||a - b|| / max(||b||, 1e-12), in double. */
double relative_error(const float *a, const float *b, size_t n);
double max_abs_difference(const float *a, const float *b, size_t n);

typedef struct {
    const char *name;
    float *value; /* perturbed by the checker */
    float *grad;  /* where the backward puts d(loss)/d(value) */
    size_t n;
    bool is_param; /* backward accumulates (+=) rather than writes (=) */
} GradInput;

/* The loss is sum(out * dout) with a fixed random dout, so d(loss)/d(out) = dout.
   forward computes out from the inputs; backward computes the gradients from dout. */
typedef struct {
    void *ctx;
    void (*forward)(void *ctx);
    void (*backward)(void *ctx);
    float *out, *dout;
    size_t n_out;
    GradInput *inputs;
    int n_inputs;
    double eps;     /* finite-difference step (default 1e-2) */
    double tol;     /* largest allowed relative error (default 1e-2) */
    int max_probes; /* elements probed per input (default 64) */
} GradCheck;

/* Fails the current check test, naming the input, when an analytic gradient
   disagrees with central differences, when a backward does not overwrite an
   input gradient, or when it does not accumulate into a parameter gradient.
   Returns the worst relative error seen. */
double gradcheck_run(const GradCheck *gc);

/* The 1-minute load average (-1 if unknown), printed next to benchmark figures. */
double load_average(void);

/* Runs one suite with check's runner and returns the process exit code. */
int run_suite(Suite *s);
/* The same without a child process per test: for suites that hold a CUDA
   context or MPI, which must not be created in a parent that forks. */
int run_suite_in_process(Suite *s);

#endif
