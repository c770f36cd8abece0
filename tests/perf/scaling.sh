#!/bin/bash
# Strong or weak scaling of a user's three runs, on whatever machine this is: for each rank count P,
#   simulate     eqrnn simulate on a torus (cosine kernel J1 = 3, tanh) from the seeded random state to -t_final;
#   newton       eqrnn fixedpoints polishing that final state (x = 0 and the state; no other starts): Newton-Krylov;
#   slepc        eqrnn stability at the fixed point found: SLEPc's leading eigenvalues;
# and prints each run's time (the command's own wall_seconds where it writes one, else the process' wall time) and
# the parallel efficiency: strong T(P0) P0 / (T(P) P) on one size, weak T(P0) / T(P) with the neurons per rank
# fixed (the first, distributed axis grows with P). Nothing to edit for a new machine:
#
#   tests/perf/scaling.sh [--side 1024] [--ranks "1 2 4 8 16"] [--mode strong|weak] [--t-final 20]
#                         [--eqrnn build/eqrnn] [--out DIR] [--mpiexec "mpirun --bind-to core"]
#
# Rank counts above the cores are run oversubscribed (the times then say nothing about scaling; the script
# warns). The table also goes to DIR/scaling.tsv.
set -euo pipefail

side=1024 ranks="1 2 4 8 16" mode=strong tfinal=20 out="" eqrnn="${EQRNN_BIN:-build/eqrnn}"
mpiexec="${MPIEXEC:-mpirun}"
py=/usr/bin/python3
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
  --side) side="$2"; shift 2 ;;
  --ranks) ranks="$2"; shift 2 ;;
  --mode) mode="$2"; shift 2 ;;
  --t-final) tfinal="$2"; shift 2 ;;
  --eqrnn) eqrnn="$2"; shift 2 ;;
  --out) out="$2"; shift 2 ;;
  --mpiexec) mpiexec="$2"; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  *) echo "scaling.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$mode" in strong | weak) ;; *) echo "scaling.sh: --mode must be strong or weak (got $mode)" >&2; exit 2 ;; esac
[[ "$side" =~ ^[1-9][0-9]*$ ]] || { echo "scaling.sh: --side must be a positive integer (got $side)" >&2; exit 2; }
for p in $ranks; do
  [[ "$p" =~ ^[1-9][0-9]*$ ]] || { echo "scaling.sh: --ranks must be positive integers (got $p)" >&2; exit 2; }
done
[ -x "$eqrnn" ] || { echo "scaling.sh: no eqrnn binary at $eqrnn (--eqrnn)" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d -t eqrnn_scaling.XXXXXX)
mkdir -p "$out"
cores=$(nproc)

# The command's own wall_seconds (on the root or the command's group), or empty.
own_seconds() {
  "$py" - "$1" <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    for g in [f, *(f[k] for k in f if isinstance(f[k], h5py.Group))]:
        if "wall_seconds" in g.attrs:
            print(float(g.attrs["wall_seconds"]))
            break
EOF
}
# The dataset of the fixed point of largest norm (the simulated state's, not x = 0).
largest_fixed_point() {
  "$py" - "$1" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    fps = f["fixed_points"]
    names = [k for k in fps if k.startswith("fp_")]
    print(f"/fixed_points/{max(names, key=lambda k: np.linalg.norm(fps[k]['x'][()]))}/x")
EOF
}
# Runs eqrnn on P ranks; prints the seconds (own, else wall).
timed() {
  local p=$1 output=$2
  shift 2
  local t0 t1 own
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  if ! $mpiexec --quiet -n "$p" --oversubscribe "$eqrnn" "$@" -quiet -output "$output" >"$output.log" 2>&1; then
    echo "scaling.sh: eqrnn $1 on $p rank(s) failed; its output:" >&2
    cat "$output.log" >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  own=$(own_seconds "$output")
  if [ -n "$own" ]; then echo "$own"; else "$py" -c "print($t1 - $t0)"; fi
}

printf 'scaling.sh: %s scaling, torus side %s, t_final %s, %s core(s) here, eqrnn %s\n' "$mode" "$side" "$tfinal" \
  "$cores" "$("$eqrnn" -version 2>/dev/null | head -1)"
printf '%6s %-22s %10s %10s %10s %8s %8s %8s\n' ranks group simulate newton slepc eff_sim eff_nt eff_ev |
  tee "$out/scaling.tsv"
first=""
for p in $ranks; do
  [ "$p" -le "$cores" ] || echo "scaling.sh: warning: $p ranks on $cores cores (oversubscribed)" >&2
  if [ "$mode" = weak ]; then group="Z$((side * p))xZ$side"; else group="Z${side}xZ$side"; fi
  net=(-group "$group" -J1 3)
  sim="$out/sim_$p.h5" fp="$out/fp_$p.h5" st="$out/st_$p.h5"
  ts=$(timed "$p" "$sim" simulate "${net[@]}" -t_final "$tfinal")
  tn=$(timed "$p" "$fp" fixedpoints "${net[@]}" -fp_start_file "$sim" -fp_starts 0 -fp_symmetry_seeds false)
  tv=$(timed "$p" "$st" stability "${net[@]}" -state_file "$fp" -state_dataset "$(largest_fixed_point "$fp")")
  [ -n "$first" ] || first="$p $ts $tn $tv"
  read -r p0 s0 n0 v0 <<<"$first"
  "$py" - "$mode" "$p" "$group" "$ts" "$tn" "$tv" "$p0" "$s0" "$n0" "$v0" <<'EOF' | tee -a "$out/scaling.tsv"
import sys
mode, p, group = sys.argv[1], int(sys.argv[2]), sys.argv[3]
t = [float(v) for v in sys.argv[4:7]]
p0, t0 = int(sys.argv[7]), [float(v) for v in sys.argv[8:11]]
eff = [(a / b if mode == "weak" else a * p0 / (b * p)) for a, b in zip(t0, t)]
print(f"{p:6d} {group:22s} {t[0]:10.3f} {t[1]:10.3f} {t[2]:10.3f} {eff[0]:8.2f} {eff[1]:8.2f} {eff[2]:8.2f}")
EOF
done
echo "scaling.sh: outputs and the table (scaling.tsv) in $out"
