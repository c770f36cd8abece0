#!/usr/bin/python3
"""Benchmark (not a timed test): a user's three runs on one torus, with two eqrnn builds, in the same run.

    bench_versions.py --baseline OLD/eqrnn [--current build/eqrnn] [--n 1024] [--ranks 1] [--repeats 2]
                      [--t-final 50] [--json FILE]

For each build, alternately (baseline, current, baseline, current, ...: drifts of the machine's load fall on both):
  simulate     eqrnn simulate on Z_n x Z_n (cosine kernel J1 = 3, tanh) from the seeded random state to t_final,
               the default adaptive Runge-Kutta and tolerances;
  newton       eqrnn fixedpoints polishing the simulated final state (x = 0 and that state; no random starts,
               no symmetry seeds): Newton-Krylov;
  slepc        eqrnn stability at the fixed point found: the leading eigenvalues (SLEPc, default settings).
Each time is the best over --repeats of the command's own wall_seconds (the HDF5 attribute each command writes),
and of the process wall time. Prints the times and the ratios baseline / current, and checks that both builds
found the same fixed point up to a symmetry (equal sorted Fourier amplitudes) and the same eigenvalues (to 1e-8
relative), so that the two are doing the same work.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", required=True, help="the earlier eqrnn binary")
    p.add_argument("--current", default=os.environ.get("EQRNN_BIN", "build/eqrnn"), help="this build's eqrnn")
    p.add_argument("--n", type=int, default=1024, help="torus side (N = n^2 neurons)")
    p.add_argument("--ranks", type=int, default=1)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--t-final", type=float, default=50.0)
    p.add_argument("--json", default=None)
    return p.parse_args(argv)


def mpirun(ranks):
    if ranks <= 1:
        return []
    return [os.environ.get("MPIEXEC", "mpirun"), "--quiet", "-n", str(ranks), "--oversubscribe"]


def run(binary, ranks, args, out):
    cmd = mpirun(ranks) + [binary] + [str(a) for a in args] + ["-quiet", "-output", out]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"bench_versions: {shlex.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    own = float("nan")
    with h5py.File(out, "r") as f:  # on the root or on the command's group (/simulation, /fixed_points, ...)
        for g in [f, *(f[k] for k in f if isinstance(f[k], h5py.Group))]:
            if "wall_seconds" in g.attrs:
                own = float(g.attrs["wall_seconds"])
                break
    return wall, own


def network(n):
    return ["-group", f"Z{n}xZ{n}", "-J1", "3"]


def one_round(binary, a, tmp, tag):
    sim, fp, st = (os.path.join(tmp, f"{tag}_{k}.h5") for k in ("sim", "fp", "st"))
    times = {}
    times["simulate"] = run(binary, a.ranks, ["simulate", *network(a.n), "-t_final", a.t_final], sim)
    times["newton"] = run(binary, a.ranks, ["fixedpoints", *network(a.n), "-fp_start_file", sim, "-fp_starts", 0,
                                            "-fp_symmetry_seeds", "false"], fp)
    with h5py.File(fp, "r") as f:
        fps = f["fixed_points"]
        states = {k: fps[k]["x"][()] for k in fps if k.startswith("fp_")}
    if not states:
        sys.exit(f"bench_versions: {binary} found no fixed point")
    name = max(states, key=lambda k: np.linalg.norm(states[k]))  # the simulated state's, not x = 0
    x = states[name]
    times["slepc"] = run(binary, a.ranks, ["stability", *network(a.n), "-state_file", fp, "-state_dataset",
                                           f"/fixed_points/{name}/x"], st)
    with h5py.File(st, "r") as f:
        g = f["fixed_points/fp_0"]
        ev = np.sort_complex(np.asarray(g.attrs["eigenvalues_real"]) + 1j * np.asarray(g.attrs["eigenvalues_imag"]))
    return times, x, ev


def main(argv=None):
    a = parse(argv)
    best = {"baseline": {}, "current": {}}
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench_versions_") as tmp:
        for r in range(a.repeats):
            for tag, binary in (("baseline", a.baseline), ("current", a.current)):
                times, x, ev = one_round(binary, a, tmp, f"{tag}{r}")
                results[tag] = (x, ev)
                for k, (wall, own) in times.items():
                    w0, o0 = best[tag].get(k, (float("inf"), float("inf")))
                    best[tag][k] = (min(w0, wall), min(o0, own))
    (xb, eb), (xc, ec) = results["baseline"], results["current"]
    # The same fixed point up to a symmetry (the builds may draw other random states, and the cosine kernel's
    # manifold is a continuous family): equal sorted Fourier amplitudes, which translations, reflections, the
    # swap of the axes and x -> -x all keep.
    ab, ac = (np.sort(np.abs(np.fft.fft2(v.reshape(a.n, a.n))).ravel()) for v in (xb, xc))
    same_x = np.linalg.norm(ab - ac) <= 1e-8 * max(1.0, np.linalg.norm(ab))
    same_ev = len(eb) == len(ec) and np.allclose(eb, ec, rtol=1e-8, atol=1e-10)
    print(f"bench_versions: Z{a.n}xZ{a.n} ({a.n * a.n} neurons), {a.ranks} rank(s), best of {a.repeats}")
    print(f"  baseline {a.baseline}\n  current  {a.current}")
    print(f"{'run':10s} {'baseline s':>11s} {'(own)':>8s} {'current s':>10s} {'(own)':>8s} {'ratio':>6s} {'(own)':>6s}")
    rows = {}
    for k in ("simulate", "newton", "slepc"):
        (wb, ob), (wc, oc) = best["baseline"][k], best["current"][k]
        rows[k] = dict(baseline_wall=wb, baseline_own=ob, current_wall=wc, current_own=oc,
                       ratio_wall=wb / wc, ratio_own=ob / oc)
        print(f"{k:10s} {wb:11.2f} {ob:8.2f} {wc:10.2f} {oc:8.2f} {wb / wc:6.2f} {ob / oc:6.2f}")
    print(f"same fixed point (up to a symmetry): {'yes' if same_x else 'NO'}; same eigenvalues: {'yes' if same_ev else 'NO'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(n=a.n, ranks=a.ranks, repeats=a.repeats, rows=rows, same_x=bool(same_x),
                           same_eigenvalues=bool(same_ev)), f, indent=1)
    return 0 if same_x and same_ev else 1


if __name__ == "__main__":
    sys.exit(main())
