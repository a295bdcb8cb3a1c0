#!/usr/bin/env python3
"""Writes FID's Inception-v3 weights as HDF5 for disco (docs/fid_inception.md).

    python3 scripts/inception_export.py WEIGHTS OUT.h5

WEIGHTS is one of
  pt_inception-2015-12-05-6726825d.pth  pytorch-fid's state_dict (torch.load)
  inception-2015-12-05.pkl              EDM's / StyleGAN3's pickled TorchScript network (pickle.load);
                                        if unpickling asks for NVIDIA's dnnlib or torch_utils, put a
                                        checkout of NVlabs/edm on PYTHONPATH
  inception-2015-12-05.pt               StyleGAN2-ADA's TorchScript archive (torch.jit.load)
or any torch.save'd dict of tensors under either naming.

OUT.h5 holds, for each of the 94 convs under pytorch-fid's name <layer>, five float32 datasets
in PyTorch's layout: <layer>.conv.weight [out, in, kh, kw] and <layer>.bn.weight, .bn.bias,
.bn.running_mean, .bn.running_var [out]; and a root attribute 'source'. The TorchScript network
names its layers after the TensorFlow graph (layers.mixed_9.tower_mixed_conv) and its BatchNorm
has no scale: its tensors weight, beta, mean and var become conv.weight, bn.bias,
bn.running_mean and bn.running_var, with bn.weight all ones. The 1008-way classifier (fc or
output) and num_batches_tracked are not written. disco folds the BatchNorm into the conv and
changes the layout when it loads the file.
Needs torch, numpy and h5py (Debian: python3-torch python3-numpy python3-h5py).
"""
import argparse
import os
import pickle
import re
import zipfile

import h5py
import torch

BN_FIELDS = ("weight", "bias", "running_mean", "running_var")

# pytorch-fid's blocks in order, with the kind of Inception block each is.
BLOCKS = [("Mixed_5b", "A"), ("Mixed_5c", "A"), ("Mixed_5d", "A"), ("Mixed_6a", "B"), ("Mixed_6b", "C"),
          ("Mixed_6c", "C"), ("Mixed_6d", "C"), ("Mixed_6e", "C"), ("Mixed_7a", "D"), ("Mixed_7b", "E"),
          ("Mixed_7c", "E")]
# Within a block: (TorchScript path, pytorch-fid branch), in the order the branches are concatenated.
BRANCHES = {
    "A": [("conv", "branch1x1"), ("tower.conv", "branch5x5_1"), ("tower.conv_1", "branch5x5_2"),
          ("tower_1.conv", "branch3x3dbl_1"), ("tower_1.conv_1", "branch3x3dbl_2"),
          ("tower_1.conv_2", "branch3x3dbl_3"), ("tower_2.conv", "branch_pool")],
    "B": [("conv", "branch3x3"), ("tower.conv", "branch3x3dbl_1"), ("tower.conv_1", "branch3x3dbl_2"),
          ("tower.conv_2", "branch3x3dbl_3")],
    "C": [("conv", "branch1x1"), ("tower.conv", "branch7x7_1"), ("tower.conv_1", "branch7x7_2"),
          ("tower.conv_2", "branch7x7_3"), ("tower_1.conv", "branch7x7dbl_1"), ("tower_1.conv_1", "branch7x7dbl_2"),
          ("tower_1.conv_2", "branch7x7dbl_3"), ("tower_1.conv_3", "branch7x7dbl_4"),
          ("tower_1.conv_4", "branch7x7dbl_5"), ("tower_2.conv", "branch_pool")],
    "D": [("tower.conv", "branch3x3_1"), ("tower.conv_1", "branch3x3_2"), ("tower_1.conv", "branch7x7x3_1"),
          ("tower_1.conv_1", "branch7x7x3_2"), ("tower_1.conv_2", "branch7x7x3_3"),
          ("tower_1.conv_3", "branch7x7x3_4")],
    "E": [("conv", "branch1x1"), ("tower_conv", "branch3x3_1"), ("tower_mixed_conv", "branch3x3_2a"),
          ("tower_mixed_conv_1", "branch3x3_2b"), ("tower_1_conv", "branch3x3dbl_1"),
          ("tower_1_conv_1", "branch3x3dbl_2"), ("tower_1_mixed_conv", "branch3x3dbl_3a"),
          ("tower_1_mixed_conv_1", "branch3x3dbl_3b"), ("tower_2_conv", "branch_pool")],
}
TRUNK = [("conv", "Conv2d_1a_3x3"), ("conv_1", "Conv2d_2a_3x3"), ("conv_2", "Conv2d_2b_3x3"),
         ("conv_3", "Conv2d_3b_1x1"), ("conv_4", "Conv2d_4a_3x3")]


def torchscript_layers():
    """TorchScript layer path -> pytorch-fid layer name, for all 94 convs. The TF graph numbers
    its blocks mixed, mixed_1, ..., mixed_10."""
    layers = {f"layers.{theirs}": ours for theirs, ours in TRUNK}
    for index, (block, kind) in enumerate(BLOCKS):
        theirs = "mixed" if index == 0 else f"mixed_{index}"
        for path, branch in BRANCHES[kind]:
            layers[f"layers.{theirs}.{path}"] = f"{block}.{branch}"
    return layers


def load_state_dict(path):
    if path.endswith(".pkl"):
        with open(path, "rb") as f:
            network = pickle.load(f)
        return network.state_dict(), f"the pickled network {os.path.basename(path)}"
    if zipfile.is_zipfile(path) and any(n.endswith("/constants.pkl") for n in zipfile.ZipFile(path).namelist()):
        return torch.jit.load(path, map_location="cpu").state_dict(), f"the TorchScript {os.path.basename(path)}"
    state = torch.load(path, map_location="cpu")
    if not isinstance(state, dict) or not all(torch.is_tensor(t) for t in state.values()):
        raise SystemExit(f"inception_export: {path} holds no state_dict (a dict of tensors)")
    return state, f"the state_dict {os.path.basename(path)}"


def from_torchscript_names(state, path):
    out, used = {}, set()
    for theirs, ours in torchscript_layers().items():
        names = {f: f"{theirs}.{f}" for f in ("weight", "beta", "mean", "var")}
        missing = [n for n in names.values() if n not in state]
        if missing:
            raise SystemExit(f"inception_export: {path} lacks {missing[0]} (pytorch-fid's {ours})")
        used.update(names.values())
        out[f"{ours}.conv.weight"] = state[names["weight"]]
        out[f"{ours}.bn.weight"] = torch.ones_like(state[names["beta"]])  # TF's BatchNorm here has no scale
        out[f"{ours}.bn.bias"] = state[names["beta"]]
        out[f"{ours}.bn.running_mean"] = state[names["mean"]]
        out[f"{ours}.bn.running_var"] = state[names["var"]]
    unknown = [n for n in state if n not in used and not n.startswith("output.")]
    if unknown:
        raise SystemExit(f"inception_export: {path} holds {unknown[0]}, which is no part of FID's Inception")
    return out


def from_pytorch_fid_names(state, path):
    if any(n.startswith("AuxLogits.") for n in state):
        raise SystemExit(f"inception_export: {path} has AuxLogits: torchvision's ImageNet Inception3, "
                         "not FID's weights (pt_inception-2015-12-05-*.pth)")
    wanted = re.compile(r"\.conv\.weight$|\.bn\.(" + "|".join(BN_FIELDS) + ")$")
    out = {}
    for name, tensor in state.items():
        if wanted.search(name):
            out[name] = tensor
        elif not (name.startswith("fc.") or name.endswith(".num_batches_tracked")):
            raise SystemExit(f"inception_export: {path} holds {name}, which is no part of FID's Inception")
    layers = set(torchscript_layers().values())
    for layer in sorted(layers):
        for name in [f"{layer}.conv.weight"] + [f"{layer}.bn.{f}" for f in BN_FIELDS]:
            if name not in out:
                raise SystemExit(f"inception_export: {path} lacks {name}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", help="pytorch-fid .pth, NVIDIA .pkl or TorchScript .pt")
    parser.add_argument("out", help="HDF5 file to write")
    args = parser.parse_args()
    state, source = load_state_dict(args.weights)
    if "layers.conv.weight" in state:
        tensors, naming = from_torchscript_names(state, args.weights), "TorchScript names"
    elif "Conv2d_1a_3x3.conv.weight" in state:
        tensors, naming = from_pytorch_fid_names(state, args.weights), "pytorch-fid names"
    else:
        raise SystemExit(f"inception_export: {args.weights} has neither Conv2d_1a_3x3.conv.weight (pytorch-fid) "
                         "nor layers.conv.weight (NVIDIA's TorchScript)")
    tmp = args.out + ".tmp"
    with h5py.File(tmp, "w") as f:
        text = f"{source} ({naming})".encode("utf-8")
        f.attrs.create("source", text, dtype=h5py.string_dtype("utf-8", len(text)))
        for name, tensor in tensors.items():
            f.create_dataset(name, data=tensor.detach().to("cpu", torch.float32).numpy())
    os.replace(tmp, args.out)
    print(f"inception_export: {len(tensors) // 5} convs from {source} ({naming}) -> {args.out}")


if __name__ == "__main__":
    main()
