#include "image_config.h"

#include <string.h>

#include "disco/dataset.h"
#include "disco/error.h"
#include "run_config.h"

/* The defaults are the Fashion-MNIST run on 2 CPU cores (docs/benchmarks.md);
   EDM's ImageNet-64 values are in configs/imagenet64.yaml. */
static const ConfigField image_schema[] = {
    {"kind", CONFIG_STRING, "image", "the experiment: image (this schema) or toy2d"},
    {"data.path", CONFIG_STRING, "runs/data/fmnist", "the data set directory (disco data import)"},
    {"data.hflip", CONFIG_BOOL, "false", "random horizontal flips"},
    {"data.workers", CONFIG_INT, "1", "reader threads per rank"},
    {"model.preset", CONFIG_STRING, "fmnist", "tiny, fmnist, imagenet64, imagenet64-hierarchical or imagenet128"},
    {"model.latents", CONFIG_BOOL, "true", "DisCo-Diff's discrete latents; false trains the EDM baseline"},
    {"edm.sigma_data", CONFIG_FLOAT, "0.5", "standard deviation of the data (images in [-1, 1])"},
    {"edm.p_mean", CONFIG_FLOAT, "-1.2", "mean of ln(sigma) in training"},
    {"edm.p_std", CONFIG_FLOAT, "1.2", "standard deviation of ln(sigma) in training"},
    {"train.steps", CONFIG_INT, "2000", "Adam steps"},
    {"train.batch", CONFIG_INT, "64", "global batch size, divisible by the ranks"},
    {"train.lr", CONFIG_FLOAT, "0.001", "Adam learning rate after the ramp-up"},
    {"train.lr_rampup", CONFIG_INT, "6400", "images over which the learning rate ramps up from 0"},
    {"train.ema_half_life", CONFIG_FLOAT, "10000", "EMA half-life in images"},
    {"train.ema_rampup", CONFIG_FLOAT, "0.05", "EMA ramp-up ratio (0: none)"},
    {"train.latent_dropout", CONFIG_FLOAT, "0.1", "probability of the null latents (for guidance)"},
    {"train.gumbel_tau", CONFIG_FLOAT, "1.0", "Gumbel-softmax temperature in training"},
    {"train.gumbel_hard", CONFIG_BOOL, "true", "straight-through hard Gumbel-softmax"},
    {"train.seed", CONFIG_INT, "1", "seed of the initial weights, data order, noise levels and noise"},
    {"train.init", CONFIG_STRING, "", "checkpoint whose parameters start the run (disco weights import-edm); empty: none"},
    {"train.init_ema", CONFIG_BOOL, "true", "take train.init's EMA weights, as EDM's --transfer does"},
    {"train.checkpoint_every", CONFIG_INT, "500", "steps between checkpoints (0: only at the end)"},
    {"train.keep_checkpoints", CONFIG_INT, "3", "newest checkpoints kept (0: all)"},
    {"train.bucket_mb", CONFIG_FLOAT, "25", "gradient all-reduce bucket size in MiB (0: one bucket)"},
    {"train.zero1", CONFIG_BOOL, "false", "split Adam's moments over the ranks (ZeRO-1) instead of all-reducing"},
    {"eval.path", CONFIG_STRING, "", "data set of the loss-by-sigma evaluation after training (empty: data.path)"},
    {"eval.images", CONFIG_INT, "1024", "images it uses (0: no evaluation)"},
    {"eval.levels", CONFIG_INT, "13", "noise levels, log-spaced from eval.sigma_min to eval.sigma_max"},
    {"eval.sigma_min", CONFIG_FLOAT, "0.01", "smallest noise level evaluated"},
    {"eval.sigma_max", CONFIG_FLOAT, "80", "largest noise level evaluated"},
    {"eval.seed", CONFIG_INT, "7", "seed of the evaluation's images and noise"},
    {"prior.steps", CONFIG_INT, "2000", "Adam steps of the AR prior on the latents (disco prior)"},
    {"prior.batch", CONFIG_INT, "128", "latent sequences per prior step"},
    {"prior.lr", CONFIG_FLOAT, "0.001", "the prior's learning rate after its ramp-up (5% of the steps)"},
    {"prior.seed", CONFIG_INT, "1", "seed of the prior's initial weights, data order and dropout"},
    {"sample.seeds", CONFIG_STRING, "0-63", "one image per seed, EDM's syntax: 0-63 or 0,5,9-12"},
    {"sample.class", CONFIG_INT, "-1", "class of every image (-1: drawn per seed)"},
    {"sample.guidance", CONFIG_FLOAT, "1", "guidance w on the latents, D + w (D - D_null); 0: plain conditional"},
    {"sample.temperature", CONFIG_FLOAT, "1", "temperature of the prior's draws"},
    {"sample.latents", CONFIG_STRING, "prior",
     "prior, or oracle: the encoder's latents (tau 0.01) and the label of image <seed> of sample.oracle_data"},
    {"sample.oracle_data", CONFIG_STRING, "", "data set of the oracle latents (empty: data.path)"},
    {"sample.sampler", CONFIG_STRING, "heun",
     "heun, euler, stochastic (EDM's churn, sample.s_*) or restart (Restart's ImageNet-64 intervals)"},
    {"sample.steps", CONFIG_INT, "18", "steps of the time grid (Heun: 2N - 1 network evaluations)"},
    {"sample.sigma_min", CONFIG_FLOAT, "0.002", "smallest noise level of the grid"},
    {"sample.sigma_max", CONFIG_FLOAT, "80", "largest noise level of the grid"},
    {"sample.rho", CONFIG_FLOAT, "7", "grid exponent"},
    {"sample.s_churn", CONFIG_FLOAT, "40", "stochastic: churn"},
    {"sample.s_min", CONFIG_FLOAT, "0.05", "stochastic: churn from this noise level"},
    {"sample.s_max", CONFIG_FLOAT, "50", "stochastic: churn up to this noise level"},
    {"sample.s_noise", CONFIG_FLOAT, "1.003", "stochastic: scale of the churn noise"},
    {"sample.batch", CONFIG_INT, "64", "images per forward on each rank"},
    {"sample.out", CONFIG_STRING, "", "directory of the images (empty: RUN/samples)"},
    {"sample.grid", CONFIG_INT, "8", "grid.png shows the first grid x grid images (0: none)"},
    {"fid.network", CONFIG_STRING, "fmnist", "features of the FD: fmnist (the classifier's) or inception"},
    {"fid.weights", CONFIG_STRING, "",
     "the feature network's weights (empty with fmnist: disco pipeline trains the classifier into RUN/classifier.h5)"},
    {"fid.classifier_steps", CONFIG_INT, "1500", "steps of that classifier's training"},
    {"fid.reference", CONFIG_STRING, "",
     "reference statistics, .npz or .h5 (empty: disco pipeline computes data.path's into RUN/reference.h5)"},
    {"pipeline.import", CONFIG_STRING, "fmnist",
     "fmnist: import Fashion-MNIST into data.path (train) and eval.path (t10k) where missing; empty: never"},
    {"pipeline.baseline", CONFIG_BOOL, "true", "also run EDM's baseline (model.latents false) beside DisCo-Diff"},
};
#define IMAGE_FIELDS ((int)(sizeof image_schema / sizeof image_schema[0]))

Config *image_config_from_args(int argc, char **argv, const char *command, const char **run_dir, int *exit_code) {
    return run_config_from_args(argc, argv, command, image_schema, IMAGE_FIELDS, run_dir, exit_code);
}

static int data_channels(const char *path) {
    Dataset *d = dataset_open(path);
    int channels = dataset_info(d)->channels;
    dataset_close(d);
    return channels;
}

ImageRunSpec image_spec(const Config *c) {
    ImageRunSpec s = {.data_path = config_string(c, "data.path")};
    s.model = image_model_preset(config_string(c, "model.preset"), data_channels(s.data_path),
                                 config_bool(c, "model.latents"));
    s.prior = prior_preset(config_string(c, "model.preset"));
    DISCO_CHECK(s.prior.m == s.model.encoder.m && s.prior.k == s.model.encoder.k &&
                    s.prior.classes == s.model.unet.label_dim,
                "model preset '%s': the prior's %d latents of %d values over %d classes do not match the model",
                config_string(c, "model.preset"), s.prior.m, s.prior.k, s.prior.classes);
    s.model.sigma_data = config_float(c, "edm.sigma_data");
    s.model.gumbel_tau = (float)config_float(c, "train.gumbel_tau");
    s.model.gumbel_hard = config_bool(c, "train.gumbel_hard");
    s.train = (ImageTrainConfig){
        .steps = (int)config_int(c, "train.steps"), .batch = (int)config_int(c, "train.batch"),
        .lr = config_float(c, "train.lr"), .lr_rampup_samples = (uint64_t)config_int(c, "train.lr_rampup"),
        .ema_half_life_samples = config_float(c, "train.ema_half_life"),
        .ema_rampup_ratio = config_float(c, "train.ema_rampup"), .p_mean = config_float(c, "edm.p_mean"),
        .p_std = config_float(c, "edm.p_std"), .latent_dropout = config_float(c, "train.latent_dropout"),
        .hflip = config_bool(c, "data.hflip"), .reader_workers = (int)config_int(c, "data.workers"),
        .seed = (uint64_t)config_int(c, "train.seed"), .init_weights = config_string(c, "train.init"),
        .init_from_ema = config_bool(c, "train.init_ema")};
    s.checkpoint_every = (int)config_int(c, "train.checkpoint_every");
    s.keep_checkpoints = (int)config_int(c, "train.keep_checkpoints");
    s.bucket_bytes = (size_t)(config_float(c, "train.bucket_mb") * 1024 * 1024);
    s.zero1 = config_bool(c, "train.zero1");
    const char *eval_path = config_string(c, "eval.path");
    s.eval = (ImageEvalSpec){.path = *eval_path ? eval_path : s.data_path, .images = (int)config_int(c, "eval.images"),
                             .levels = (int)config_int(c, "eval.levels"), .sigma_min = config_float(c, "eval.sigma_min"),
                             .sigma_max = config_float(c, "eval.sigma_max"), .seed = (uint64_t)config_int(c, "eval.seed")};
    DISCO_CHECK(s.eval.images == 0 || (s.eval.levels >= 2 && s.eval.sigma_min > 0 && s.eval.sigma_max > s.eval.sigma_min),
                "eval: need levels >= 2 and 0 < sigma_min < sigma_max (got %d, %g, %g)", s.eval.levels,
                s.eval.sigma_min, s.eval.sigma_max);
    ImagePriorSpec *p = &s.prior_training;
    *p = (ImagePriorSpec){.steps = (int)config_int(c, "prior.steps"), .batch = (int)config_int(c, "prior.batch"),
                          .lr = config_float(c, "prior.lr"), .seed = (uint64_t)config_int(c, "prior.seed")};
    DISCO_CHECK(p->steps > 0 && p->batch > 0 && p->lr > 0,
                "prior: need steps > 0, batch > 0 and lr > 0 (got %d, %d, %g)", p->steps, p->batch, p->lr);
    s.sample = image_sample_spec(c, &s.model);
    DISCO_CHECK(strcmp(config_string(c, "kind"), "image") == 0, "an image config must say kind: image, not '%s'",
                config_string(c, "kind"));
    return s;
}
