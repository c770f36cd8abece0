#!/usr/bin/env bash
# Submits a sweep: one array task per line of the grid (at most EQRNN_SWEEP_PARALLEL running at once, default 8).
#   bash jobs/submit_sweep.sh GRID DECK [extra eqrnn options...]    prints the array's job id
# sbatch options go in SBATCH_* variables (e.g. SBATCH_TIMELIMIT=2:00:00) or EQRNN_SBATCH_OPTS ("-n 4").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/job_common.sh"
grid="${1:?usage: submit_sweep.sh GRID DECK [eqrnn options...]}"
deck="${2:?usage: submit_sweep.sh GRID DECK [eqrnn options...]}"
[ -f "$deck" ] || eqrnn_job_die "deck '$deck' not found"
tasks="$(eqrnn_grid_tasks "$grid")"
for ((k = 0; k < tasks; ++k)); do eqrnn_grid_options "$grid" "$k" >/dev/null || eqrnn_job_die "bad grid '$grid'"; done
# shellcheck disable=SC2086 # EQRNN_SBATCH_OPTS is a list of options
sbatch --parsable --array="0-$((tasks - 1))%${EQRNN_SWEEP_PARALLEL:-8}" ${EQRNN_SBATCH_OPTS:-} \
  --export=ALL,EQRNN_ROOT="$EQRNN_ROOT" "$EQRNN_ROOT/jobs/sweep.sbatch" "$@"
