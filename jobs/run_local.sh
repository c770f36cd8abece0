#!/usr/bin/env bash
# The same jobs without SLURM: set up (packages, build), run with mpirun on the requested ranks, plot.
#   bash jobs/run_local.sh [DECK.yaml] [extra eqrnn options...]       (default deck: input/ring.yaml)
#   EQRNN_GRID=GRID bash jobs/run_local.sh DECK [extra options...]     every task of a sweep in turn
# Environment: NRANKS (default 2), EQRNN_COMMAND (simulate, default, or fixedpoints), OUTDIR (default ./runs;
# a sweep writes $OUTDIR/<grid name>/task_<k>.h5), EQRNN_TASK (one task of the grid only), and the EQRNN_*
# variables of jobs/job_common.sh. Output: $OUTDIR/<deck>.h5 and $OUTDIR/<deck>.png.
# Runs resume like SLURM jobs: an interrupted run (Ctrl-C: SIGINT is not trapped; kill -USR1/-TERM to
# checkpoint first) continues from its newest checkpoint when the same command is run again.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# In a source tree: set up and build first; installed (no setup.sh beside it): the installed eqrnn.
if [ -f "$here/setup.sh" ]; then source "$here/setup.sh"; fi
source "$here/job_common.sh"
DECK="${1:-$EQRNN_ROOT/input/ring.yaml}"
[ $# -gt 0 ] && shift
export EQRNN_NRANKS="${NRANKS:-2}"
OUTDIR="${OUTDIR:-$EQRNN_RUNS}"
command="${EQRNN_COMMAND:-simulate}"
if [ -z "${EQRNN_GRID:-}" ]; then
  eqrnn_job "$command" "$DECK" "$OUTDIR/$(basename "$DECK" .yaml).h5" "$@"
  exit
fi
tasks="$(eqrnn_grid_tasks "$EQRNN_GRID")"
outdir="$OUTDIR/$(basename "$EQRNN_GRID" .txt)"
for ((k = 0; k < tasks; ++k)); do
  [ -n "${EQRNN_TASK:-}" ] && [ "$EQRNN_TASK" != "$k" ] && continue
  eqrnn_sweep_task "$command" "$EQRNN_GRID" "$DECK" "$outdir" "$k" "$@"
done
echo "sweep outputs in $outdir (gather: /usr/bin/python3 $EQRNN_ROOT/postprocess/sweep.py $outdir)"
