#!/usr/bin/env bash
# Idempotent set-up shared by the README's commands: installs the Debian packages that are missing (only those),
# configures the CMake build once, and rebuilds what changed. Source it or run it; BUILD_DIR overrides ./build.
set -euo pipefail
EQRNN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$EQRNN_ROOT/build}"

EQRNN_PACKAGES=(petsc-dev slepc-dev libfftw3-dev libfftw3-mpi-dev libhdf5-openmpi-dev openmpi-bin libopenmpi-dev
                cmake g++ make pkg-config libgtest-dev liblapack-dev libopenblas-dev librandom123-dev
                python3-h5py python3-numpy python3-matplotlib python3-scipy python3-pytest
                slurm-wlm munge) # the jobs/ tests run a real one-node SLURM (tests/slurm/cluster.sh)

eqrnn_missing_packages() {
  local p missing=()
  for p in "${EQRNN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

eqrnn_install_packages() {
  local missing
  missing="$(eqrnn_missing_packages)"
  [ -z "$missing" ] && return 0
  echo "eqrnn setup: installing missing Debian packages: $missing"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "eqrnn setup: error: not root and no sudo; install: $missing" >&2; exit 1; }
    sudo="sudo"
  fi
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# The build's own status decides: in an existing build tree a failed compile leaves the old binaries behind,
# and testing those would hide the failure.
eqrnn_build() {
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$EQRNN_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null ||
      { echo "eqrnn setup: error: configuring the build in $BUILD_DIR failed (see above)" >&2; exit 1; }
  fi
  local status=0
  cmake --build "$BUILD_DIR" -j "$(nproc)" >"$BUILD_DIR/build.log" 2>&1 || status=$?
  grep -vE '^\[ *[0-9]+%\]|^(gmake|make)(\[[0-9]+\])?: (Entering|Leaving) directory' "$BUILD_DIR/build.log" || true
  if [ "$status" -ne 0 ]; then
    echo "eqrnn setup: error: the build failed (status $status; whole log: $BUILD_DIR/build.log)" >&2
    exit 1
  fi
}

# OpenMPI refuses to run as root without these; --oversubscribe lets tests use more ranks than cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

eqrnn_install_packages
eqrnn_build
