#!/usr/bin/env bash
# disco encode and disco prior with an image config, on the tiny preset and 150 random 8x8
# images in 3 classes: a few training steps, then the training set's latents (int32
# [150, 4] in [0, 5), with the data set's labels), the same bits from two ranks (whose
# batches split the images elsewhere, so each latent's Gumbel draw must follow its image),
# the usage report, the prior's training and checkpoint, and the baseline's nothing to do.
# $1 disco, $2 mpirun (empty: no MPI), $3 the config, $4 a python3 with numpy and h5py.
set -euo pipefail
disco=$1
mpirun=${2:-}
config=$3
python=$4
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

"$python" "$root/tests/launcher/make_images.py" tiny "$scratch/png" 150
"$disco" data import --png-folder "$scratch/png" --out "$scratch/data" >/dev/null
common=(--config "$config" --set data.path="$scratch/data" --set model.preset=tiny --set train.batch=8
        --set eval.images=0 --set prior.steps=30 --set prior.batch=16)
run=$scratch/run
"$disco" train "${common[@]}" --run "$run" --set train.steps=3 >/dev/null

# Without stage 1 there is nothing to encode with: the missing file is named.
if "$disco" encode "${common[@]}" --run "$scratch/untrained" 2>"$scratch/err"; then exit 1; fi
grep -q "$scratch/untrained/checkpoints/stage1.h5" "$scratch/err"

"$disco" encode "${common[@]}" --run "$run" | tee "$scratch/out"
grep -Eq "^encode: 150 images, 4 latents of 5 values; values used per latent:( [1-5]){4}$" "$scratch/out"
grep -Eq "mean entropy [0-9.]+ bits per latent \(at most 2.322\), mean mutual information with the class [0-9.-]+ bits" \
  "$scratch/out"
if "$python" -c "import numpy, h5py" 2>/dev/null; then
  "$python" - "$run/latents.h5" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    z, labels = f["latents"][:], f["labels"][:]
assert z.dtype == np.int32 and z.shape == (150, 4), (z.dtype, z.shape)
assert z.min() >= 0 and z.max() < 5, (z.min(), z.max())
assert labels.dtype == np.int32 and np.array_equal(labels, np.arange(150) % 3), labels
print("encode: latents.h5 holds int32 [150, 4] in [0, 5) and the labels")
EOF
else
  echo "SKIP: the shape and range of latents.h5 need numpy and h5py in $python"
fi

if [ -n "$mpirun" ]; then
  mkdir -p "$scratch/two/checkpoints"
  cp "$run/checkpoints/stage1.h5" "$scratch/two/checkpoints/"
  "$mpirun" -np 2 "$disco" encode "${common[@]}" --run "$scratch/two" >/dev/null
  h5diff "$run/latents.h5" "$scratch/two/latents.h5"
else
  echo "SKIP: encoding on two ranks needs a build with MPI"
fi

"$disco" prior "${common[@]}" --run "$run" | tee "$scratch/out"
grep -Eq "^prior: 30 steps of 16 sequences on 150 images' latents: loss [0-9.]+ nats = [0-9.]+ bits per latent" \
  "$scratch/out"
h5dump -H "$run/checkpoints/prior.h5" >"$scratch/prior_layout"
grep -q 'DATASET "blocks.0.attn.qkv.weight"' "$scratch/prior_layout"

# The baseline has no latents: both stages say so and write nothing.
base=$scratch/baseline
"$disco" encode "${common[@]}" --run "$base" --set model.latents=false >"$scratch/out"
"$disco" prior "${common[@]}" --run "$base" --set model.latents=false >>"$scratch/out"
grep -q "encode: the baseline has no latents" "$scratch/out"
grep -q "prior: the baseline has no latents" "$scratch/out"
test ! -e "$base/latents.h5"
echo "image encode prior: ok"
