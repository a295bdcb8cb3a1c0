#!/usr/bin/env bash
# The toy pipeline from the command line, stage by stage, at a tiny size:
# every stage must write its files, and sampling must cover every mode.
set -euo pipefail
disco=$1
config=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
run=$scratch/runs/tiny # directories that do not exist yet
small=(--config "$config" --run "$run" --set train.steps=150 --set train.batch=128 --set data.points=400
       --set sample.count=400 --set sample.steps=12 --set model.hidden=64 --set model.encoder_hidden=32
       --set prior.steps=200)

"$disco" train "${small[@]}"
test -s "$run/checkpoints/stage1.h5" && test -s "$run/metrics.jsonl" && test -s "$run/config.yaml"
"$disco" encode "${small[@]}"
test -s "$run/latents.h5"
"$disco" prior "${small[@]}"
test -s "$run/checkpoints/prior.h5"
out=$("$disco" sample "${small[@]}")
echo "$out"
test -s "$run/samples.h5"
grep -q "coverage 1.00" <<<"$out"
# The effective configuration records the overrides.
grep -q "steps: 150" "$run/config.yaml"
# An unknown field is refused with its name.
if "$disco" train --config "$config" --run "$run" --set train.stpes=1 2>"$run/err"; then exit 1; fi
grep -q "train.stpes" "$run/err"
echo "toy pipeline: ok"
