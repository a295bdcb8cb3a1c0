#!/usr/bin/env python3
"""Dumps an EDM network's weights into HDF5 for `disco weights import-edm` (docs/weights.md).

    PYTHONPATH=/path/to/edm python3 scripts/edm_export.py network-snapshot.pkl dump.h5
    python3 scripts/edm_export.py state_dict.pt dump.h5

A .pkl is an EDM snapshot (network-snapshot-*.pkl, or the published edm-imagenet-64x64-cond-adm.pkl):
a dict whose 'ema' entry is the EDMPrecond network. EDM pickles its classes with their source
(torch_utils.persistence), so unpickling imports EDM's torch_utils and dnnlib: put a checkout of
NVlabs/edm on PYTHONPATH. Anything else is read with torch.load as a state_dict (name -> tensor).

Every tensor is written as it is, in PyTorch's layout, as float32: one dataset per state_dict name,
plus a root attribute 'source'. All mapping to disco's names and layouts is done by disco itself.
Needs torch, numpy and h5py (Debian: python3-torch python3-h5py python3-numpy, for /usr/bin/python3).
"""
import argparse
import os
import pickle

import h5py
import torch


def load_state_dict(path):
    if path.endswith(".pkl"):
        with open(path, "rb") as f:
            snapshot = pickle.load(f)
        return snapshot["ema"].state_dict(), f"the 'ema' network of the EDM snapshot {os.path.basename(path)}"
    state = torch.load(path, map_location="cpu")
    if not isinstance(state, dict) or not all(torch.is_tensor(t) for t in state.values()):
        raise SystemExit(f"edm_export: {path} holds no state_dict (a dict of tensors)")
    return state, f"the state_dict {os.path.basename(path)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("network", help="EDM snapshot (.pkl) or state_dict (.pt)")
    parser.add_argument("out", help="HDF5 file to write")
    args = parser.parse_args()
    state, source = load_state_dict(args.network)
    tmp = args.out + ".tmp"
    with h5py.File(tmp, "w") as f:
        text = source.encode("utf-8")  # fixed-length UTF-8, the kind of string attribute disco reads
        f.attrs.create("source", text, dtype=h5py.string_dtype("utf-8", len(text)))
        for name, tensor in state.items():
            f.create_dataset(name, data=tensor.detach().to("cpu", torch.float32).numpy())
    os.replace(tmp, args.out)
    print(f"edm_export: {len(state)} tensors from {source} -> {args.out}")


if __name__ == "__main__":
    main()
