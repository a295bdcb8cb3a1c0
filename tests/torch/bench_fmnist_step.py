"""The PyTorch side of tests/bench/bench_fmnist_step.c: one training step (forward, the EDM loss
as disco's graph computes it, backward) of the twin of the Fashion-MNIST ADM U-Net
(tests/torch/adm_unet.py, PRESETS['fmnist']), baseline and with cross-attention, on the CPU.

Prints its setup, then `step_ms baseline MS` and `step_ms cross MS`: the best step of --repeats
after --warmup. The C bench runs it with glibc's malloc tuned as disco tunes its own
(MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_, docs/benchmarks.md).
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adm_unet import PRESETS, AdmUNet  # noqa: E402


def best_step_ms(args, latent_dim):
    torch.manual_seed(1)
    config = PRESETS["fmnist"]
    net = AdmUNet(**config, latent_dim=latent_dim).train()
    side, channels, classes = config["img_resolution"], config["in_channels"], config["label_dim"]
    x = torch.randn(args.batch, channels, side, side)
    c_noise = torch.empty(args.batch).uniform_(-1.55, 1.1)
    labels = torch.nn.functional.one_hot(torch.arange(args.batch) % classes, classes).float()
    # The tokens take a gradient, as they do under the latent transformer.
    tokens = torch.randn(args.batch, args.tokens, latent_dim, requires_grad=True) if latent_dim else None
    target = torch.randn(args.batch, channels, side, side)
    weight = torch.empty(args.batch).uniform_(0.5, 1.5)

    def step():
        start = time.perf_counter()
        out = net(x, c_noise, labels, tokens)
        # disco's weighted MSE: weight * sum of squares per image, averaged over the batch.
        loss = (weight * (out - target).square().sum(dim=(1, 2, 3))).mean()
        net.zero_grad(set_to_none=True)
        if tokens is not None:
            tokens.grad = None
        loss.backward()
        return time.perf_counter() - start

    for _ in range(args.warmup):
        step()
    return 1e3 * min(step() for _ in range(args.repeats))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=10)
    parser.add_argument("--latent-dim", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = torch.__config__.show()
    capability = next((line.strip() for line in config.splitlines() if "CPU capability" in line), "")
    torch.ones(64, 64) @ torch.ones(64, 64)  # loads the BLAS library, to name it below
    with open("/proc/self/maps") as maps:
        blas = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {capability}; convolutions by oneDNN "
          f"(mkldnn {torch.backends.mkldnn.is_available()}), matmuls by {', '.join(blas) or 'its own kernels'}; "
          f"MALLOC_MMAP_THRESHOLD_={os.environ.get('MALLOC_MMAP_THRESHOLD_', 'unset')}")
    print(f"step_ms baseline {best_step_ms(args, 0):.1f}")
    print(f"step_ms cross {best_step_ms(args, args.latent_dim):.1f}")


if __name__ == "__main__":
    main()
