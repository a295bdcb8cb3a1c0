#!/usr/bin/env bash
# Builds disco with warnings as errors and runs every test, twice: the release
# build (build/), then an ASan + UBSan debug build (build-asan/).
#   scripts/test.sh [--release | --sanitize]   one of the two only
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/cuda/bin"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

# build_and_test DIR CMAKE_FLAGS...
build_and_test() {
  local dir=$1
  shift
  echo "== $dir: cmake $*"
  cmake -S . -B "$dir" "$@"
  cmake --build "$dir" -j"$(nproc)"
  # -V shows each check suite's own summary line as well as ctest's.
  (cd "$dir" && ctest --output-on-failure -V)
}

mode=${1:-all}
if [ "$mode" = all ] || [ "$mode" = --release ]; then
  build_and_test build -DCMAKE_BUILD_TYPE=Release -DDISCO_WERROR=ON
fi
if [ "$mode" = all ] || [ "$mode" = --sanitize ]; then
  # CUDA objects are not instrumented: the sanitizer build checks the host
  # code. Leak checking is off because several tests end the process on
  # purpose through the fatal-error path.
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DDISCO_WERROR=ON -DDISCO_SANITIZE=ON -DDISCO_CUDA=OFF
fi
