#!/usr/bin/env bash
# Kill and resume: 2-rank `disco train` runs on a small toy are killed with
# SIGKILL (every process of the job at once) at random moments and restarted
# until they finish; each must end bit-identical (parameters and EMA) to an
# uninterrupted 2-rank run. Then a SIGTERM to one rank alone must stop the
# whole job with the requeue status 75 after a checkpoint; the newest
# checkpoint is truncated, and the restart must name it, resume from the one
# before, and again end identical.
#
# Usage: kill_resume.sh DISCO MPIRUN CONFIG   (TRIALS=N, default 3; SEED for the delays)
set -euo pipefail
disco=$1
mpirun=$2
config=$3
trials=${TRIALS:-3}
RANDOM=${SEED:-1}
if [ -z "$mpirun" ]; then
  echo "SKIP: kill/resume needs a build with MPI"
  echo "kill resume: ok"
  exit 0
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
settings=(--set train.steps=1500 --set train.batch=32 --set model.hidden=32 --set model.layers=2
          --set model.encoder_hidden=16 --set model.encoder_layers=2 --set train.checkpoint_every=20
          --set train.keep_checkpoints=2)
# train RUN_DIR [--set ...]
train() {
  local run=$1
  shift
  "$mpirun" -np 2 "$disco" train --config "$config" --run "$run" "${settings[@]}" "$@"
}
# same_as_reference RUN_DIR [REFERENCE_DIR]: parameters and EMA, exactly.
same_as_reference() {
  local reference=${2:-$scratch/reference}/checkpoints/stage1.h5
  h5diff "$reference" "$1/checkpoints/stage1.h5" /params /params &&
    h5diff "$reference" "$1/checkpoints/stage1.h5" /ema /ema
}

start=$(date +%s%N)
train "$scratch/reference" >"$scratch/reference.log" 2>&1
# Kills land at random moments between 10% and 90% of an uninterrupted run.
duration_ms=$((($(date +%s%N) - start) / 1000000))

kills=0 resumes=0
for trial in $(seq 1 "$trials"); do
  run=$scratch/trial$trial
  while true; do
    # A session of its own, so that one kill reaches mpirun and every rank.
    setsid "$mpirun" -np 2 "$disco" train --config "$config" --run "$run" "${settings[@]}" >>"$run.log" 2>&1 &
    job=$!
    sleep "$(((duration_ms / 10 + RANDOM % (duration_ms * 8 / 10)) ))e-3"
    if kill -0 "$job" 2>/dev/null; then
      pkill -KILL -s "$job" || true
      wait "$job" || true
      kills=$((kills + 1))
    else
      status=0
      wait "$job" || status=$?
      test "$status" -eq 0 || { cat "$run.log"; echo "trial $trial ended with status $status"; exit 1; }
      break
    fi
  done
  resumes=$((resumes + $(grep -c "rank 0\] info: resumed from" "$run.log" || true)))
  same_as_reference "$run" || { echo "trial $trial differs from the uninterrupted run"; exit 1; }
done
echo "kill resume: $trials trials, $kills kills, $resumes resumes from a checkpoint, all bit-identical"

# SIGTERM to one rank, once the first checkpoint exists: the job saves and
# exits 75. A longer run, so that the signal lands mid-training.
long=(--set train.steps=3000)
run=$scratch/term
train "$scratch/reference-long" "${long[@]}" >"$scratch/reference-long.log" 2>&1
setsid "$mpirun" -np 2 "$disco" train --config "$config" --run "$run" "${settings[@]}" "${long[@]}" >"$run.log" 2>&1 &
job=$!
until [ -e "$run/checkpoints/checkpoint-000000000020.h5" ] || ! kill -0 "$job" 2>/dev/null; do sleep 0.01; done
rank=$(pgrep -s "$job" -f "$disco train" | tail -n 1)
kill -TERM "$rank"
status=0
wait "$job" || status=$?
test "$status" -eq 75 || { cat "$run.log"; echo "SIGTERM gave status $status, not 75"; exit 1; }
grep -q "stopped by a signal" "$run.log"

# The newest checkpoint, cut short, is passed over with its name.
newest=$(ls "$run"/checkpoints/checkpoint-*.h5 | tail -n 1)
truncate -s 5000 "$newest"
train "$run" "${long[@]}" >"$run.resume.log" 2>&1
grep -q "$newest" "$run.resume.log"
grep -q "resumed from" "$run.resume.log"
same_as_reference "$run" "$scratch/reference-long"
echo "kill resume: SIGTERM on one rank gave 75; a truncated newest checkpoint was skipped"
echo "kill resume: ok"
