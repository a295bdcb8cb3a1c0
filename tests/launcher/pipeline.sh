#!/usr/bin/env bash
# disco pipeline on the tiny preset (48 random 8x8 images in 3 classes), DisCo-Diff and the
# baseline: every stage runs, the FD classifier is trained on Fashion-MNIST and the reference
# statistics computed; the report has both models' rows and grids; disco sample given the
# reference prints the same FD. A rerun skips every stage and
# reports the same numbers; one that lost half of DisCo-Diff's samples and its FD redraws them
# and gets the same FD. Under mpirun -np 2 the whole pipeline runs too.
# $1 disco, $2 mpirun (empty: no MPI), $3 the config, $4 a python3 (for make_images.py).
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
common=(--config "$config" --set data.path="$scratch/data" --set model.preset=tiny --set train.batch=8
        --set train.steps=10 --set train.lr=0.01 --set train.lr_rampup=0 --set eval.path= --set eval.images=8
        --set eval.levels=3 --set prior.steps=20 --set prior.batch=16 --set sample.seeds=0-15 --set sample.batch=8
        --set sample.steps=6 --set sample.grid=2 --set fid.classifier_steps=20 --set pipeline.import=)
run=$scratch/run
"$disco" pipeline "${common[@]}" --run "$run" >"$scratch/out" 2>&1 || { cat "$scratch/out"; exit 1; }
cat "$scratch/out"
for stage in "FD classifier" "train:" "encode:" "prior:" "sample: 16 images (16 new"; do
    grep -q "$stage" "$scratch/out" || { echo "missing: $stage"; exit 1; }
done
test -s "$run/classifier.h5" && test -s "$run/reference.h5"
test -s "$run/disco/samples/grid.png" && test -s "$run/baseline/samples/grid.png"
test -s "$run/disco/latents.h5" && test ! -e "$run/baseline/latents.h5"
grep -q "^| disco | 10 |" "$run/report.md" && grep -q "^| baseline | 10 |" "$run/report.md"
fd_disco=$(sed -n 's/^fmnist disco: FD \([0-9.]*\);.*/\1/p' "$scratch/out")
fd_baseline=$(sed -n 's/^fmnist baseline: FD \([0-9.]*\);.*/\1/p' "$scratch/out")
test -n "$fd_disco" && test -n "$fd_baseline"
grep "^| " "$run/report.md" >"$scratch/table"

# disco sample computes the same FD at its end when given the reference and the weights.
"$disco" sample "${common[@]}" --run "$run/disco" --set fid.reference="$run/reference.h5" \
    --set fid.weights="$run/classifier.h5" >"$scratch/sample_fd" 2>&1
fd_sample=$(sed -n 's/^sample: FD \([0-9.]*\) of 16 images against .*/\1/p' "$scratch/sample_fd")
fd_record=$(sed -n '/^fd:/,/^$/ s/^  value: //p' "$run/disco/pipeline.yaml")
awk -v a="$fd_sample" -v b="$fd_record" 'BEGIN { exit !(a != "" && sprintf("%.4f", b) == a) }'

# A rerun finds every stage done: nothing runs, the same table comes back.
"$disco" pipeline "${common[@]}" --run "$run" >"$scratch/again" 2>&1
if grep -q "^train:\|^encode:\|^sample:" "$scratch/again"; then cat "$scratch/again"; exit 1; fi
grep "^| " "$run/report.md" | diff "$scratch/table" -

# Lost samples and FD: only they are redone, and the redrawn images give the same FD.
grep "^  value:" "$run/disco/pipeline.yaml" >"$scratch/fd"
sed -i '/^sample:/,/^$/ s/^  seconds: .*/  seconds: -1/; /^fd:/,/^$/ s/^  seconds: .*/  seconds: -1/' \
    "$run/disco/pipeline.yaml"
rm "$run"/disco/samples/000000/0000{08..15}.png "$run/disco/samples/samples.npz"
"$disco" pipeline "${common[@]}" --run "$run" >"$scratch/resumed" 2>&1
grep -q "^sample: 16 images (8 new" "$scratch/resumed"
if grep -q "^train:\|^encode:\|^prior:" "$scratch/resumed"; then cat "$scratch/resumed"; exit 1; fi
grep "^  value:" "$run/disco/pipeline.yaml" | diff "$scratch/fd" -

if [ -n "$mpirun" ]; then
    "$mpirun" -np 2 "$disco" pipeline "${common[@]}" --run "$scratch/two" >"$scratch/out2" 2>&1 ||
        { cat "$scratch/out2"; exit 1; }
    grep -q "^| disco | 10 |" "$scratch/two/report.md" && grep -q "^| baseline | 10 |" "$scratch/two/report.md"
    grep -q "^fmnist disco: FD [0-9]" "$scratch/out2"
fi
echo "pipeline: ok"
