#!/usr/bin/env bash
# disco train with an image config, from the command line, at a few steps of
# the fmnist preset on the Fashion-MNIST test split: DisCo-Diff and the
# baseline write their files, a rerun with more steps resumes from the last
# checkpoint and continues the metrics, the loss-by-sigma evaluation covers
# its grid, DisCo-Diff starts from the baseline's U-Net, and with MPI two
# ranks train together.
set -euo pipefail
disco=$1
mpirun=$2
config=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$disco" data import --fmnist --split t10k --out "$scratch/data" >/dev/null
common=(--config "$config" --set data.path="$scratch/data" --set train.checkpoint_every=2 --set train.batch=8 --set eval.images=16
        --set eval.path= --set eval.levels=3)

run=$scratch/runs/disco
"$disco" train "${common[@]}" --run "$run" --set train.steps=4 | tee "$scratch/out"
test -s "$run/checkpoints/stage1.h5" && test -s "$run/config.yaml"
test "$(wc -l <"$run/metrics.jsonl")" -eq 4
grep -q '"latents": true' "$run/loss_by_sigma.json"
grep -q '"sigma": \[0.01, 0.894427, 80\]' "$run/loss_by_sigma.json"
grep -q "loss by sigma" "$scratch/out"
"$disco" train "${common[@]}" --run "$run" --set train.steps=6 | tee "$scratch/out"
test "$(wc -l <"$run/metrics.jsonl")" -eq 6
grep -q '"step": 6,' "$run/metrics.jsonl"
test -s "$run/checkpoints/checkpoint-000000000006.h5"

run=$scratch/runs/baseline
"$disco" train "${common[@]}" --run "$run" --set train.steps=2 --set model.latents=false
grep -q '"latents": false' "$run/loss_by_sigma.json"

# DisCo-Diff fine-tuned from the baseline's U-Net, as from EDM's: the U-Net's
# parameters come from the file, the encoder's and cross-attention's do not.
"$disco" train "${common[@]}" --run "$scratch/runs/init" --set train.steps=1 --set eval.images=0 \
    --set train.init="$run/checkpoints/stage1.h5" >"$scratch/out" 2>&1
loaded=$(grep -Eo "train: [0-9]+ of [0-9]+ parameters from" "$scratch/out" | awk '{print $2, $4}')
read -r got total <<<"$loaded"
test "$got" -gt 0 && test "$got" -lt "$total"

# Bad settings are refused with their names.
if "$disco" train "${common[@]}" --run "$run" --set model.preset=imagenet32 2>"$scratch/err"; then exit 1; fi
grep -q "imagenet32" "$scratch/err"
if "$disco" train "${common[@]}" --run "$run" --set data.path="$scratch/none" 2>"$scratch/err"; then exit 1; fi
grep -q "$scratch/none" "$scratch/err"

if [ -n "$mpirun" ]; then
    run=$scratch/runs/two-ranks
    "$mpirun" -np 2 "$disco" train "${common[@]}" --run "$run" --set train.steps=2
    test -s "$run/checkpoints/stage1.h5" && test -s "$run/loss_by_sigma.json"
else
    echo "SKIP: two-rank image training needs a build with MPI"
fi
echo "image train: ok"
