#!/usr/bin/env bash
# disco fid from the command line, with the Fashion-MNIST classifier's features (a short
# `disco classify --save`) on 1000 images of the real t10k split: the same images as a PNG
# folder, an RGB .npz and a data set of shards give the same statistics bit for bit; a set
# against its own statistics is at FD ~ 0 and the images moved 3 pixels clearly not; two
# ranks give one rank's FD; the .npz statistics read in numpy as EDM's references do; bad
# inputs are refused with their names. With torch: Inception's features of two images, with
# random weights through scripts/inception_export.py, against its PyTorch twin's.
# $1 disco, $2 mpirun (empty: no MPI), $3 a python3 with numpy and h5py (torch optional).
set -euo pipefail
disco=$1
mpirun=${2:-}
python=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! "$python" -c "import numpy, h5py" 2>/dev/null; then
  echo "SKIP: $python lacks numpy or h5py (Debian: python3-numpy python3-h5py)"
  echo "fid cli: ok (skipped)"
  exit 0
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

"$disco" classify --steps 60 --batch 32 --threads 1 --save classifier.h5 >/dev/null 2>&1
"$disco" data import --fmnist --split t10k --out t10k >/dev/null
"$python" "$root/tests/launcher/make_images.py" export t10k set 1000
"$disco" data import --png-folder set/png --out set/data >/dev/null
fid=("$disco" fid --features fmnist --weights classifier.h5 --batch 64)
distance() { grep -Eo "FD [^ ]+" | awk '{print $2}'; }

# One set of images in three forms: the same statistics, to the bit.
"${fid[@]}" set/png --save-stats png.h5 | tee out
grep -q "fid: 1000 images from set/png, 128 fmnist-classifier features" out
"${fid[@]}" set/rgb.npz --save-stats rgb.npz >/dev/null
"${fid[@]}" set/data --save-stats data.h5 --ref png.h5 | tee out
h5diff png.h5 data.h5
self=$(distance <out)

# Moved by 3 pixels: far from the originals (a set to its own statistics is ~1e-5, the
# eigenvalue cut of frechet_distance; moved, ~10).
"${fid[@]}" set/shifted.npz --ref png.h5 --save-stats shifted.h5 | tee out
shifted=$(distance <out)
awk -v a="$self" -v b="$shifted" 'BEGIN { exit !(a >= 0 && a < 1e-3 && b > 1 && b > 1e4 * a) }'

# EDM's reference form, as fid.py reads it; the RGB images' statistics are the grey ones'.
"$python" - <<'EOF'
import h5py, numpy as np
s = np.load("rgb.npz")
assert sorted(s.files) == ["mu", "sigma"], s.files
assert s["mu"].shape == (128,) and s["sigma"].shape == (128, 128), (s["mu"].shape, s["sigma"].shape)
assert s["mu"].dtype == np.float64 and s["sigma"].dtype == np.float64
with h5py.File("png.h5", "r") as f:
    assert np.array_equal(s["mu"], f["mu"][:]) and np.array_equal(s["sigma"], f["sigma"][:])
    assert f.attrs["count"] == 1000 and f.attrs["network"] in (b"fmnist-classifier", "fmnist-classifier")
print("fid cli: the .npz statistics read in numpy")
EOF

if [ -n "$mpirun" ]; then
  "$mpirun" -np 2 "${fid[@]}" set/shifted.npz --ref png.h5 --save-stats two.h5 | tee out
  two=$(distance <out)
  awk -v a="$shifted" -v b="$two" 'BEGIN { d = a - b; exit !(d * d <= 1e-14 * a * a) }'
  h5diff --relative=1e-10 shifted.h5 two.h5
else
  echo "SKIP: two ranks need a build with MPI"
fi

# Refusals name the input.
refused() { # expected-text args...
  local expected=$1
  shift
  if "${fid[@]}" "$@" >/dev/null 2>err; then
    echo "accepted, but should have refused: $*"
    exit 1
  fi
  grep -m 1 "error:" err
  grep -q -- "$expected" err
}
mkdir empty
refused "'empty'" empty --ref png.h5
refused "'set/two.npz' holds images of 2 channels" set/two.npz --ref png.h5
refused "'set/large.npz' holds 64x64 images" set/large.npz --ref png.h5
refused "'stats.txt'" set/rgb.npz --save-stats stats.txt
refused "'missing.h5'" set/rgb.npz --ref missing.h5

if "$python" -c "import torch" 2>/dev/null; then
  # Random Inception weights and two 24x32 images with the twin's features for them.
  "$python" "$root/tests/torch/inception_fid.py" twin >/dev/null
  "$python" "$root/scripts/inception_export.py" twin/pytorch_fid.pth inception.h5 >/dev/null
  "$python" -c "import h5py, numpy as np; np.savez('two.npz', h5py.File('twin/io.h5')['images'][:])"
  "$disco" fid two.npz --features inception --weights inception.h5 --save-stats inception.npz
  "$python" - <<'EOF'
import h5py, numpy as np
features = h5py.File("twin/io.h5", "r")["features"][:].astype(np.float64)
s = np.load("inception.npz")
mu, sigma = features.mean(0), np.cov(features, rowvar=False)
mu_error = np.linalg.norm(s["mu"] - mu) / np.linalg.norm(mu)
sigma_error = np.linalg.norm(s["sigma"] - sigma) / np.linalg.norm(sigma)
print(f"fid cli: inception statistics against the twin's: mu {mu_error:.2g}, sigma {sigma_error:.2g} (relative)")
assert mu_error < 1e-4 and sigma_error < 1e-3
EOF
else
  echo "SKIP: Inception's statistics against its twin need torch (Debian: python3-torch)"
fi
echo "fid cli: ok"
