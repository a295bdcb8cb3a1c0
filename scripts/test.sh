#!/usr/bin/env bash
# Builds disco with warnings as errors and runs every test.
#   scripts/test.sh             the release build, in build/
#   scripts/test.sh --sanitize  an ASan + UBSan debug build, in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/cuda/bin"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

build=build
flags=(-DCMAKE_BUILD_TYPE=Release -DDISCO_WERROR=ON)
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  # CUDA objects are not instrumented; the sanitizer build checks the host code.
  flags=(-DCMAKE_BUILD_TYPE=Debug -DDISCO_WERROR=ON -DDISCO_SANITIZE=ON -DDISCO_CUDA=OFF)
  export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

cmake -S . -B "$build" "${flags[@]}"
cmake --build "$build" -j"$(nproc)"
cd "$build"
# -V shows each check suite's own summary line as well as ctest's.
ctest --output-on-failure -V
