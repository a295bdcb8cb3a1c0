/* One training step (forward, the EDM loss, backward) of the Fashion-MNIST
   ADM U-Net (adm_unet_fmnist(1), batch 64), baseline and with cross-attention
   to 10 tokens of width 64 (image_model_fmnist's), against the PyTorch twin
   of the same network (tests/torch/bench_fmnist_step.py, run from here as a
   subprocess, so both are measured in the same run on 2 threads with glibc's
   malloc tuned alike). Each figure is the best of REPEATS steps after
   WARMUP, in the better of ROUNDS rounds that each time both sides. FLOPs
   count convs, linears and attention's two matmuls at 2*M*N*K forward and
   three times that for a step (docs/benchmarks.md); the achieved rate is set
   beside cblas_sgemm's on a large square problem, also measured here. Not a
   test; prints a markdown table.

     bench_fmnist_step [--python PATH] [--script PATH] */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disco/adm_unet.h"
#include "disco/error.h"
#include "disco/image_model.h"
#include "disco/timer.h"
#include "testutil.h"

enum { BATCH = 64, WARMUP = 2, REPEATS = 10, ROUNDS = 2, THREADS = 2, SGEMM_N = 2048 };

/* What the Python process gets for glibc: the same as disco_tune_malloc. */
#define PYTHON_MALLOC_ENV "MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=1073741824"

typedef struct {
    Graph *g;
    AdmUnetConfig c;
    int tokens; /* latent tokens per sample, 0 for the baseline */
} Step;

/* The stage-1 graph's U-Net part: inputs, the U-Net under "model", and the
   weighted MSE on F that the EDM loss becomes (image_model.h). The tokens
   take a gradient, as they do under the latent transformer. */
static Step build(int tokens, int latent_dim) {
    Step s = {.g = graph_create(backend_cpu(), 1), .c = adm_unet_fmnist(1), .tokens = tokens};
    s.c.latent_dim = latent_dim;
    Graph *g = s.g;
    int image[4] = {BATCH, s.c.resolution, s.c.resolution, s.c.in_channels};
    AdmUnetInputs in = {.x = graph_input(g, "x_in", DTYPE_F32, 4, image, false)};
    in.c_noise = graph_input(g, "c_noise", DTYPE_F32, 1, (int[]){BATCH}, false);
    in.class_labels = graph_input(g, "class_labels", DTYPE_F32, 2, (int[]){BATCH, s.c.label_dim}, false);
    if (latent_dim > 0)
        in.latent_tokens[0] = graph_input(g, "tokens", DTYPE_F32, 3, (int[]){BATCH, tokens, latent_dim}, true);
    int target = graph_input(g, "target", DTYPE_F32, 4, image, false);
    int weight = graph_input(g, "weight", DTYPE_F32, 1, (int[]){BATCH}, false);
    graph_push_scope(g, "model");
    int output = adm_unet_build(g, &s.c, &in).output;
    graph_pop_scope(g);
    graph_set_loss(g, graph_weighted_mse(g, output, target, weight));
    graph_compile(g);
    fill_normal(graph_data(g, in.x), graph_numel(g, in.x), 1, 1.0f);
    fill_uniform(graph_data(g, in.c_noise), BATCH, 2, -1.55f, 1.1f);
    float *labels = graph_data(g, in.class_labels);
    for (int r = 0; r < BATCH; r++) labels[r * s.c.label_dim + r % s.c.label_dim] = 1.0f;
    if (latent_dim > 0)
        fill_normal(graph_data(g, in.latent_tokens[0]), graph_numel(g, in.latent_tokens[0]), 3, 1.0f);
    fill_normal(graph_data(g, target), graph_numel(g, target), 4, 1.0f);
    fill_uniform(graph_data(g, weight), BATCH, 5, 0.5f, 1.5f);
    return s;
}

static double step_seconds(Graph *g) {
    double start = time_now();
    graph_forward(g);
    graph_zero_param_grads(g);
    graph_backward(g, 1.0f / BATCH); /* the mean over the batch */
    return time_now() - start;
}

static double best_step_ms(Graph *g) {
    for (int i = 0; i < WARMUP; i++) step_seconds(g);
    double best = 1e30;
    for (int i = 0; i < REPEATS; i++) {
        double t = step_seconds(g);
        if (t < best) best = t;
    }
    return best * 1e3;
}

/* The side of the square maps a module works on, from its name
   ("model.dec.16x16_block0.qkv.weight": 16); the output conv works on the
   whole image. */
static int module_resolution(const char *name, int image) {
    const char *at = strstr(name, "enc.");
    if (!at) at = strstr(name, "dec.");
    return at ? atoi(at + 4) : image;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Forward FLOPs, read off the parameters: each conv weight [out, k, k, in]
   runs at its module's resolution (a down or up block's conv0 after the
   resampling, at the block's own resolution), each linear on the batch or,
   for the cross-attention's k and v, on the tokens; every qkv adds
   self-attention's QK^T and PV over T = res^2 positions, every cross_attn.q
   the same over the tokens. */
static double forward_flops(const Step *s) {
    double flops = 0;
    for (int k = 0; k < graph_param_count(s->g); k++) {
        int id = graph_param_id(s->g, k);
        const char *name = graph_name(s->g, id);
        Tensor w = graph_tensor(s->g, id);
        if (!ends_with(name, ".weight") || w.ndim < 2) continue;
        int side = module_resolution(name, s->c.resolution);
        double positions = (double)side * side;
        if (w.ndim == 4) {
            flops += 2.0 * BATCH * positions * w.shape[0] * w.shape[1] * w.shape[2] * w.shape[3];
            if (ends_with(name, ".qkv.weight")) flops += 4.0 * BATCH * positions * positions * (w.shape[0] / 3);
            if (ends_with(name, ".cross_attn.q.weight")) flops += 4.0 * BATCH * positions * s->tokens * w.shape[0];
        } else {
            bool on_tokens = strstr(name, ".cross_attn.k.") || strstr(name, ".cross_attn.v.");
            flops += 2.0 * BATCH * (on_tokens ? s->tokens : 1) * w.shape[0] * w.shape[1];
        }
    }
    return flops;
}

static size_t param_count(const Graph *g) {
    size_t n = 0;
    for (int k = 0; k < graph_param_count(g); k++) n += graph_numel(g, graph_param_id(g, k));
    return n;
}

static double sgemm_gflops(void) {
    size_t n = (size_t)SGEMM_N * SGEMM_N;
    float *a = alloc_normal(n, 11, 1.0f), *b = alloc_normal(n, 12, 1.0f), *c = alloc_zeros(n);
    double best = 1e30;
    for (int r = 0; r <= REPEATS; r++) {
        double start = time_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, SGEMM_N, SGEMM_N, SGEMM_N, 1.0f, a, SGEMM_N, b, SGEMM_N,
                    0.0f, c, SGEMM_N);
        double elapsed = time_now() - start;
        if (r > 0 && elapsed < best) best = elapsed; /* r == 0 warms up */
    }
    free(a), free(b), free(c);
    return 2.0 * SGEMM_N * SGEMM_N * (double)SGEMM_N / best * 1e-9;
}

/* Runs the PyTorch side and reads its two figures. */
static void torch_step_ms(const char *python, const char *script, int tokens, int latent_dim, double *baseline,
                          double *cross) {
    char command[4096];
    snprintf(command, sizeof command, "%s %s %s --batch %d --warmup %d --repeats %d --threads %d --tokens %d "
             "--latent-dim %d", PYTHON_MALLOC_ENV, python, script, BATCH, WARMUP, REPEATS, THREADS, tokens, latent_dim);
    printf("PyTorch: %s\n", command);
    fflush(stdout);
    FILE *p = popen(command, "r");
    DISCO_CHECK(p, "cannot run '%s'", command);
    char line[512];
    *baseline = *cross = -1;
    while (fgets(line, sizeof line, p)) {
        if (sscanf(line, "step_ms baseline %lf", baseline) == 1 || sscanf(line, "step_ms cross %lf", cross) == 1)
            continue;
        fputs(line, stdout); /* the script's own description of its setup */
    }
    DISCO_CHECK(pclose(p) == 0 && *baseline > 0 && *cross > 0, "'%s' failed or printed no step_ms lines", command);
}

int main(int argc, char **argv) {
    disco_tune_malloc();
    omp_set_num_threads(THREADS);
    openblas_set_num_threads(THREADS);
    /* The twin's script sits beside this file's folder, in tests/torch. */
    char script[4096];
    snprintf(script, sizeof script, "%.*s/../torch/bench_fmnist_step.py", (int)(strrchr(__FILE__, '/') - __FILE__),
             __FILE__);
    const char *python = "/usr/bin/python3", *script_path = script;
    for (int i = 1; i + 1 < argc; i += 2) {
        DISCO_CHECK(strcmp(argv[i], "--python") == 0 || strcmp(argv[i], "--script") == 0,
                    "usage: bench_fmnist_step [--python PATH] [--script PATH]");
        *(strcmp(argv[i], "--python") == 0 ? &python : &script_path) = argv[i + 1];
    }
    ImageModelConfig disco = image_model_fmnist(1, true);
    int tokens = disco.latent.m, latent_dim = disco.unet.latent_dim;

    printf("load average %.2f; OpenMP threads %d, OpenBLAS threads %d, OpenBLAS core %s\n", load_average(),
           omp_get_max_threads(), openblas_get_num_threads(), openblas_get_corename());
    double sgemm = sgemm_gflops();
    printf("reference: cblas_sgemm %dx%dx%d = %.1f GFLOP/s (best of %d)\n", SGEMM_N, SGEMM_N, SGEMM_N, sgemm, REPEATS);
    Step steps[2] = {build(0, 0), build(tokens, latent_dim)};
    /* Two rounds, each timing disco then PyTorch, and each side keeps its
       better round: on a shared machine a burst of someone else's work lands
       in one of them, and rounds that disagree show that it happened. */
    double ours[2] = {1e30, 1e30}, theirs[2] = {1e30, 1e30}, flops[2];
    for (int round = 1; round <= ROUNDS; round++) {
        double disco_ms[2], torch_ms[2];
        for (int i = 0; i < 2; i++) disco_ms[i] = best_step_ms(steps[i].g);
        torch_step_ms(python, script_path, tokens, latent_dim, &torch_ms[0], &torch_ms[1]);
        printf("round %d: baseline disco %.0f ms, PyTorch %.0f ms; cross-attention disco %.0f ms, PyTorch %.0f ms\n",
               round, disco_ms[0], torch_ms[0], disco_ms[1], torch_ms[1]);
        for (int i = 0; i < 2; i++) {
            if (disco_ms[i] < ours[i]) ours[i] = disco_ms[i];
            if (torch_ms[i] < theirs[i]) theirs[i] = torch_ms[i];
        }
    }
    for (int i = 0; i < 2; i++) flops[i] = 3 * forward_flops(&steps[i]);
    printf("load average %.2f after\n\n", load_average());

    printf("| fmnist U-Net, batch %d | params | GFLOP per step | disco ms | PyTorch ms | disco / PyTorch "
           "| disco GFLOP/s | PyTorch GFLOP/s | disco / sgemm |\n", BATCH);
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const char *labels[2] = {"baseline", "cross-attention, 10 tokens of 64"};
    for (int i = 0; i < 2; i++) {
        printf("| %s | %zu | %.2f | %.0f | %.0f | %.2f | %.1f | %.1f | %.2f |\n", labels[i], param_count(steps[i].g),
               flops[i] * 1e-9, ours[i], theirs[i], ours[i] / theirs[i], flops[i] / ours[i] * 1e-6,
               flops[i] / theirs[i] * 1e-6, flops[i] / ours[i] * 1e-6 / sgemm);
        graph_destroy(steps[i].g);
    }
    return 0;
}
