#!/usr/bin/env bash
# FID's Inception on our ops against its PyTorch twin (tests/torch/inception_fid.py), which holds
# random weights with non-trivial BatchNorm statistics: the twin's state_dict, under pytorch-fid's
# names and under the names of NVIDIA's TorchScript network, goes through
# scripts/inception_export.py, and tests/models/test_inception (case "twin") loads each export,
# runs the same uint8 images and compares the 2048 features (relative error below 1e-4).
# The exporter refuses torchvision's ImageNet weights and a state_dict lacking a tensor.
# $1 a python3 with torch, numpy and h5py, $2 the test_inception executable.
set -euo pipefail
python=$1
test_inception=$2
root=$(cd "$(dirname "$0")/../.." && pwd)

if ! "$python" -c "import torch, numpy, h5py" 2>/dev/null; then
  echo "SKIP: $python lacks torch, numpy or h5py (Debian: python3-torch python3-numpy python3-h5py)"
  echo "inception check: ok (skipped)"
  exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$python" "$root/tests/torch/inception_fid.py" "$scratch"
"$python" "$root/scripts/inception_export.py" "$scratch/pytorch_fid.pth" "$scratch/fid.h5"
"$python" "$root/scripts/inception_export.py" "$scratch/nvidia_names.pt" "$scratch/nvidia.h5"

out=$(DISCO_INCEPTION_FIXTURE=$scratch CK_RUN_CASE=twin "$test_inception")
echo "$out"
grep -q "100%: Checks: 1, Failures: 0, Errors: 0" <<<"$out"
test "$(grep -c "inception vs PyTorch" <<<"$out")" = 2

# Refusals: status 1, the reason named.
refused() { # expected-text python-expression-for-the-state-dict
  "$python" -c "import torch; torch.save($2, '$scratch/bad.pt')"
  if "$python" "$root/scripts/inception_export.py" "$scratch/bad.pt" "$scratch/bad.h5" 2>"$scratch/err"; then
    echo "accepted, but should have refused: $2"
    exit 1
  fi
  tail -n 1 "$scratch/err"
  grep -q "$1" "$scratch/err"
}
refused "torchvision's ImageNet Inception3" \
  "{'Conv2d_1a_3x3.conv.weight': torch.zeros(32, 3, 3, 3), 'AuxLogits.fc.weight': torch.zeros(2, 2)}"
refused "lacks Conv2d_1a_3x3.bn.bias" \
  "{k: v for k, v in torch.load('$scratch/pytorch_fid.pth').items() if k != 'Conv2d_1a_3x3.bn.bias'}"
refused "lacks layers.mixed_10.tower_2_conv.var" \
  "{k: v for k, v in torch.load('$scratch/nvidia_names.pt').items() if k != 'layers.mixed_10.tower_2_conv.var'}"
echo "inception check: ok"
