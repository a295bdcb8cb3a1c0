#!/usr/bin/env bash
# EDM's weights into disco, end to end, with the PyTorch twin of the ADM U-Net
# (tests/torch/adm_unet.py) standing in for EDM's network at the `tiny` size:
# its snapshot, pickled as EDM's are, goes through scripts/edm_export.py and
# `disco weights import-edm`, and our graph on the checkpoint computes the
# twin's F (also when loaded into a graph with cross-attention); a twin with
# cross-attention, as a state_dict, loads and matches too. The names and shapes
# of EDM's ImageNet-64 network (the twin on torch's meta device: nothing
# allocated) match our graph, built but not compiled. A dump lacking a tensor,
# or holding one too many, or meant for another preset, is refused naming the
# file and the tensor.
# $1 disco, $2 a python3 with torch, numpy and h5py, $3 tests/io/edm_twin_compare.
set -euo pipefail
disco=$1
python=$2
compare=$3
root=$(cd "$(dirname "$0")/../.." && pwd)

if ! "$python" -c "import torch, numpy, h5py" 2>/dev/null; then
  echo "SKIP: $python lacks torch, numpy or h5py (Debian: python3-torch python3-numpy python3-h5py)"
  echo "edm convert: ok (skipped)"
  exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$python" "$root/tests/torch/edm_fixture.py" "$scratch"
# The snapshot names the twin's module, as EDM's name torch_utils and dnnlib.
PYTHONPATH="$root/tests/torch" "$python" "$root/scripts/edm_export.py" "$scratch/snapshot.pkl" "$scratch/dump.h5"
"$python" "$root/scripts/edm_export.py" "$scratch/latents.pt" "$scratch/dump_latents.h5"

"$disco" weights import-edm "$scratch/dump.h5" --model tiny --out "$scratch/tiny.h5"
"$compare" checkpoint "$scratch/tiny.h5" "$scratch/io_baseline.h5"
"$compare" dump "$scratch/dump_latents.h5" "$scratch/io_latents.h5"

out=$("$disco" weights import-edm "$scratch/imagenet64_shapes.h5" --model imagenet64 --check-only)
echo "$out"
grep -q "541 parameters (295899267 floats) and 12 resampling filters" <<<"$out"
out=$("$disco" weights import-edm "$scratch/imagenet64_shapes.h5" --model imagenet64 --latents --check-only)
grep -q "176 cross-attention parameters would stay at their initialisation" <<<"$out"

# Refusals: status 1, the file and the tensor named.
refused() { # expected-text disco-arguments...
  local text=$1
  shift
  if "$disco" weights import-edm "$@" --check-only 2>"$scratch/err"; then
    echo "accepted, but should have refused: $*"
    exit 1
  fi
  grep "fatal\|error" "$scratch/err" | tail -n 1
  grep -q "$text" "$scratch/err"
}
edit_dump() { # out python-statements-on-f
  cp "$scratch/dump.h5" "$1"
  "$python" -c "import h5py, numpy; f = h5py.File('$1', 'r+'); $2; f.close()"
}
edit_dump "$scratch/missing.h5" "del f['model.enc.4x4_block0.qkv.weight']"
refused "missing.h5': our parameter 'model.enc.4x4_block0.qkv.weight' has no tensor" "$scratch/missing.h5" --model tiny
edit_dump "$scratch/extra.h5" "f['model.map_augment.weight'] = numpy.zeros((16, 9), 'f4')"
refused "extra.h5': 'model.map_augment.weight' has nowhere to go" "$scratch/extra.h5" --model tiny
edit_dump "$scratch/shape.h5" "del f['model.map_label.weight']; f['model.map_label.weight'] = numpy.zeros((16, 4), 'f4')"
refused "shape.h5': 'model.map_label.weight' has shape \[16, 4\]; our 'model.map_label.weight' needs \[16, 3\]" \
  "$scratch/shape.h5" --model tiny
refused "dump.h5': 'model.dec.4x4_block0.affine.bias' has nowhere to go" "$scratch/dump.h5" --model fmnist
# A filter's values are read only when loading: nothing may be written then.
edit_dump "$scratch/filter.h5" "f['model.enc.4x4_down.skip.resample_filter'][...] = 0.1"
if "$disco" weights import-edm "$scratch/filter.h5" --model tiny --out "$scratch/no.h5" 2>"$scratch/err"; then exit 1; fi
grep -q "filter.h5': 'model.enc.4x4_down.skip.resample_filter' holds" "$scratch/err"
test ! -e "$scratch/no.h5"
echo "edm convert: ok"
