/* disco: the command-line entry point. Dispatches to one subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "disco/error.h"

static const Command commands[] = {
    {"pipeline", "every stage of an image experiment, DisCo-Diff and the baseline, ending in a report",
     "Usage: disco pipeline --config FILE [--run DIR] [--set key=value ...]\n"
     "       mpirun -np N disco pipeline ...\n\n"
     "Imports Fashion-MNIST if missing (pipeline.import), trains the FD's classifier (fid.*), then for\n"
     "DisCo-Diff and, with pipeline.baseline, EDM's baseline: stage 1 (train), encode, the prior,\n"
     "sample and the FD of the samples, each in DIR/disco and DIR/baseline as the single-stage\n"
     "commands would write them. Ends with a table of losses, FD and timings (DIR/report.md).\n"
     "Rerun the same command to resume: finished stages are skipped (DIR/*/pipeline.yaml).\n\n"
     "  --config FILE    an image config (kind: image), e.g. configs/fmnist.yaml\n"
     "  --run DIR        the run directory (default runs/fmnist)\n"
     "  --set key=value  override a config field (disco train --config FILE --fields lists them)\n",
     command_pipeline},
    {"info", "show the build, the backends and the devices this machine has",
     "Usage: disco info\n\nPrints the build options (CUDA, MPI), the BLAS and OpenMP threads,\n"
     "and whether a CUDA device can be used.\n",
     command_info},
    {"classify", "train the Fashion-MNIST classifier and report its test accuracy",
     "Usage: disco classify [options]\n\n"
     "Trains the small conv net whose features define FD on Fashion-MNIST, with Adam,\n"
     "then evaluates it on the 10,000 test images.\n\n"
     "  --steps N     training steps (default 4000)\n"
     "  --batch B     images per step (default 32)\n"
     "  --lr X        peak learning rate (default 0.003; warm-up, then cosine decay)\n"
     "  --seed S      initialisation and data order (default 1)\n"
     "  --data DIR    the gzip'd IDX files (default /usr/share/datasets/fashion-mnist)\n"
     "  --threads T   OpenMP threads (default: OMP_NUM_THREADS or all cores)\n"
     "  --out FILE    also write the results as JSON\n"
     "  --save FILE   also write the trained weights (a checkpoint; disco fid --features fmnist reads it)\n",
     command_classify},
    {"train", "stage 1: train the denoiser and the encoder end to end",
     "Usage: disco train [--config FILE] [--run DIR] [--set key=value]... [--fields]\n"
     "       mpirun -np N disco train ...\n\n"
     "Trains stage 1 and writes DIR/checkpoints/stage1.h5 (weights and EMA), DIR/metrics.jsonl and\n"
     "DIR/config.yaml, checkpointing every train.checkpoint_every steps and resuming from the newest.\n"
     "The config's `kind` picks the experiment:\n"
     "  toy2d (the default; DIR runs/toy2d)   the 2D toy; --set model.latents=0 trains the baseline\n"
     "  image (configs/fmnist.yaml; DIR runs/fmnist)   images from data.path (disco data import);\n"
     "        --set model.latents=false trains EDM's baseline; writes DIR/loss_by_sigma.json too\n"
     "A SIGUSR1 or SIGTERM saves a checkpoint and exits with status 75 (requeue).\n",
     command_train},
    {"encode", "encode the training set into latents with the trained encoder",
     "Usage: disco encode [--config FILE] [--run DIR] [--set key=value]...\n\n"
     "Reads DIR/checkpoints/stage1.h5, writes DIR/latents.h5 (int32 [N, m], Gumbel tau 0.01).\n",
     command_encode},
    {"prior", "stage 2: train the autoregressive prior on the latents",
     "Usage: disco prior [--config FILE] [--run DIR] [--set key=value]...\n\n"
     "Reads DIR/latents.h5, writes DIR/checkpoints/prior.h5.\n",
     command_prior},
    {"sample", "draw latents from the prior and samples with the Heun ODE",
     "Usage: disco sample [--config FILE] [--run DIR] [--set key=value]...\n"
     "       mpirun -np N disco sample ...   (image configs)\n\n"
     "Reads both checkpoints. The toy writes DIR/samples.h5 (points, latents) and prints W2 against\n"
     "a fresh reference draw, curvature and mode coverage. An image config draws one image per seed\n"
     "of sample.seeds, the seeds split over the ranks, into DIR/samples/ (sample.out): PNGs in EDM's\n"
     "seed folders, grid.png and samples.npz (the ADM evaluator's); seeds whose PNG exists are\n"
     "skipped. sample.guidance w gives D + w (D - D_null); --fields lists every sample.* field.\n",
     command_sample},
    {"toy", "DisCo-Diff against the plain model on the paper's 2D toy, side by side",
     "Usage: disco toy [--config FILE] [--run DIR] [--set key=value]... [--fields]\n\n"
     "Trains the plain EDM model and DisCo-Diff on 8 Gaussians with the same budget, draws\n"
     "latents from the AR prior, samples both with Heun, and prints W2 (with its floor),\n"
     "curvature and mode coverage side by side. Writes DIR/config.yaml, metrics.jsonl,\n"
     "results.json and toy.png, with each model's stages under DIR/baseline and DIR/disco\n"
     "(default DIR runs/toy2d). --fields lists every config field.\n",
     command_toy},
    {"data", "import data sets into HDF5 shards, and verify them",
     "Usage: disco data import SOURCE --out DIR [options]\n"
     "       mpirun -np N disco data import SOURCE --out DIR [options]\n"
     "       disco data verify PATH...\n\n"
     "import writes a data set directory: shard-00000.h5, ... and index.h5 (docs/formats.md).\n"
     "SOURCE is one of:\n"
     "  --fmnist               Fashion-MNIST's gzip'd IDX files\n"
     "      --data DIR         where they are (default /usr/share/datasets/fashion-mnist)\n"
     "      --split train|t10k which split (default train)\n"
     "      --size 28|32       keep 28x28, or centre on a black 32x32 canvas (default 32)\n"
     "      --rgb              repeat the grey value into 3 channels\n"
     "  --imagenet DIR         an ImageNet train folder: class subfolders of JPEGs, label = the\n"
     "                         folder's index in sorted order; needs --resolution\n"
     "  --png-folder DIR       PNGs under DIR (sorted by path); labels from --labels FILE or\n"
     "                         DIR/dataset.json (EDM's form), else all 0\n"
     "  --npz FILE...          downsampled-ImageNet batches ('data' CHW rows, 1-based 'labels')\n"
     "Options:\n"
     "  --resolution R         make every image R x R (ImageNet, PNG folder)\n"
     "  --preprocess NAME      center-crop (EDM: crop, Lanczos) or center-crop-dhariwal (ADM/EDM2:\n"
     "                         box-halve, bicubic, crop); default center-crop\n"
     "  --shard-images N       images per shard (default 10000)\n"
     "  --deflate L            compress the images with deflate level L (default 0: none)\n"
     "  --force                replace a finished data set in DIR\n\n"
     "Under mpirun each rank writes every N-th shard. An interrupted import resumes when rerun with\n"
     "the same options: finished shards are kept.\n\n"
     "verify checks each data set's (or shard's) layout, labels and checksums and prints N, shape,\n"
     "classes and 'ok'; it exits with status 1 and the error at the first bad file.\n",
     command_data},
    {"weights", "convert pretrained weights: EDM's ImageNet-64 U-Net into a checkpoint",
     "Usage: disco weights import-edm DUMP.h5 --model NAME --out FILE.h5 [options]\n\n"
     "Reads EDM's network weights as scripts/edm_export.py dumps them (one float32 dataset per\n"
     "state_dict name, PyTorch layout), checks every name and shape against our U-Net, changes\n"
     "the layouts (conv weights, the fused qkv rows) and writes a checkpoint with the weights as\n"
     "both parameters and EMA. docs/weights.md has the whole procedure.\n\n"
     "  --model NAME    the U-Net preset: imagenet64, imagenet128, fmnist or tiny\n"
     "  --latents       build DisCo-Diff's model (encoder, latent transformer, cross-attention),\n"
     "                  whose new parts keep their initialisation (cross-attention starts as\n"
     "                  the identity); default: the baseline U-Net alone\n"
     "  --channels C    image channels of the fmnist preset (default 1)\n"
     "  --seed S        initialisation of the parameters EDM does not have (default 1)\n"
     "  --check-only    check names and shapes without allocating the network; write nothing\n",
     command_weights},
    {"fid", "feature statistics of images and their Frechet distance to a reference (FID, FD)",
     "Usage: disco fid INPUT --features NET --weights FILE [--ref STATS] [--save-stats STATS] [--batch B]\n"
     "       mpirun -np N disco fid ...\n\n"
     "The mean and covariance (float64) of the features of every image of INPUT, each rank running a\n"
     "slice, and their Frechet distance to a reference. INPUT is a folder of PNGs (searched\n"
     "recursively, as EDM's seed folders), an .npz holding arr_0 uint8 [N, H, W, C] (the ADM\n"
     "evaluator's form) or a data set of shards (disco data import). Grey images and RGB are both read.\n\n"
     "  --features NET      inception: FID's Inception-v3, 2048 pool features; weights from\n"
     "                      scripts/inception_export.py (docs/fid_inception.md)\n"
     "                      fmnist: the Fashion-MNIST classifier's 128 features (FD); weights from\n"
     "                      disco classify --save; images of at most 32x32\n"
     "  --weights FILE      the network's weights\n"
     "  --ref STATS         print the distance to these statistics (.npz as EDM publishes them, or .h5)\n"
     "  --save-stats STATS  write the statistics: .npz (EDM's form: mu, sigma) or .h5 (also N and\n"
     "                      the network's name)\n"
     "  --batch B           images per forward pass (default 8 for inception, 100 for fmnist)\n\n"
     "At least one of --ref and --save-stats. EDM's fid.py takes exactly 50,000 images; this takes\n"
     "every image of INPUT and prints how many.\n",
     command_fid},
};
static const int n_commands = sizeof commands / sizeof commands[0];

static void print_usage(FILE *out) {
    fprintf(out, "Usage: disco <command> [options]\n\nCommands:\n");
    for (int i = 0; i < n_commands; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'disco <command> --help' for a command's options.\n");
}

static int wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    disco_tune_malloc();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < n_commands; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        if (wants_help(argc - 1, argv + 1)) {
            fputs(commands[i].usage, stdout);
            return 0;
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "disco: unknown command '%s'\n\n", argv[1]);
    print_usage(stderr);
    return 2;
}
