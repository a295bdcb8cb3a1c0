#!/usr/bin/env bash
# disco sample with an image config, on the tiny preset trained a few steps on 48 random 8x8
# images in 3 classes, with its encoder's latents and a prior: PNGs in EDM's seed folders, a
# grid and samples.npz; a rerun skips every existing PNG, and one that lost a batch's PNGs
# redraws them bit for bit; four ranks write the same bytes as one, with the stochastic
# sampler too; another batch size draws the same images (to rounding); guidance 0 and 1
# differ; a fixed class, the oracle's latents and labels, the baseline without a prior; bad
# settings are refused with their names.
# $1 disco, $2 mpirun (empty: no MPI), $3 the config, $4 a python3 (numpy for the npz checks).
set -euo pipefail
disco=$1
mpirun=${2:-}
config=$3
python=$4
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

"$python" "$root/tests/launcher/make_images.py" tiny "$scratch/png" 48
"$disco" data import --png-folder "$scratch/png" --out "$scratch/data" >/dev/null
# A high learning rate without ramp-up, so that the latents change the images after 10 steps.
common=(--config "$config" --set data.path="$scratch/data" --set model.preset=tiny --set train.batch=8
        --set train.lr=0.01 --set train.lr_rampup=0 --set eval.images=0 --set prior.steps=20 --set prior.batch=16
        --set sample.seeds=0-9,1000-1002 --set sample.batch=4 --set sample.steps=6 --set sample.grid=3)
run=$scratch/run
"$disco" train "${common[@]}" --run "$run" --set train.steps=10 >/dev/null 2>&1

# Without a prior there are no latents to draw: the missing file is named.
if "$disco" sample "${common[@]}" --run "$run" 2>"$scratch/err"; then exit 1; fi
grep -q "$run/checkpoints/prior.h5" "$scratch/err"
"$disco" encode "${common[@]}" --run "$run" >/dev/null
"$disco" prior "${common[@]}" --run "$run" >/dev/null 2>&1

samples=$run/samples
"$disco" sample "${common[@]}" --run "$run" | tee "$scratch/out"
grep -q "^sample: 13 images (13 new, 22 network evaluations each, guidance 1)" "$scratch/out"
test "$(find "$samples" -name '*.png' | wc -l)" -eq 14 # 13 and the grid
test -s "$samples/000000/000009.png" && test -s "$samples/001000/001002.png" && test -s "$samples/grid.png"
test -z "$(find "$samples" -name '*.tmp')"

# A rerun finds every PNG and draws nothing; losing one batch's PNGs (seeds 4-7) redraws them.
cp -r "$samples" "$scratch/first"
"$disco" sample "${common[@]}" --run "$run" | grep -q "^sample: 13 images (0 new"
rm "$samples"/000000/00000[4-7].png "$samples/samples.npz" "$samples/grid.png"
"$disco" sample "${common[@]}" --run "$run" | grep -q "^sample: 13 images (4 new"
diff -r "$scratch/first" "$samples"

# The stochastic sampler: churn noise makes other images than the ODE's, and a batch of 3
# draws the same images as a batch of 4 (compared below, to rounding).
stochastic=(--set sample.sampler=stochastic --set sample.s_churn=10 --set sample.s_max=80)
"$disco" sample "${common[@]}" --run "$run" "${stochastic[@]}" --set sample.out="$scratch/churn" >/dev/null 2>&1
if cmp -s "$samples/samples.npz" "$scratch/churn/samples.npz"; then exit 1; fi
"$disco" sample "${common[@]}" --run "$run" "${stochastic[@]}" --set sample.batch=3 --set sample.out="$scratch/churn3" \
    >/dev/null 2>&1

if [ -n "$mpirun" ]; then
    "$mpirun" -np 4 "$disco" sample "${common[@]}" --run "$run" --set sample.out="$scratch/four" >/dev/null 2>&1
    diff -r "$samples" "$scratch/four"
    "$mpirun" -np 4 "$disco" sample "${common[@]}" --run "$run" "${stochastic[@]}" --set sample.out="$scratch/churn4" \
        >/dev/null 2>&1
    diff -r "$scratch/churn" "$scratch/churn4"
else
    echo "SKIP: sampling on four ranks needs a build with MPI"
fi

# Guidance 0 is the plain conditional model: other images.
"$disco" sample "${common[@]}" --run "$run" --set sample.guidance=0 --set sample.out="$scratch/g0" >/dev/null 2>&1
if cmp -s "$samples/samples.npz" "$scratch/g0/samples.npz"; then exit 1; fi

# One class for every image; the oracle's latents with their images' labels (image i has i % 3).
"$disco" sample "${common[@]}" --run "$run" --set sample.class=2 --set sample.out="$scratch/class2" >/dev/null 2>&1
"$disco" sample "${common[@]}" --run "$run" --set sample.latents=oracle --set sample.seeds=0-9 \
    --set sample.out="$scratch/oracle" >/dev/null 2>&1

# The baseline needs no prior.
base=$scratch/baseline
"$disco" train "${common[@]}" --run "$base" --set train.steps=2 --set model.latents=false >/dev/null 2>&1
"$disco" sample "${common[@]}" --run "$base" --set model.latents=false | grep -q "^sample: 13 images (13 new, 11 "

if "$python" -c "import numpy" 2>/dev/null; then
    "$python" - "$samples/samples.npz" "$scratch" "$base/samples/samples.npz" <<'EOF'
import sys
import numpy as np
main, scratch, base = sys.argv[1:]
load = np.load
f = load(main)
images, labels = f["arr_0"], f["arr_1"]
assert images.shape == (13, 8, 8, 3) and images.dtype == np.uint8, (images.shape, images.dtype)
assert labels.shape == (13,) and labels.dtype == np.int64 and labels.min() >= 0 and labels.max() < 3, labels
assert len(set(labels.tolist())) > 1, labels  # drawn per seed
assert images.std() > 0
assert (load(scratch + "/class2/samples.npz")["arr_1"] == 2).all()
oracle = load(scratch + "/oracle/samples.npz")["arr_1"]
assert (oracle == np.arange(10) % 3).all(), oracle
assert load(base)["arr_0"].shape == (13, 8, 8, 3)
# Another batch split draws the same images: noise, class, latents and churn follow the seed.
a, b = (load(scratch + f"/{name}/samples.npz")["arr_0"].astype(int) for name in ("churn", "churn3"))
assert np.abs(a - b).max() <= 1, np.abs(a - b).max()
print("image sample: samples.npz holds uint8 [13, 8, 8, 3] and int64 labels")
EOF
else
    echo "SKIP: the npz checks need numpy in $python"
fi

# Bad settings are refused with their names.
for bad in sample.seeds=9-3 sample.sampler=ddim sample.latents=encoder sample.class=3; do
    if "$disco" sample "${common[@]}" --run "$run" --set "$bad" 2>"$scratch/err"; then exit 1; fi
    grep -q "${bad%%=*}" "$scratch/err"
done
echo "image sample: ok"
