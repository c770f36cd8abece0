#!/usr/bin/env bash
# The main job without SLURM: set up (packages, build), simulate a deck with mpirun, plot the result.
#   bash jobs/run_local.sh [DECK.yaml] [extra eqrnn options...]
# Environment: NRANKS (default 2), OUTDIR (default ./runs). Output: $OUTDIR/<deck>.h5 and $OUTDIR/<deck>.png
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
DECK="${1:-$EQRNN_ROOT/input/ring.yaml}"
[ $# -gt 0 ] && shift
[ -f "$DECK" ] || { echo "run_local.sh: error: deck '$DECK' not found" >&2; exit 1; }
NRANKS="${NRANKS:-2}"
OUTDIR="${OUTDIR:-$EQRNN_ROOT/runs}"
mkdir -p "$OUTDIR"
name="$(basename "$DECK" .yaml)"
mpirun --quiet -n "$NRANKS" "$BUILD_DIR/eqrnn" simulate -options_file_yaml "$DECK" -output "$OUTDIR/$name.h5" "$@"
/usr/bin/python3 "$EQRNN_ROOT/postprocess/plot_activity.py" "$OUTDIR/$name.h5" -o "$OUTDIR/$name.png"
