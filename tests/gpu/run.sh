#!/usr/bin/env bash
# The whole GPU check in one call, for a machine with a CUDA device (H100 /
# H200, sm_90): say what the machine has, build the CUDA tests and the
# benchmarks, run every tests/cuda suite (plain, then under compute-sanitizer
# when it is there), run every tests/bench benchmark, and print a summary
# table last. Installs nothing. Finishes in well under 10 minutes: each step
# has its own time limit and the script stops starting steps near its budget.
#
#   tests/gpu/run.sh [build-dir]      (default: build-gpu)
#
# Exit status: 0 when every step that ran passed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export PATH="$PATH:/usr/local/cuda/bin"
build=${1:-build-gpu}
budget=540 # seconds; the caller's hard limit is 600
start=$SECONDS
rows=()
failed=0

# run_step NAME LIMIT CMD...: runs CMD with a time limit (cut to what is left
# of the budget), logs to $build/logs/NAME.log, shows the log, records a row.
run_step() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget - (SECONDS - start)))
  if ((left < 20)); then
    rows+=("$name|not run (time budget spent)|0")
    failed=1
    return 1
  fi
  ((limit > left)) && limit=$left
  local log="$build/logs/$name.log" t0=$SECONDS status
  timeout "$limit" "$@" >"$log" 2>&1
  status=$?
  cat "$log"
  local result=ok
  if ((status == 124)); then
    result="TIMEOUT after ${limit}s"
  elif ((status != 0)); then
    result="FAIL (exit $status)"
  elif grep -q '^SKIP: no CUDA device' "$log"; then
    # Where nvidia-smi sees a GPU, a test that finds none is a failure.
    result="skipped: no CUDA device"
    [[ -n $device ]] && result="FAIL: skipped, yet nvidia-smi sees a GPU"
  fi
  [[ $result == ok || $result == skipped* ]] || failed=1
  rows+=("$name|$result|$((SECONDS - t0))")
  [[ $result == ok || $result == skipped* ]]
}

print_summary() {
  echo
  echo "== summary: ${device:-no GPU found}, $((SECONDS - start)) s in all"
  printf '| %-28s | %-38s | %7s |\n' step result seconds
  printf '|%s|%s|%s|\n' "------------------------------" "----------------------------------------" "---------"
  local row
  for row in "${rows[@]}"; do
    IFS='|' read -r name result secs <<<"$row"
    printf '| %-28s | %-38s | %7s |\n' "$name" "$result" "$secs"
  done
}

echo "== machine"
device=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
echo "gpu:     ${device:-nvidia-smi found no GPU}"
echo "nvcc:    $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo missing)"
echo "cmake:   $(cmake --version 2>/dev/null | head -1 || echo missing)"
echo "ninja:   $(ninja --version 2>/dev/null || echo missing)"
echo "cores:   $(nproc)"
# The root CMakeLists.txt requires HDF5, check, OpenBLAS and OpenMP; MPI is optional.
if command -v pkg-config >/dev/null; then
  for pc in hdf5-serial hdf5 check openblas ompi-c mpich; do
    printf '%-12s %s\n' "$pc:" "$(pkg-config --modversion "$pc" 2>/dev/null || echo 'not found')"
  done
else
  echo "pkg-config: missing (the configure step will fail)"
fi
echo "mpirun:  $(command -v mpirun || echo 'not found')"
sanitizer=$(command -v compute-sanitizer || true)
echo "compute-sanitizer: ${sanitizer:-not found}"

mkdir -p "$build/logs"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# MPI off: the CUDA checks do not need it, and a partial MPI install would
# only add a way to fail.
if ! run_step configure 120 cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DDISCO_CUDA=ON -DDISCO_MPI=OFF; then
  echo "configure failed: the root CMakeLists.txt requires HDF5, check and OpenBLAS (see the list above)"
  print_summary
  exit 1
fi
if ! grep -q 'disco: CUDA backend ON' "$build/logs/configure.log"; then
  rows+=("configure|FAIL: CUDA backend is OFF|0")
  print_summary
  exit 1
fi

# Only what this script runs, so that unrelated targets cannot stop it.
tests=() benches=()
for f in tests/cuda/test_cuda_*.c; do [[ -e $f ]] && tests+=("$(basename "$f" .c)"); done
for f in tests/bench/bench_*.c; do [[ -e $f ]] && benches+=("$(basename "$f" .c)"); done
if ! run_step build 300 cmake --build "$build" -j"$(nproc)" --target "${tests[@]}" "${benches[@]}"; then
  print_summary
  exit 1
fi

for t in "${tests[@]}"; do
  run_step "$t" 120 "$build/tests/$t"
done
if [[ -n $sanitizer ]]; then
  for t in "${tests[@]}"; do
    run_step "$t-memcheck" 150 "$sanitizer" --tool memcheck --error-exitcode 1 "$build/tests/$t"
    run_step "$t-racecheck" 150 "$sanitizer" --tool racecheck --error-exitcode 1 "$build/tests/$t"
  done
fi
for b in "${benches[@]}"; do
  run_step "$b" 150 "$build/tests/$b"
done
# The MPI comm suite on NCCL: two ranks, one GPU each, in a build of its own
# with MPI on (the one above has it off).
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
if ((gpus > 1)) && command -v mpirun >/dev/null; then
  run_step test_mpi_comm-nccl 300 bash -c "cmake -S . -B '$build-mpi' ${generator[*]} -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DDISCO_CUDA=ON -DDISCO_MPI=ON && cmake --build '$build-mpi' -j$(nproc) \
    --target test_mpi_comm && OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 CK_FORK=no \
    mpirun -np 2 '$build-mpi/tests/test_mpi_comm'"
else
  echo "SKIP: test_mpi_comm on NCCL needs more than one GPU and mpirun ($gpus GPU(s), mpirun $(command -v mpirun || echo missing))"
  rows+=("test_mpi_comm-nccl|skipped: $gpus GPU(s)|0")
fi

print_summary
exit "$failed"
