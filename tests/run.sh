#!/usr/bin/env bash
# The whole test suite: set up (packages, build), then ctest (unit tests on 1, 2 and 3 MPI ranks, Python tests of
# the command line, the HDF5 files and the postprocess scripts). Extra arguments go to ctest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../jobs/setup.sh"
cd "$BUILD_DIR"
ctest --output-on-failure "$@"
