#!/usr/bin/env bash
# Installs the Debian packages that disco's build, tests and default run need.
# Idempotent: installs only what is missing. Run as root on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake pkg-config     # compiler and build system
  libopenblas-openmp-dev               # BLAS for the CPU GEMMs, on the OpenMP thread pool
  libhdf5-dev hdf5-tools               # dataset shards and checkpoints
  check                                # unit-test framework
  openmpi-bin libopenmpi-dev           # multi-process runs (optional at build time)
  zlib1g-dev                           # gzip'd IDX files
  libyaml-dev                          # experiment configs
  libpng-dev                           # pictures, PNG-folder imports
  libjpeg62-turbo-dev                  # ImageNet JPEG imports (libjpeg-turbo)
  libzip-dev                           # downsampled-ImageNet .npz imports
  libcjson-dev                         # dataset.json labels of PNG folders
  dataset-fashion-mnist                # the embedded default dataset
  python3-torch python3-h5py python3-numpy  # EDM weight export and the PyTorch twin's tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages are already installed"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: installing ${missing[*]} needs root; run this script as root (or with sudo)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "setup: nvcc found: the CUDA backend will be built"
else
  echo "setup: no nvcc: building the CPU backend only (install the CUDA toolkit for the GPU backend)"
fi
