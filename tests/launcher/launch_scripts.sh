#!/usr/bin/env bash
# The launch scripts: launcher/disco-launch, slurm/train.sbatch,
# slurm/pipeline.sbatch (both through slurm/requeue_step.sh) and
# slurm/sample_sweep.sbatch. Every script parses (and passes shellcheck when it
# is installed); the dry runs choose srun inside a Slurm allocation and mpirun
# elsewhere, with the right rank counts, binding and environment; train.sbatch
# and pipeline.sbatch ask for the signal and requeue, print their disco command
# (train, or pipeline on configs/fmnist.yaml by default), requeue on status 75
# and not on 0, 1 or 3, and pass SIGUSR1 on to their step (Slurm replaced by
# stand-ins that record their calls); the sweep gives each array task its own
# scale, seed range and output (image keys by default, the toy's when set).
# Then real runs: disco-launch -n 2 DISCO info under mpirun ($2, when the build
# has MPI), and a rank's status 75 reaching disco-launch's caller unchanged.
set -euo pipefail
disco=$1
mpirun=${2:-}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
launch=$root/launcher/disco-launch
train=$root/slurm/train.sbatch
pipeline=$root/slurm/pipeline.sbatch
shared=$root/slurm/requeue_step.sh
sweep=$root/slurm/sample_sweep.sbatch
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

fail() {
    echo "launch scripts: FAILED: $*" >&2
    exit 1
}
# expect FILE REGEX...: every extended regex matches a line of FILE.
expect() {
    local file=$1 re
    shift
    for re in "$@"; do grep -Eq -- "$re" "$file" || { cat "$file" >&2; fail "no line matches '$re'"; }; done
}
reject() {
    local file=$1 re
    shift
    for re in "$@"; do ! grep -Eq -- "$re" "$file" || { cat "$file" >&2; fail "a line matches '$re'"; }; done
}

# ---- every script parses ----
scripts=("$launch" "$train" "$pipeline" "$shared" "$sweep" "${BASH_SOURCE[0]}")
for s in "${scripts[@]}"; do bash -n "$s" || fail "bash -n $s"; done
test -x "$launch" || fail "$launch is not executable"
if command -v shellcheck >/dev/null 2>&1; then
    shellcheck --severity=warning "${scripts[@]}" || fail "shellcheck"
else
    echo "SKIP: shellcheck is not installed"
fi
"$launch" --help >"$scratch/out"
expect "$scratch/out" '^Usage: disco-launch' '--dry-run'
status=0
"$launch" -n zero "$disco" info 2>/dev/null || status=$?
test "$status" -eq 2 || fail "a bad --ranks gave status $status, not 2"

# Stand-ins for srun, mpirun and scontrol that record how they were called.
stubs=$scratch/stubs
mkdir "$stubs"
cat >"$stubs/srun" <<'EOF'
#!/bin/bash
echo "srun $*" >>"$STUB_LOG"
if [[ ${STUB_STATUS:-0} == wait ]]; then
    trap 'echo "srun got USR1" >>"$STUB_LOG"; exit 75' USR1
    : >"$STUB_LOG.ready"
    for _ in $(seq 600); do sleep 0.1; done
    exit 0
fi
exit "${STUB_STATUS:-0}"
EOF
cp "$stubs/srun" "$stubs/mpirun"
sed -i 's/srun \$\*/mpirun $*/' "$stubs/mpirun"
cat >"$stubs/scontrol" <<'EOF'
#!/bin/bash
echo "scontrol $*" >>"$STUB_LOG"
EOF
chmod +x "$stubs"/*
export STUB_LOG=$scratch/calls
without_slurm=(env -u SLURM_JOB_ID -u SLURM_JOBID -u SLURM_JOB_NUM_NODES -u SLURM_NNODES -u SLURM_NTASKS
               -u SLURM_GPUS_PER_NODE -u SLURM_GPUS_ON_NODE -u SLURM_CPUS_PER_TASK -u SLURM_CPUS_ON_NODE
               -u SLURM_ARRAY_TASK_ID -u SLURM_SUBMIT_DIR -u OMP_NUM_THREADS)

# ---- disco-launch outside Slurm: mpirun ----
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
"${without_slurm[@]}" -u OMPI_ALLOW_RUN_AS_ROOT -u OMPI_ALLOW_RUN_AS_ROOT_CONFIRM PATH="$stubs:$PATH" \
    DISCO_PROBE=1 MALLOC_TRIM_THRESHOLD_=1073741824 \
    "$launch" --dry-run -n 2 -g 0 -- "$disco" train --set 'note=a b' >"$scratch/out"
expect "$scratch/out" "^mpirun -np 2 --bind-to none .*-x OMP_NUM_THREADS" '-x MALLOC_TRIM_THRESHOLD_ ' \
    '-x DISCO_PROBE ' " train --set 'note=a b'\$" "^export OMP_NUM_THREADS=$((cores / 2 > 0 ? cores / 2 : 1))\$"
reject "$scratch/out" '^srun' '--oversubscribe' 'MALLOC_MMAP_THRESHOLD_'
if [[ $(id -u) == 0 ]]; then
    expect "$scratch/out" '^export OMPI_ALLOW_RUN_AS_ROOT=1$' '^export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1$'
fi
# More ranks than cores: oversubscribed; OMP_NUM_THREADS set by the caller is kept.
"${without_slurm[@]}" PATH="$stubs:$PATH" OMP_NUM_THREADS=3 \
    "$launch" --dry-run -n $((cores + 1)) -g 0 "$disco" info >"$scratch/out"
expect "$scratch/out" "^mpirun -np $((cores + 1)) --bind-to none --oversubscribe -x OMP_NUM_THREADS "
reject "$scratch/out" '^export OMP_NUM_THREADS'
# A Slurm job id without srun on PATH still means mpirun.
"${without_slurm[@]}" SLURM_JOB_ID=1 MPIRUN="$stubs/mpirun" SRUN=no-such-srun \
    "$launch" --dry-run -n 2 -g 0 "$disco" info >"$scratch/out"
expect "$scratch/out" "^$stubs/mpirun -np 2 "

# ---- disco-launch inside a Slurm allocation: srun ----
"${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_JOB_ID=7 SLURM_JOB_NUM_NODES=2 SLURM_GPUS_ON_NODE=8 \
    SLURM_CPUS_PER_TASK=12 "$launch" --dry-run "$disco" train >"$scratch/out"
expect "$scratch/out" '^srun --export=ALL --kill-on-bad-exit=1 --ntasks=16 --ntasks-per-node=8 --cpus-per-task=12 --gpus-per-task=1 --gpu-bind=per_task:1 .* train$' \
    '^export OMP_NUM_THREADS=12$'
reject "$scratch/out" 'mpirun'
"${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_JOB_ID=7 SLURM_JOB_NUM_NODES=2 SLURM_GPUS_PER_NODE=h100:4 \
    SLURM_CPUS_ON_NODE=64 "$launch" --dry-run --gpu-bind node -n 6 "$disco" train >"$scratch/out"
expect "$scratch/out" '^srun .*--ntasks=6 --gpus-per-node=4 --gpu-bind=none ' '^export OMP_NUM_THREADS=21$'
reject "$scratch/out" 'gpus-per-task' 'cpus-per-task'

# ---- train.sbatch and pipeline.sbatch ----
for script in "$train" "$pipeline"; do
    expect "$script" '^#SBATCH --signal=B:USR1@120$' '^#SBATCH --requeue$' '^#SBATCH --open-mode=append$' \
        '^#SBATCH --output=.*%j' '^#SBATCH --nodes=' '^#SBATCH --ntasks-per-node=' '^#SBATCH --gpus-per-node=' \
        '^#SBATCH --cpus-per-task=' 'source "\$shared"$'
done
"${without_slurm[@]}" PATH="$stubs:$PATH" CONFIG=my.yaml RUN_DIR=runs/r DISCO="$disco" \
    bash "$train" --dry-run --set train.steps=9 >"$scratch/out"
expect "$scratch/out" "^srun .*--ntasks=16 --ntasks-per-node=8 --cpus-per-task=12 --gpus-per-task=1 .* train --config my.yaml --run runs/r --set train.steps=9\$" \
    '^# on exit 75: .*scontrol requeue 12345 .*runs/r/checkpoints' '^# on any other exit N: .*not requeued'
DRY_RUN=1 "${without_slurm[@]}" SLURM_JOB_ID=99 bash "$train" >"$scratch/out"
expect "$scratch/out" 'scontrol requeue 99'
# pipeline.sbatch: disco pipeline on the image config and its run directory by default.
"${without_slurm[@]}" PATH="$stubs:$PATH" DISCO="$disco" bash "$pipeline" --dry-run --set train.steps=9 >"$scratch/out"
expect "$scratch/out" "^srun --export=ALL --kill-on-bad-exit=1 --ntasks=16 --ntasks-per-node=8 --cpus-per-task=12 --gpus-per-task=1 --gpu-bind=per_task:1 $disco pipeline --config $root/configs/fmnist.yaml --run $root/runs/fmnist --set train.steps=9\$" \
    '^export OMP_NUM_THREADS=12$' '^# on exit 75: .*scontrol requeue 12345 .*runs/fmnist' \
    '^# on any other exit N: .*not requeued'
reject "$scratch/out" ' train ' 'mpirun'
DRY_RUN=1 "${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_JOB_ID=98 CONFIG=c.yaml RUN_DIR=runs/p SCONTROL=my-scontrol \
    bash "$pipeline" >"$scratch/out"
expect "$scratch/out" ' pipeline --config c.yaml --run runs/p$' 'my-scontrol requeue 98'
status=0
"${without_slurm[@]}" DISCO_ROOT="$scratch" bash "$pipeline" --dry-run >/dev/null 2>&1 || status=$?
test "$status" -eq 2 || fail "pipeline.sbatch without slurm/requeue_step.sh gave status $status, not 2"
# The real scripts, with srun and scontrol replaced: requeue on 75 only.
for script in "$train" "$pipeline"; do
    command=$(basename "$script" .sbatch)
    for case in "0 0 no" "1 1 no" "75 0 yes" "3 3 no"; do
        read -r step want requeue <<<"$case"
        rm -f "$STUB_LOG"
        status=0
        "${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_JOB_ID=4242 STUB_STATUS="$step" DISCO="$disco" \
            RUN_DIR="$scratch/run" bash "$script" >"$scratch/out" 2>&1 || status=$?
        test "$status" -eq "$want" || { cat "$scratch/out"; fail "$command.sbatch: step status $step gave $status, not $want"; }
        expect "$STUB_LOG" "^srun .* $disco $command --config [^ ]+ --run $scratch/run\$"
        if [[ $requeue == yes ]]; then
            expect "$STUB_LOG" '^scontrol requeue 4242$'
        else
            reject "$STUB_LOG" scontrol
        fi
    done
    # SIGUSR1 to the batch shell reaches the step (which then stops with 75) and the job is requeued.
    rm -f "$STUB_LOG" "$STUB_LOG.ready"
    "${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_JOB_ID=4242 STUB_STATUS=wait DISCO="$disco" \
        RUN_DIR="$scratch/run" bash "$script" >"$scratch/out" 2>&1 &
    job=$!
    for _ in $(seq 600); do [[ -e $STUB_LOG.ready ]] && break; sleep 0.05; done
    [[ -e $STUB_LOG.ready ]] || fail "the stand-in srun did not start ($command.sbatch)"
    kill -USR1 "$job"
    status=0
    wait "$job" || status=$?
    test "$status" -eq 0 || { cat "$scratch/out"; fail "$command.sbatch after SIGUSR1 gave status $status"; }
    expect "$STUB_LOG" '^srun got USR1$' '^scontrol requeue 4242$'
done

# ---- sample_sweep.sbatch: one (scale, seed range) and output per array task ----
expect "$sweep" '^#SBATCH --array=0-9$'
"${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_ARRAY_TASK_ID=3 RUN_DIR=runs/r \
    bash "$sweep" --dry-run >"$scratch/out"
expect "$scratch/out" "^srun .* sample --config $root/configs/fmnist.yaml --run runs/r --set sample.guidance=1.5 --set sample.seeds=0-4999 --set sample.out=runs/r/samples/guidance1.5-seeds0-4999\$" \
    '^# sample_sweep --dry-run: array task 3 of 0-9 writes runs/r/samples/guidance1.5-seeds0-4999$'
"${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_ARRAY_TASK_ID=7 RUN_DIR=runs/r GUIDANCE_KEY=sampling.guidance \
    bash "$sweep" --dry-run --set fid.reference=ref.h5 >"$scratch/out"
expect "$scratch/out" '--set sampling.guidance=1 --set sample.seeds=5000-9999 --set sample.out=runs/r/samples/guidance1-seeds5000-9999 --set fid.reference=ref.h5$'
"${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_ARRAY_TASK_ID=1 SEEDS="0,5,9-12" GUIDANCE_SCALES="0 2" \
    bash "$sweep" --dry-run >"$scratch/out"
expect "$scratch/out" " --run $root/runs/fmnist/disco --set sample.guidance=2 --set sample.seeds=0,5,9-12 --set sample.out=$root/runs/fmnist/disco/samples/guidance2-seeds0,5,9-12\$"
# The toy: its config, its RNG seed key and no output key.
"${without_slurm[@]}" PATH="$stubs:$PATH" SLURM_ARRAY_TASK_ID=3 CONFIG=toy.yaml RUN_DIR=runs/t SEED_KEY=sample.seed \
    OUT_KEY='' SEEDS="2 3" bash "$sweep" --dry-run >"$scratch/out"
expect "$scratch/out" ' sample --config toy.yaml --run runs/t --set sample.guidance=1.5 --set sample.seed=2$' \
    'array task 3 of 0-9 writes runs/t$'
reject "$scratch/out" 'sample.out' 'sample.seeds'
DRY_RUN=1 "${without_slurm[@]}" bash "$sweep" >"$scratch/out"
test "$(grep -c '^srun ' "$scratch/out")" -eq 10 || fail "the sweep's dry run does not list 10 tasks"
test "$(grep -o 'sample.out=[^ ]*' "$scratch/out" | sort -u | wc -l)" -eq 10 || fail "sweep tasks share an output"
test "$(grep -o 'sample.seeds=[^ ]*' "$scratch/out" | sort | uniq -c | awk '{print $1 " " $2}' | tr '\n' ' ')" \
    == "5 sample.seeds=0-4999 5 sample.seeds=5000-9999 " || fail "the sweep's seed ranges are not 0-4999 and 5000-9999, 5 tasks each"
status=0
"${without_slurm[@]}" SLURM_ARRAY_TASK_ID=10 bash "$sweep" --dry-run >/dev/null 2>&1 || status=$?
test "$status" -eq 2 || fail "array task 10 of a 10-task grid gave status $status, not 2"

# ---- real runs ----
standin=$scratch/exit75
printf '#!/bin/bash\nexit 75\n' >"$standin"
chmod +x "$standin"
status=0
"${without_slurm[@]}" "$launch" --launcher direct "$standin" || status=$?
test "$status" -eq 75 || fail "disco-launch --launcher direct returned $status, not 75"
if [[ -z $mpirun ]]; then
    echo "SKIP: disco-launch under mpirun (built without MPI)"
else
    "${without_slurm[@]}" MPIRUN="$mpirun" timeout 120 "$launch" -n 2 -g 0 "$disco" info >"$scratch/out"
    cat "$scratch/out"
    test "$(grep -c '^disco build' "$scratch/out")" -eq 2 || fail "disco info did not run on 2 ranks"
    expect "$scratch/out" 'MPI: +yes'
    status=0
    "${without_slurm[@]}" MPIRUN="$mpirun" timeout 120 "$launch" -n 2 -g 0 "$standin" 2>"$scratch/err" || status=$?
    test "$status" -eq 75 || { cat "$scratch/err"; fail "disco-launch under mpirun returned $status, not 75"; }
fi
echo "launch scripts: ok"
