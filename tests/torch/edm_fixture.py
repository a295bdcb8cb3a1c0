"""Files for tests/launcher/edm_convert.sh: the PyTorch twin at disco's `tiny` size, saved the
ways EDM's weights arrive, with inputs and the twin's outputs for disco to reproduce.

    python3 tests/torch/edm_fixture.py OUT_DIR

writes into OUT_DIR
  snapshot.pkl           {'ema': EdmPrecondStandIn(twin), ...}, pickled as EDM's snapshots are
  io_baseline.h5         inputs and the twin's F for it
  latents.pt             the state_dict of a twin with cross-attention (latent_dim 8), U-Net names
  io_latents.h5          inputs (latent tokens included) and that twin's F
  imagenet64_shapes.h5   names and shapes of EDM's ImageNet-64 network, no data (built on the
                         meta device: nothing of its 1.2 GB is allocated)
The io files hold x [B, H, W, C] (NHWC, as disco feeds it), c_noise [B], class_labels [B, classes],
tokens [B, m, latent_dim] where the twin has cross-attention, and F [B, H, W, C].
"""
import os
import pickle
import sys

import h5py
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from adm_unet import PRESETS, AdmUNet, EdmPrecondStandIn  # noqa: E402

BATCH, TOKENS, LATENT_DIM = 2, 3, 8


def randomised_twin(seed, latent_dim=0):
    """Every parameter moved off its initialisation: zero-initialised layers (conv1, proj,
    out_conv, cross-attention) would hide whatever lies behind them, and GroupNorm's ones and
    zeros would hide a swapped weight and bias."""
    torch.manual_seed(seed)
    twin = AdmUNet(**PRESETS["tiny"], latent_dim=latent_dim).eval()
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(0.2 * torch.randn_like(p))
    return twin


def write_io(path, twin, tokens=None):
    torch.manual_seed(7)
    c = PRESETS["tiny"]
    x = torch.randn(BATCH, c["in_channels"], c["img_resolution"], c["img_resolution"])
    c_noise = torch.empty(BATCH).uniform_(-1.55, 1.1)  # ln(sigma)/4 over EDM's sigma range
    labels = torch.nn.functional.one_hot(torch.arange(BATCH) % c["label_dim"], c["label_dim"]).float()
    with torch.no_grad():
        out = twin(x, c_noise, labels, tokens)
    with h5py.File(path, "w") as f:
        f["x"] = x.permute(0, 2, 3, 1).contiguous().numpy()
        f["c_noise"] = c_noise.numpy()
        f["class_labels"] = labels.numpy()
        if tokens is not None:
            f["tokens"] = tokens.numpy()
        f["F"] = out.permute(0, 2, 3, 1).contiguous().numpy()
    return out


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    twin = randomised_twin(1)
    out = write_io(os.path.join(out_dir, "io_baseline.h5"), twin)
    assert out.abs().max() > 0.1, "the twin's output should not be trivial"
    snapshot = dict(ema=EdmPrecondStandIn(twin), loss_fn=None, augment_pipe=None, dataset_kwargs={})
    with open(os.path.join(out_dir, "snapshot.pkl"), "wb") as f:
        pickle.dump(snapshot, f)

    twin = randomised_twin(2, LATENT_DIM)
    tokens = torch.randn(BATCH, TOKENS, LATENT_DIM)
    write_io(os.path.join(out_dir, "io_latents.h5"), twin, tokens)
    torch.save(twin.state_dict(), os.path.join(out_dir, "latents.pt"))

    full = EdmPrecondStandIn(AdmUNet(**PRESETS["imagenet64"], device="meta"))
    with h5py.File(os.path.join(out_dir, "imagenet64_shapes.h5"), "w") as f:
        for name, tensor in full.state_dict().items():
            f.create_dataset(name, shape=tuple(tensor.shape), dtype="f4")  # never written: no storage
    print(f"edm_fixture: files in {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1])
