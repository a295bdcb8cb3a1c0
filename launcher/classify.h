/* The Fashion-MNIST classifier's training (disco classify), callable by
   other commands: disco pipeline trains it for its FD features. */
#ifndef DISCO_CLASSIFY_H
#define DISCO_CLASSIFY_H

#include <stdint.h>

typedef struct {
    int steps, batch, threads; /* threads 0: OpenMP's default */
    float lr;
    uint64_t seed;
    const char *data_dir;  /* the IDX files (Debian's fashion-mnist package) */
    const char *out_path;  /* results as JSON, or NULL */
    const char *save_path; /* the weights, or NULL */
} ClassifyOptions;

typedef struct {
    double seconds, train_loss, test_loss;
    int correct, tested;
} ClassifyResults;

ClassifyOptions classify_defaults(void);
/* Trains on the train split, evaluates on t10k and saves the weights to
   save_path if set (out_path is the command's). One process. */
ClassifyResults classify_run(const ClassifyOptions *o);

#endif
