#!/usr/bin/env bash
# Writes docs/reference.md from the parameter tables of the eqrnn binary given (default build/eqrnn): every
# option of every command, with its default, type, range and meaning. The test suite checks that the committed
# file is what this script writes (tests/python/test_commands.py), so the reference cannot drift from the code.
#   bash docs/make_reference.sh [EQRNN] > docs/reference.md
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/build/eqrnn}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cat <<'HEAD'
# eqrnn command reference

Every option of every command, generated from the commands' parameter tables by `docs/make_reference.sh`
(`eqrnn COMMAND -help markdown`); `eqrnn COMMAND -help` prints the same on the terminal with the values a deck
sets. Options are given on the command line (`-name value`) or in a YAML deck (`name: value`,
`-options_file_yaml FILE`); later ones win. Lists are comma-separated (`-fp_amplitudes 0.5,1,2`), flags take
`true`/`false` or nothing (`-quiet`). "identity" marks the parameters that define a run: a checkpoint written
with other values belongs to another run and is not resumed from (`docs/operations.md`). Every parameter is
recorded in the output's `/parameters` (`docs/formats.md`).

Every command also accepts `-options_file_yaml FILE`, `-help [petsc|markdown]`, `-version` and, for tests only,
`-fault_injection SITE:RANK[:SKIP]`, which makes rank RANK fail its (SKIP+1)-th check of kind SITE
(`hdf5_write`: an HDF5 write or file creation; `file_check`: a file looks missing) to show that a failure on
one rank ends the run with one error line and never a hang. PETSc and SLEPc options of a command's solvers
(listed under each command) work unchanged; `eqrnn COMMAND -help petsc` lists them with their values.
`eqrnn -list-commands` prints the commands as a table for job scripts (name, resumes, default checkpoint
options, figure script).
HEAD
"$bin" -list-commands | while IFS=$'\t' read -r name resumes checkpoints figure; do
  [ "${name:0:1}" = "#" ] && continue
  echo
  echo "## eqrnn $name"
  echo
  summary="$("$bin" "$name" -help </dev/null | sed -n 1p)"
  echo "${summary#eqrnn $name: }."
  echo
  [ "$resumes" = 1 ] && echo "Checkpoints and resumes (\`-restart auto\`); job scripts add \`$checkpoints\`."
  [ -n "$figure" ] && echo "Figure: \`postprocess/$figure\`."
  solvers="$("$bin" "$name" -help </dev/null | sed -n 's/^PETSc\/SLEPc solver options read by this command: //p')"
  [ -n "$solvers" ] && echo "Solver options: \`${solvers// /\`, \`}\`."
  "$bin" "$name" -help markdown </dev/null
done
