/* disco toy: DisCo-Diff's 2D experiment (App. F). Trains the plain EDM model
   and DisCo-Diff on the same data and budget, samples both, and prints W2,
   curvature and mode coverage side by side, with a picture. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "disco/config.h"
#include "disco/error.h"
#include "disco/image.h"
#include "toy_run.h"

static const ConfigField toy_schema[] = {
    {"data.points", CONFIG_INT, "8000", "training points, a multiple of 8 (equal per mode)"},
    {"data.std", CONFIG_FLOAT, "0.2", "per-coordinate standard deviation of each mode"},
    {"data.seed", CONFIG_INT, "0", "seed of the training points (the reference uses seed + 1, the floor seed + 2)"},
    {"model.latents", CONFIG_INT, "1", "m, discrete latents of DisCo-Diff (the baseline has none)"},
    {"model.codebook", CONFIG_INT, "8", "k, values per latent"},
    {"model.hidden", CONFIG_INT, "256", "width of the denoiser MLP"},
    {"model.layers", CONFIG_INT, "4", "linear layers of the denoiser MLP"},
    {"model.encoder_hidden", CONFIG_INT, "128", "width of the encoder MLP"},
    {"model.encoder_layers", CONFIG_INT, "3", "linear layers of the encoder MLP"},
    {"model.embed", CONFIG_INT, "64", "width of the noise and latent embeddings"},
    {"model.latent_mean", CONFIG_BOOL, "true", "the paper's form: a learned mean per latent plus a residual"},
    {"model.sigma_1", CONFIG_FLOAT, "0.2", "the width of the per-latent Gaussian in that form"},
    {"edm.sigma_data", CONFIG_FLOAT, "2.13", "standard deviation of the data"},
    {"edm.p_mean", CONFIG_FLOAT, "0.0", "mean of ln(sigma) in training"},
    {"edm.p_std", CONFIG_FLOAT, "1.2", "standard deviation of ln(sigma) in training"},
    {"train.steps", CONFIG_INT, "6000", "Adam steps, the same for both models"},
    {"train.batch", CONFIG_INT, "512", "batch size"},
    {"train.lr", CONFIG_FLOAT, "0.001", "Adam learning rate"},
    {"train.lr_rampup", CONFIG_INT, "0", "samples over which the learning rate ramps up from 0"},
    {"train.ema_half_life", CONFIG_FLOAT, "50000", "EMA half-life in samples"},
    {"train.ema_rampup", CONFIG_FLOAT, "0.05", "EMA ramp-up ratio (0: none)"},
    {"train.gumbel_tau", CONFIG_FLOAT, "1.0", "Gumbel-softmax temperature in training"},
    {"train.gumbel_hard", CONFIG_BOOL, "true", "straight-through hard Gumbel-softmax"},
    {"train.latent_dropout", CONFIG_FLOAT, "0.0", "probability of the null latent in training"},
    {"train.seed", CONFIG_INT, "1", "seed of batches, noise levels, noise and initial weights"},
    {"sample.count", CONFIG_INT, "8000", "samples per model (the reference has as many)"},
    {"sample.steps", CONFIG_INT, "50", "Heun steps (NFE 2N - 1)"},
    {"sample.sigma_min", CONFIG_FLOAT, "0.002", "smallest noise level of the grid"},
    {"sample.sigma_max", CONFIG_FLOAT, "80", "largest noise level of the grid"},
    {"sample.rho", CONFIG_FLOAT, "7", "grid exponent"},
    {"sample.guidance", CONFIG_FLOAT, "0", "guidance scale on the latents (0: none)"},
    {"sample.seed", CONFIG_INT, "2", "seed of the initial noise and the prior's draws"},
};
#define TOY_FIELDS ((int)(sizeof toy_schema / sizeof toy_schema[0]))

static ToyRunSpec spec_from(const Config *c, bool disco) {
    ToyRunSpec s = {.name = disco ? "DisCo-Diff" : "baseline"};
    s.model = (ToyModelConfig){
        .latents = disco ? (int)config_int(c, "model.latents") : 0, .codebook = (int)config_int(c, "model.codebook"),
        .hidden = (int)config_int(c, "model.hidden"), .layers = (int)config_int(c, "model.layers"),
        .encoder_hidden = (int)config_int(c, "model.encoder_hidden"),
        .encoder_layers = (int)config_int(c, "model.encoder_layers"), .embed = (int)config_int(c, "model.embed"),
        .latent_mean = config_bool(c, "model.latent_mean"), .sigma_1 = config_float(c, "model.sigma_1"),
        .sigma_data = config_float(c, "edm.sigma_data")};
    s.train = (ToyTrainConfig){
        .steps = (int)config_int(c, "train.steps"), .batch = (int)config_int(c, "train.batch"),
        .lr = config_float(c, "train.lr"), .lr_rampup_samples = (uint64_t)config_int(c, "train.lr_rampup"),
        .ema_half_life_samples = config_float(c, "train.ema_half_life"),
        .ema_rampup_ratio = config_float(c, "train.ema_rampup"), .p_mean = config_float(c, "edm.p_mean"),
        .p_std = config_float(c, "edm.p_std"), .gumbel_tau = (float)config_float(c, "train.gumbel_tau"),
        .gumbel_hard = config_bool(c, "train.gumbel_hard"), .latent_dropout = config_float(c, "train.latent_dropout"),
        .seed = (uint64_t)config_int(c, "train.seed")};
    s.sampler = sampler_default();
    s.sampler.steps = (int)config_int(c, "sample.steps");
    s.sampler.sigma_min = config_float(c, "sample.sigma_min");
    s.sampler.sigma_max = config_float(c, "sample.sigma_max");
    s.sampler.rho = config_float(c, "sample.rho");
    s.samples = (int)config_int(c, "sample.count");
    s.guidance = config_float(c, "sample.guidance");
    s.sample_seed = (uint64_t)config_int(c, "sample.seed");
    return s;
}

static float *points(const ToyMixture *mixture, uint64_t seed, int n) {
    float *p = disco_malloc((size_t)n * 2 * sizeof(float), "toy points");
    RngKey key = {.seed = seed, .stream = RNG_STREAM_DATA_ORDER};
    toy_sample(mixture, &key, n, 1, p, NULL);
    return p;
}

static void print_row(FILE *out, const char *label, double a, double b, const char *format) {
    fprintf(out, "  %-28s", label);
    fprintf(out, format, a);
    fprintf(out, format, b);
    fputc('\n', out);
}

static void write_results(const char *dir, const ToyRunResult r[2], double floor) {
    char path[1024], tmp[1040];
    snprintf(path, sizeof path, "%s/results.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    DISCO_CHECK(f, "cannot write '%s': %s", tmp, strerror(errno));
    fprintf(f, "{\"w2_floor\": %.6f", floor);
    const char *names[2] = {"baseline", "disco"};
    for (int i = 0; i < 2; i++)
        fprintf(f,
                ", \"%s\": {\"w2\": %.6f, \"w2_by_mode\": %.6f, \"curvature\": %.6f, \"coverage\": %.4f, "
                "\"off_mode\": %.6f, \"train_loss\": %.6f, \"train_seconds\": %.1f, \"seconds\": %.1f}",
                names[i], r[i].scores.w2, r[i].scores.w2_by_mode, r[i].curvature, r[i].scores.coverage,
                r[i].scores.off_mode, r[i].train_loss, r[i].train_seconds, r[i].total_seconds);
    fprintf(f, "}\n");
    DISCO_CHECK(fclose(f) == 0 && rename(tmp, path) == 0, "cannot write '%s'", path);
}

int command_toy(int argc, char **argv) {
    const char *config_path = NULL, *run_dir = "runs/toy2d";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--run") == 0 && i + 1 < argc) {
            run_dir = argv[++i];
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            i++; /* applied after the file is loaded */
        } else if (strcmp(argv[i], "--fields") == 0) {
            config_print_schema(stdout, toy_schema, TOY_FIELDS);
            return 0;
        } else {
            fprintf(stderr, "disco toy: unknown option '%s' (see disco toy --help)\n", argv[i]);
            return 2;
        }
    }
    Config *c = config_load(config_path, toy_schema, TOY_FIELDS);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--set") == 0) config_set(c, argv[++i]);

    DISCO_CHECK(mkdir(run_dir, 0755) == 0 || errno == EEXIST, "cannot create '%s': %s", run_dir, strerror(errno));
    char path[1024];
    snprintf(path, sizeof path, "%s/config.yaml", run_dir);
    config_write(c, path);

    ToyMixture mixture = toy_default();
    mixture.std = config_float(c, "data.std");
    int n = (int)config_int(c, "data.points");
    uint64_t data_seed = (uint64_t)config_int(c, "data.seed");
    float *data = points(&mixture, data_seed, n);
    float *reference = points(&mixture, data_seed + 1, n);
    float *second = points(&mixture, data_seed + 2, n);
    double floor = w2_exact(reference, second, n);

    snprintf(path, sizeof path, "%s/metrics.jsonl", run_dir);
    FILE *metrics = fopen(path, "w");
    DISCO_CHECK(metrics, "cannot write '%s': %s", path, strerror(errno));
    ToyRunResult results[2];
    for (int i = 0; i < 2; i++) {
        ToyRunSpec spec = spec_from(c, i == 1);
        DISCO_CHECK(spec.samples == n, "sample.count (%d) must equal data.points (%d): W2 compares equal sets",
                    spec.samples, n);
        results[i] = toy_run(&spec, data, reference, n, metrics);
    }
    fclose(metrics);

    printf("\n2D toy, %d points, %ld steps of %ld, Heun %ld steps; W2 floor (two reference draws) %.3f\n", n,
           config_int(c, "train.steps"), config_int(c, "train.batch"), config_int(c, "sample.steps"), floor);
    printf("  %-28s%12s%12s\n", "", "baseline", "DisCo-Diff");
    print_row(stdout, "W2", results[0].scores.w2, results[1].scores.w2, "%12.3f");
    print_row(stdout, "W2 by mode", results[0].scores.w2_by_mode, results[1].scores.w2_by_mode, "%12.3f");
    print_row(stdout, "curvature (median, mean over t)", results[0].curvature, results[1].curvature, "%12.3f");
    print_row(stdout, "mode coverage", results[0].scores.coverage, results[1].scores.coverage, "%12.3f");
    print_row(stdout, "off-mode fraction", results[0].scores.off_mode, results[1].scores.off_mode, "%12.4f");
    print_row(stdout, "final training loss", results[0].train_loss, results[1].train_loss, "%12.4f");
    print_row(stdout, "seconds (train)", results[0].train_seconds, results[1].train_seconds, "%12.1f");
    print_row(stdout, "seconds (all)", results[0].total_seconds, results[1].total_seconds, "%12.1f");
    printf("  DisCo-Diff latents used: %d of %ld (entropy %.2f bits)\n", results[1].latents_used,
           config_int(c, "model.codebook"), results[1].latent_entropy);

    write_results(run_dir, results, floor);
    snprintf(path, sizeof path, "%s/toy.png", run_dir);
    toy_draw(path, &results[0], &results[1], n, (int)config_int(c, "sample.steps"), (int)config_int(c, "model.codebook"));
    printf("  wrote %s/results.json and %s\n", run_dir, path);
    for (int i = 0; i < 2; i++) toy_run_free(&results[i]);
    free(data), free(reference), free(second);
    config_free(c);
    return 0;
}
