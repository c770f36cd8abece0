#!/usr/bin/python3
"""Bifurcation-diagram benchmark: eqrnn continue against a sweep of eqrnn fixedpoints censuses, same run.

    bench_continue.py [--n 256] [--ranks 2] [--j-min 1.5] [--j-max 3] [--sweep 31] [--depth 2] [--json F]
    bench_continue.py --steps-only [--steps-group Z1024xZ1024] [--steps 2] [--ranks 2] [--json F]

What a user of the torus Z_n x Z_n (cosine kernel, tanh) does to learn which fixed-point manifolds exist for J1
in [--j-min, --j-max] and whether they are stable, done both ways in one run on --ranks MPI ranks:
  continue  one `eqrnn continue` from x = 0 at J1 = --j-min, pseudo-arclength continuation in J1 with branch
            switching (-cont_depth --depth);
  sweep     `eqrnn fixedpoints -fp_stability` (the default census: x = 0, symmetry seeds, 12 random starts) at
            --sweep values of J1 evenly spaced in [--j-min, --j-max].
Reported: the wall time of each (seconds of the processes, mpirun included, and the command's own wall_seconds),
the ratio sweep / continue (> 1: the continuation is faster), and what each found: the distinct branch types
(stabiliser order, stable or unstable), the branches of the continuation and the number of manifolds (and
families) of each census. A type found by one method and not by the other is flagged as missed, over the whole
range and J value by J value (a continuation branch covers J when its points bracket J; its stability there is
that of the bracketing points, either one where they differ). Points of the continuation outside the range and
the branch point a branch is born at (which lies on its parent) are not counted. Stable: no eigenvalue with
Re > the marginal tolerance (marginal modes allowed), i.e. the census' classification `stable` and the
continuation's n_unstable = 0.

--steps-only times continuation steps at scale instead: `eqrnn continue` on --steps-group (2^20 neurons by
default) along the branch x = 0 only (-cont_depth 0), --steps accepted points each way from J1 = 1.6 in
[1.5, 1.7] with a fixed arclength step 0.01; reported: seconds per accepted point, from the command's final line
(its points and seconds; the start point and the set-up inside the command are in the seconds, not in the count).

A table goes to stdout, the numbers to --json (default bench_continue.json, bench_continue_steps.json in the
current folder). The figures are printed and not asserted; the exit status is non-zero only when a run fails.
"""

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EQRNN = os.environ.get("EQRNN_BIN", os.path.join(ROOT, "build", "eqrnn"))
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
FINAL_LINE = re.compile(r"eqrnn: (\d+) branch\(es\), (\d+) bifurcation point\(s\), (\d+) steps in ([0-9.eE+-]+) s")
PARAMETER_TOL = 1e-9  # relative: a point at its branch's birth parameter is the branch point


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=256, help="side of the torus Z_n x Z_n (the issue: 256)")
    p.add_argument("--ranks", type=int, default=2, help="MPI ranks of every run")
    p.add_argument("--j-min", type=float, default=1.5)
    p.add_argument("--j-max", type=float, default=3.0)
    p.add_argument("--sweep", type=int, default=31, help="J1 values of the census sweep, evenly in the range")
    p.add_argument("--depth", type=int, default=2, help="-cont_depth (branch switching depth; eqrnn's default 2)")
    p.add_argument("--continue-options", default="", help="further options of eqrnn continue (one string)")
    p.add_argument("--census-options", default="", help="further options of eqrnn fixedpoints (one string)")
    p.add_argument("--steps-only", action="store_true", help="time continuation steps at 2^20 neurons instead")
    p.add_argument("--steps-group", default="Z1024xZ1024", help="--steps-only: the group (Z1048576: the ring)")
    p.add_argument("--steps", type=int, default=2, help="--steps-only: -cont_max_steps, accepted points each way")
    p.add_argument("--json", help="where the numbers go (default bench_continue[_steps].json here)")
    p.add_argument("--keep", help="keep the HDF5 files in this folder (default: a temporary one)")
    a = p.parse_args(argv)
    if a.n < 2 or a.ranks < 1 or a.sweep < 1 or a.depth < 0 or a.steps < 1 or not a.j_min < a.j_max:
        p.error("need --n >= 2, --ranks >= 1, --sweep >= 1, --depth >= 0, --steps >= 1, --j-min < --j-max")
    if a.json is None:
        a.json = "bench_continue_steps.json" if a.steps_only else "bench_continue.json"
    return a


def run_eqrnn(a, args, what):
    """Runs eqrnn on --ranks ranks; returns (wall seconds of the process, stdout)."""
    cmd = [MPIEXEC, "--quiet", "-n", str(a.ranks), EQRNN] + args
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        why = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        sys.exit(f"bench_continue.py: error: {what} failed (status {proc.returncode}): "
                 f"{why[-1] if why else ''}\n  command: {shlex.join(cmd)}")
    return wall, proc.stdout


def eqrnn_version():
    proc = subprocess.run([EQRNN, "-version"], env=ENV, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "unknown"


def final_line(stdout):
    m = None
    for line in stdout.splitlines():
        m = FINAL_LINE.search(line) or m
    if not m:
        sys.exit("bench_continue.py: error: eqrnn continue printed no final line (branches, points, seconds)")
    return dict(line=m.group(0), branches=int(m.group(1)), bifurcations=int(m.group(2)), points=int(m.group(3)),
                seconds=float(m.group(4)))


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def stability(n_unstable):
    return "stable" if n_unstable == 0 else "unstable"


def type_name(t):
    return f"|H|={t[0]} {t[1]}"


def in_range(a, j):
    tol = 1e-12 * max(1.0, abs(a.j_max))
    return a.j_min - tol <= j <= a.j_max + tol


# ---------------------------------------------------------------- continuation
def read_continuation(a, path):
    with h5py.File(path, "r") as f:
        c = f["continuation"]
        births = f["continuation/bifurcations/parameter"][()] if "bifurcations" in c else np.zeros(0)
        branches = []
        for i in range(int(c.attrs["branch_count"])):
            g = c[f"branch_{i}"]
            p = np.asarray(g["parameter"][()], dtype=float)
            u = np.asarray(g["n_unstable"][()], dtype=int)
            born = int(g.attrs["born_at"])
            on = np.ones(len(p), dtype=bool)  # not the branch point on the parent, which is not this branch's
            if 0 <= born < len(births):
                on = np.abs(p - births[born]) > PARAMETER_TOL * max(1.0, abs(births[born]))
            keep = on & np.array([in_range(a, x) for x in p], dtype=bool)
            order = int(g.attrs["stabiliser_order"])
            types = sorted({(order, stability(x)) for x in u[keep]})
            branches.append(dict(index=i, stabiliser=text(g.attrs["stabiliser"]), stabiliser_order=order,
                                 isotropy_order=int(g.attrs["isotropy_order"]), start=text(g.attrs["start"]),
                                 parent=int(g.attrs["parent"]), end_reason=text(g.attrs["end_reason"]),
                                 points=len(p), points_in_range=int(keep.sum()),
                                 j_range=[float(p[keep].min()), float(p[keep].max())] if keep.any() else None,
                                 types=[list(t) for t in types], parameter=p[on].tolist(),
                                 n_unstable=u[on].tolist()))
        attrs = dict(steps=int(c.attrs["steps"]), wall_seconds=float(c.attrs["wall_seconds"]),
                     bifurcations=[float(x) for x in births])
    return branches, attrs


def continuation_types_at(branches, j):
    """The continuation's branches at J1 = j, as alternatives: one set of types per branch that covers j, i.e.
    has a point at j or two consecutive points (the branch point left out; the first point past the range
    counts) that bracket j; the set holds both stabilities where the two points differ."""
    found = []
    for b in branches:
        p, u, o = b["parameter"], b["n_unstable"], b["stabiliser_order"]
        for k, x in enumerate(p):
            if abs(x - j) <= PARAMETER_TOL * max(1.0, abs(j)):
                found.append({(o, stability(u[k]))})
        for k in range(len(p) - 1):
            if min(p[k], p[k + 1]) < j < max(p[k], p[k + 1]):
                found.append({(o, stability(u[k])), (o, stability(u[k + 1]))})
    return found


def compare_at(branches, census_types, j):
    """(the branches' types at j, the census' types at j that no branch has there, the types of branches at j
    of which the census has neither stability)."""
    alternatives = continuation_types_at(branches, j)
    possible = set().union(*alternatives) if alternatives else set()
    missed_by_continue = sorted(set(census_types) - possible)
    missed_by_census = sorted({t for alt in alternatives if not alt & set(census_types) for t in alt})
    return sorted(possible), missed_by_continue, missed_by_census


# ---------------------------------------------------------------- census
def read_census(path):
    with h5py.File(path, "r") as f:
        g = f["fixed_points"]
        manifolds = []
        for i in range(int(g.attrs["count"])):
            m = g[f"fp_{i}"].attrs
            cls = text(m["classification"])
            manifolds.append(dict(stabiliser=text(m["stabiliser"]), stabiliser_order=int(m["stabiliser_order"]),
                                  classification=cls, family=int(m["family"]), n_unstable=int(m["n_unstable"]),
                                  n_marginal=int(m["n_marginal"])))
        return manifolds, float(g.attrs["wall_seconds"]), int(g.attrs["starts"]), int(g.attrs["failed_starts"])


def census_type(m):
    return (m["stabiliser_order"], m["classification"] if m["classification"] in ("stable", "unknown")
            else "unstable")


# ---------------------------------------------------------------- the two modes
def diagram(a, workdir):
    group = f"Z{a.n}xZ{a.n}"
    js = np.linspace(a.j_min, a.j_max, a.sweep) if a.sweep > 1 else np.array([a.j_min])
    load0 = os.getloadavg()
    print(f"bench_continue: torus {group} ({a.n * a.n} neurons), J1 in [{a.j_min:g}, {a.j_max:g}], {a.ranks} "
          f"rank(s); continue -cont_depth {a.depth} against {a.sweep} censuses (fixedpoints -fp_stability); "
          f"load average {load0[0]:.2f}")
    version = eqrnn_version()
    print(f"  {EQRNN}: {version}")

    out = os.path.join(workdir, f"continue_n{a.n}.h5")
    cargs = ["continue", "-group", group, "-J1", repr(a.j_min), "-cont_parameter", "J1", "-cont_min", repr(a.j_min),
             "-cont_max", repr(a.j_max), "-cont_depth", str(a.depth), "-output", out] + shlex.split(
                 a.continue_options)
    cwall, stdout = run_eqrnn(a, cargs, "eqrnn continue")
    fl = final_line(stdout)
    branches, cattrs = read_continuation(a, out)

    census, swall, sown = [], 0.0, 0.0
    for j in js:
        out = os.path.join(workdir, f"census_n{a.n}_J{j:.6f}.h5")
        fargs = ["fixedpoints", "-group", group, "-J1", repr(float(j)), "-fp_stability", "-quiet", "-output",
                 out] + shlex.split(a.census_options)
        w, _ = run_eqrnn(a, fargs, f"eqrnn fixedpoints at J1 = {j:g}")
        manifolds, own, starts, failed = read_census(out)
        swall += w
        sown += own
        census.append(dict(J1=float(j), wall=w, wall_seconds=own, starts=starts, failed_starts=failed,
                           manifolds=len(manifolds), families=len({m["family"] for m in manifolds}),
                           types=sorted({census_type(m) for m in manifolds}), detail=manifolds))
    load1 = os.getloadavg()

    ctypes = sorted({tuple(t) for b in branches for t in b["types"]})
    stypes = sorted({t for c in census for t in c["types"]})
    missed_by_continue = [t for t in stypes if t not in ctypes]
    missed_by_census = [t for t in ctypes if t not in stypes]
    per_j = []
    for c in census:
        here, by_continue, by_census = compare_at(branches, c["types"], c["J1"])
        near = [x for x in cattrs["bifurcations"] if abs(x - c["J1"]) <= 1e-6 * max(1.0, abs(x))]
        per_j.append(dict(J1=c["J1"], continue_types=here, census_types=c["types"], missed_by_continue=by_continue,
                          missed_by_census=by_census, at_bifurcation=bool(near)))

    # ---- the table
    print()
    print(f"{'method':<10} {'wall s':>9} {'own s':>9} | runs / points")
    print(f"{'continue':<10} {cwall:9.2f} {fl['seconds']:9.2f} | 1 run, {fl['points']} points, {fl['branches']} "
          f"branches, {fl['bifurcations']} bifurcation point(s) at J1 = "
          f"{', '.join(f'{x:.6g}' for x in cattrs['bifurcations']) or '-'}")
    print(f"{'sweep':<10} {swall:9.2f} {sown:9.2f} | {len(js)} censuses, {sum(c['starts'] for c in census)} "
          f"starts ({sum(c['failed_starts'] for c in census)} failed)")
    print(f"ratio sweep / continue: {swall / cwall:.2f} (process wall time), {sown / fl['seconds']:.2f} "
          f"(the commands' own wall_seconds)")
    print()
    print("continue branches (points in range; types = stabiliser order, stability along the branch):")
    for b in branches:
        rng = "-" if b["j_range"] is None else f"{b['j_range'][0]:.4g}..{b['j_range'][1]:.4g}"
        print(f"  {b['index']:>2} {b['start']:<13} parent {b['parent']:>2}  {b['stabiliser']:<22} "
              f"|H|={b['stabiliser_order']:<7} {b['points_in_range']:>3} pts  J1 {rng:<13} "
              f"{', '.join(t[1] for t in b['types']) or '-'}")
    print("census manifolds per J1 (families in brackets):")
    rows = [f"{c['J1']:.3g}:{c['manifolds']}({c['families']})" for c in census]
    for k in range(0, len(rows), 8):
        print("  " + "  ".join(f"{r:<13}" for r in rows[k:k + 8]))
    print()
    print(f"{'branch type':<24} {'continue':>8} {'census':>8}")
    for t in sorted(set(ctypes) | set(stypes)):
        c_has, s_has = t in ctypes, t in stypes
        flag = "" if c_has and s_has else ("  missed by continue" if s_has else "  missed by census")
        where = [f"{c['J1']:.3g}" for c in census if t in c["types"]]
        print(f"{type_name(t):<24} {'yes' if c_has else '-':>8} {'yes' if s_has else '-':>8}{flag}"
              + (f"   (census at J1 = {where[0]}..{where[-1]}, {len(where)} values)" if where else ""))
    bad = [r for r in per_j if r["missed_by_continue"] or r["missed_by_census"]]
    print(f"J1 values where the types differ: {len(bad)} of {len(per_j)}")
    for r in bad:
        parts = []
        if r["missed_by_continue"]:
            parts.append("missed by continue: " + ", ".join(type_name(t) for t in r["missed_by_continue"]))
        if r["missed_by_census"]:
            parts.append("missed by census: " + ", ".join(type_name(t) for t in r["missed_by_census"]))
        print(f"  J1 = {r['J1']:.4g}: " + "; ".join(parts)
              + (" (a bifurcation point of the continuation)" if r["at_bifurcation"] else ""))
    print(f"load average {load0[0]:.2f} before, {load1[0]:.2f} after (2-core machine: > ~1 means shared cores)")

    return dict(mode="diagram", eqrnn=EQRNN, version=version, group=group, neurons=a.n * a.n, ranks=a.ranks,
                j_min=a.j_min, j_max=a.j_max, depth=a.depth, sweep=a.sweep, continue_command=shlex.join(cargs),
                census_command=shlex.join(["fixedpoints", "-group", group, "-J1", "J", "-fp_stability", "-quiet"]
                                          + shlex.split(a.census_options)),
                load_average=[load0[0], load1[0]],
                continuation=dict(wall=cwall, final_line=fl, own_seconds=fl["seconds"], steps=cattrs["steps"],
                                  bifurcations=cattrs["bifurcations"], branches=branches,
                                  types=[list(t) for t in ctypes]),
                census=dict(wall=swall, own_seconds=sown, runs=census, types=[list(t) for t in stypes]),
                ratio_wall=swall / cwall, ratio_own=sown / fl["seconds"],
                missed_by_continue=[list(t) for t in missed_by_continue],
                missed_by_census=[list(t) for t in missed_by_census], per_j=per_j)


def steps_only(a, workdir):
    out = os.path.join(workdir, "continue_steps.h5")
    cargs = ["continue", "-group", a.steps_group, "-J1", "1.6", "-cont_parameter", "J1", "-cont_min", "1.5",
             "-cont_max", "1.7", "-cont_depth", "0", "-cont_max_steps", str(a.steps), "-cont_ds", "0.01",
             "-cont_ds_max", "0.01", "-output", out] + shlex.split(a.continue_options)
    load0 = os.getloadavg()
    print(f"bench_continue --steps-only: {a.steps_group}, {a.ranks} rank(s), branch x = 0, -cont_max_steps "
          f"{a.steps} each way; load average {load0[0]:.2f}")
    version = eqrnn_version()
    print(f"  {EQRNN}: {version}")
    wall, stdout = run_eqrnn(a, cargs, "eqrnn continue")
    fl = final_line(stdout)
    with h5py.File(out, "r") as f:
        neurons = int(f.attrs["N"])
        in_file = int(f["continuation/branch_0"].attrs["points"])
    load1 = os.getloadavg()
    per = fl["seconds"] / fl["points"] if fl["points"] else math.nan
    print(f"{'group':<14} {'neurons':>9} {'ranks':>5} {'points':>6} {'own s':>9} {'wall s':>9} {'s/point':>9}")
    print(f"{a.steps_group:<14} {neurons:>9} {a.ranks:>5} {fl['points']:>6} {fl['seconds']:9.2f} {wall:9.2f} "
          f"{per:9.3f}")
    print(f"eqrnn's final line: {fl['line']}")
    print(f"load average {load0[0]:.2f} before, {load1[0]:.2f} after (2-core machine: > ~1 means shared cores)")
    return dict(mode="steps", eqrnn=EQRNN, version=version, group=a.steps_group, neurons=neurons, ranks=a.ranks,
                command=shlex.join(cargs), final_line=fl, points_in_file=in_file, wall=wall, seconds_per_point=per,
                load_average=[load0[0], load1[0]])


def main(argv=None):
    a = parse(argv)
    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
        result = steps_only(a, a.keep) if a.steps_only else diagram(a, a.keep)
    else:
        with tempfile.TemporaryDirectory() as workdir:
            result = steps_only(a, workdir) if a.steps_only else diagram(a, workdir)
    with open(a.json, "w") as f:
        json.dump(result, f, indent=1)
    print(f"numbers written to {a.json}")


if __name__ == "__main__":
    main()
