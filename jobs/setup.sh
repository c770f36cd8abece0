#!/usr/bin/env bash
# Idempotent set-up shared by the README's commands: configures the CMake build once where the libraries already
# are (PETSC_DIR/PETSC_ARCH, SLEPC_DIR, FFTW_DIR, HDF5_DIR, RANDOM123_DIR, pkg-config, h5pcc: see
# cmake/EqrnnDependencies.cmake), and rebuilds what changed. Only when something is really not found, the machine
# is Debian/Ubuntu and the user is root or has sudo, it installs the missing Debian packages; otherwise it stops
# with one message that lists what is missing and the variables that point to it. Source it or run it.
# Environment: BUILD_DIR (default ./build), EQRNN_PYTHON (a Python with h5py, numpy, matplotlib, scipy and
# pytest; default /usr/bin/python3, else python3 on PATH), EQRNN_CMAKE_ARGS (more arguments for cmake's first
# configure), EQRNN_NO_INSTALL=1 (never install packages).
set -euo pipefail
EQRNN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$EQRNN_ROOT/build}"

# Debian's names, by what needs them: the build, the Python scripts and tests, the jobs/ tests' real SLURM.
EQRNN_BUILD_PACKAGES=(petsc-dev slepc-dev libfftw3-dev libfftw3-mpi-dev libhdf5-openmpi-dev openmpi-bin
                      libopenmpi-dev cmake g++ make pkg-config libgtest-dev liblapack-dev libopenblas-dev
                      librandom123-dev)
EQRNN_PYTHON_PACKAGES=(python3-h5py python3-numpy python3-matplotlib python3-scipy python3-pytest)
EQRNN_SLURM_PACKAGES=(slurm-wlm munge) # tests/slurm/cluster.sh
EQRNN_PYTHON_MODULES=(h5py numpy matplotlib scipy pytest)

eqrnn_setup_die() {
  echo "eqrnn setup: error: $*" >&2
  exit 1
}

# Installing is possible on Debian/Ubuntu, as root or with sudo that asks no password.
eqrnn_sudo() {
  [ "${EQRNN_NO_INSTALL:-0}" = 1 ] && return 1
  [ -f /etc/debian_version ] && command -v apt-get >/dev/null && command -v dpkg-query >/dev/null || return 1
  if [ "$(id -u)" -eq 0 ]; then
    EQRNN_SUDO=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    EQRNN_SUDO="sudo"
  else
    return 1
  fi
}

# Installs the packages of the list that dpkg does not have; fails when it cannot or none is missing.
eqrnn_install() { # PACKAGE...
  eqrnn_sudo || return 1
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 1
  echo "eqrnn setup: installing missing Debian packages: ${missing[*]}"
  $EQRNN_SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $EQRNN_SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >/dev/null
}

eqrnn_python_ok() {
  local IFS=,
  "$EQRNN_PYTHON" -c "import ${EQRNN_PYTHON_MODULES[*]}" 2>/dev/null
}

# The Python for postprocess/ and the tests: EQRNN_PYTHON, else Debian's, else the first python3 on PATH.
eqrnn_python() {
  local candidates=("${EQRNN_PYTHON:-}" /usr/bin/python3 "$(command -v python3 || true)") c
  for c in "${candidates[@]}"; do
    [ -n "$c" ] || continue
    EQRNN_PYTHON="$c"
    eqrnn_python_ok && { export EQRNN_PYTHON; return 0; }
  done
  EQRNN_PYTHON="${candidates[0]:-/usr/bin/python3}"
  if eqrnn_install "${EQRNN_PYTHON_PACKAGES[@]}"; then
    EQRNN_PYTHON=/usr/bin/python3
    eqrnn_python_ok && { export EQRNN_PYTHON; return 0; }
  fi
  eqrnn_setup_die "no Python with the modules ${EQRNN_PYTHON_MODULES[*]} (tried: ${candidates[*]}); set" \
    "EQRNN_PYTHON to one that has them (Debian: apt-get install ${EQRNN_PYTHON_PACKAGES[*]})"
}

eqrnn_configure() {
  [ -f "$BUILD_DIR/CMakeCache.txt" ] && return 0
  mkdir -p "$BUILD_DIR"
  local args=(-S "$EQRNN_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "-DEQRNN_PYTHON=$EQRNN_PYTHON")
  # shellcheck disable=SC2206 # extra arguments are a command line
  args+=(${EQRNN_CMAKE_ARGS:-})
  command -v cmake >/dev/null || eqrnn_install "${EQRNN_BUILD_PACKAGES[@]}" ||
    eqrnn_setup_die "cmake not found: put CMake >= 3.25 on PATH (Debian: apt-get install cmake)"
  if cmake "${args[@]}" >"$BUILD_DIR/configure.log" 2>&1; then return 0; fi
  # Not found as things are: install what Debian lacks, where allowed, and try once more.
  if eqrnn_install "${EQRNN_BUILD_PACKAGES[@]}"; then
    rm -f "$BUILD_DIR/CMakeCache.txt"
    cmake "${args[@]}" >"$BUILD_DIR/configure.log" 2>&1 && return 0
  fi
  rm -f "$BUILD_DIR/CMakeCache.txt" # so that the next run configures again
  # CMake's own message names what is missing and the variables that point to it.
  sed -n '/CMake Error/,/^-- Configuring incomplete/p' "$BUILD_DIR/configure.log" | grep -v '^-- Configuring' >&2 ||
    true
  eqrnn_setup_die "configuring the build in $BUILD_DIR failed (whole log: $BUILD_DIR/configure.log)"
}

# The build's own status decides: in an existing build tree a failed compile leaves the old binaries behind,
# and testing those would hide the failure.
eqrnn_build() {
  local status=0
  cmake --build "$BUILD_DIR" -j "$(nproc)" >"$BUILD_DIR/build.log" 2>&1 || status=$?
  grep -vE '^\[ *[0-9]+%\]|^(gmake|make)(\[[0-9]+\])?: (Entering|Leaving) directory' "$BUILD_DIR/build.log" || true
  if [ "$status" -ne 0 ]; then
    echo "eqrnn setup: error: the build failed (status $status; whole log: $BUILD_DIR/build.log)" >&2
    exit 1
  fi
}

# The jobs/ tests start a private SLURM (tests/slurm/cluster.sh): its daemons where they can be installed; the
# tests say what is missing otherwise.
eqrnn_slurm() {
  command -v slurmctld >/dev/null && command -v munged >/dev/null && return 0
  eqrnn_install "${EQRNN_SLURM_PACKAGES[@]}" || true
}

# OpenMPI refuses to run as root without these; --oversubscribe lets tests use more ranks than cores.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

eqrnn_python
eqrnn_configure
eqrnn_build
eqrnn_slurm
