#include "toy_config.h"

#include <stdio.h>
#include <string.h>

#include "disco/error.h"

static const ConfigField toy_schema[] = {
    {"kind", CONFIG_STRING, "toy2d", "the experiment: toy2d here; image configs have their own fields"},
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
    {"train.steps", CONFIG_INT, "20000", "Adam steps, the same for both models"},
    {"train.batch", CONFIG_INT, "512", "batch size"},
    {"train.lr", CONFIG_FLOAT, "0.001", "Adam learning rate"},
    {"train.lr_rampup", CONFIG_INT, "0", "samples over which the learning rate ramps up from 0"},
    {"train.ema_half_life", CONFIG_FLOAT, "50000", "EMA half-life in samples"},
    {"train.ema_rampup", CONFIG_FLOAT, "0.05", "EMA ramp-up ratio (0: none)"},
    {"train.gumbel_tau", CONFIG_FLOAT, "1.0", "Gumbel-softmax temperature in training"},
    {"train.gumbel_hard", CONFIG_BOOL, "true", "straight-through hard Gumbel-softmax"},
    {"train.latent_dropout", CONFIG_FLOAT, "0.0", "probability of the null latent in training"},
    {"train.seed", CONFIG_INT, "1", "seed of batches, noise levels, noise and initial weights"},
    {"train.checkpoint_every", CONFIG_INT, "1000", "steps between checkpoints of disco train (0: only at the end)"},
    {"train.keep_checkpoints", CONFIG_INT, "3", "newest checkpoints kept (0: all)"},
    {"train.bucket_mb", CONFIG_FLOAT, "25", "gradient all-reduce bucket size in MiB (0: one bucket)"},
    {"train.zero1", CONFIG_BOOL, "false", "split Adam's moments over the ranks (ZeRO-1) instead of all-reducing"},
    {"prior.steps", CONFIG_INT, "1500", "Adam steps of the AR prior (batch 256)"},
    {"prior.lr", CONFIG_FLOAT, "0.001", "peak learning rate of the AR prior"},
    {"sample.count", CONFIG_INT, "8000", "samples per model (the reference has as many)"},
    {"sample.steps", CONFIG_INT, "50", "Heun steps (NFE 2N - 1)"},
    {"sample.sigma_min", CONFIG_FLOAT, "0.002", "smallest noise level of the grid"},
    {"sample.sigma_max", CONFIG_FLOAT, "80", "largest noise level of the grid"},
    {"sample.rho", CONFIG_FLOAT, "7", "grid exponent"},
    {"sample.guidance", CONFIG_FLOAT, "0", "guidance scale on the latents (0: none)"},
    {"sample.seed", CONFIG_INT, "2", "seed of the initial noise and the prior's draws"},
    {"sample.stratified_latents", CONFIG_BOOL, "false",
     "exact latent counts in proportion to the prior's probabilities (one latent only) instead of iid draws"},
};
#define TOY_FIELDS ((int)(sizeof toy_schema / sizeof toy_schema[0]))

Config *toy_config_from_args(int argc, char **argv, const char *command, const char **run_dir, int *exit_code) {
    Config *c = run_config_from_args(argc, argv, command, toy_schema, TOY_FIELDS, run_dir, exit_code);
    if (c) {
        const char *kind = config_string(c, "kind");
        DISCO_CHECK(strcmp(kind, "toy2d") == 0, "disco %s: this is a kind '%s' config; only 'toy2d' and 'image' exist",
                    command, kind);
    }
    return c;
}

ToyRunSpec toy_spec(const Config *c, bool baseline) {
    ToyRunSpec s = {.name = baseline ? "baseline" : "DisCo-Diff"};
    s.model = (ToyModelConfig){
        .latents = baseline ? 0 : (int)config_int(c, "model.latents"), .codebook = (int)config_int(c, "model.codebook"),
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
    s.checkpoint_every = (int)config_int(c, "train.checkpoint_every");
    s.keep_checkpoints = (int)config_int(c, "train.keep_checkpoints");
    s.bucket_bytes = (size_t)(config_float(c, "train.bucket_mb") * 1024 * 1024);
    s.zero1 = config_bool(c, "train.zero1");
    s.sampler = sampler_default();
    s.sampler.steps = (int)config_int(c, "sample.steps");
    s.sampler.sigma_min = config_float(c, "sample.sigma_min");
    s.sampler.sigma_max = config_float(c, "sample.sigma_max");
    s.sampler.rho = config_float(c, "sample.rho");
    s.samples = (int)config_int(c, "sample.count");
    s.guidance = config_float(c, "sample.guidance");
    s.sample_seed = (uint64_t)config_int(c, "sample.seed");
    s.prior_steps = (int)config_int(c, "prior.steps");
    s.prior_lr = config_float(c, "prior.lr");
    s.stratified_latents = config_bool(c, "sample.stratified_latents");
    s.mixture = toy_default();
    s.mixture.std = config_float(c, "data.std");
    s.points = (int)config_int(c, "data.points");
    DISCO_CHECK(s.samples == s.points, "sample.count (%d) must equal data.points (%d): W2 compares equal sets",
                s.samples, s.points);
    return s;
}

float *toy_points(const Config *c, int offset) {
    ToyRunSpec spec = toy_spec(c, true);
    int n = spec.points;
    DISCO_CHECK(n > 0 && n % TOY_MODES == 0, "data.points must be a positive multiple of %d, not %d", TOY_MODES, n);
    float *p = disco_malloc((size_t)n * 2 * sizeof(float), "toy points");
    RngKey key = {.seed = (uint64_t)config_int(c, "data.seed") + (uint64_t)offset, .stream = RNG_STREAM_DATA_ORDER};
    toy_sample(&spec.mixture, &key, n, 1, p, NULL);
    return p;
}
