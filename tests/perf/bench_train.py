#!/usr/bin/python3
"""Training benchmark: eqrnn train against PyTorch on the CPU, same machine, same run (issue 6).

    bench_train.py [-n 1000] [-D 2] [-T 3] [--batch 1024] [--steps 30] [--lr 1e-3] [--ranks 1,2] [--json F]

The authors' setting by default (n = 1000, D = 2, T = 3, batch 1024, Adam, ReLU from W = 0). For each thread
count P in --ranks: eqrnn on P MPI ranks (one OpenBLAS thread each) and PyTorch with P threads, in double and
in single precision, the same number of steps. PyTorch on Debian does its products in the system OpenBLAS,
which starts its own threads whatever torch.set_num_threads says, so its thread count is pinned with
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS too; for P > 1 both splits (P torch threads + 1 BLAS thread, 1 torch
thread + P BLAS threads) are measured and the faster one is kept: the comparison favours PyTorch.
Reported: seconds per step (eqrnn: its own /training seconds_per_step, the mean over the steps; PyTorch: the
mean after 3 warm-up steps), the ratio PyTorch / eqrnn (> 1: eqrnn faster), and the losses after the same
number of steps (the data differ: eqrnn's Philox batches, torch's generator; equal losses mean equal progress,
not equal bits). The figures are printed and not asserted.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py

from train_torch import add_setting_arguments  # the same setting for both sides

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EQRNN = os.environ.get("EQRNN_BIN", os.path.join(ROOT, "build", "eqrnn"))
MPIEXEC = os.environ.get("MPIEXEC", "mpirun")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_setting_arguments(p, steps=30)
    p.add_argument("--ranks", default="1,2", help="thread / rank counts to compare")
    p.add_argument("--precisions", default="double,single")
    p.add_argument("--json", help="also write the results here")
    return p.parse_args(argv)


def run_eqrnn(a, ranks, precision, workdir):
    out = os.path.join(workdir, f"train_{ranks}_{precision}.h5")
    cmd = [MPIEXEC, "--quiet", "-n", str(ranks), EQRNN, "train", "-n", str(a.n), "-D", str(a.D), "-T", str(a.T),
           "-batch", str(a.batch), "-steps", str(a.steps), "-lr", str(a.lr), "-optimizer", "adam", "-phi", "relu",
           "-precision", precision, "-analysis", "false", "-keep_best", "false", "-quiet", "-output", out]
    proc = subprocess.run(cmd, env=dict(ENV, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"bench_train.py: error: eqrnn failed: {proc.stderr.strip() or proc.stdout.strip()}")
    with h5py.File(out, "r") as f:
        g = f["training"]
        return dict(seconds_per_step=float(g.attrs["seconds_per_step"]), first_loss=float(g["loss"][0]),
                    final_loss=float(g["loss"][-1]))


def run_torch_once(a, torch_threads, blas_threads, dtype):
    cmd = [sys.executable, os.path.join(HERE, "train_torch.py"), "-n", str(a.n), "-D", str(a.D), "-T", str(a.T),
           "--batch", str(a.batch), "--steps", str(a.steps), "--lr", str(a.lr), "--threads", str(torch_threads),
           "--dtype", dtype]
    env = dict(ENV, OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS=str(max(torch_threads, blas_threads)))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        why = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
        # Only a missing PyTorch means "not run"; any other failure of the comparison is the benchmark's.
        if "PyTorch is not installed" not in why:
            sys.exit(f"bench_train.py: error: the PyTorch run failed: {why}")
        return None, why
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    r["split"] = f"{torch_threads} torch x {blas_threads} BLAS"
    r["seconds_per_step"] = r["seconds_per_step_mean"]
    return r, None


def run_torch(a, threads, dtype):
    """The faster of the thread splits for this thread count."""
    splits = [(1, 1)] if threads == 1 else [(threads, 1), (1, threads)]
    best, why = None, None
    for t, b in splits:
        r, why = run_torch_once(a, t, b, dtype)
        if r and (best is None or r["seconds_per_step"] < best["seconds_per_step"]):
            best = r
    return best, why


def main(argv=None):
    a = parse(argv)
    ranks = [int(r) for r in a.ranks.split(",")]
    results = []
    print(f"bench_train: n = {a.n}, D = {a.D}, T = {a.T}, batch {a.batch}, Adam lr {a.lr}, ReLU from W = 0, "
          f"{a.steps} steps per run")
    print(f"{'P':>2} {'precision':>9} | {'eqrnn s/step':>12} {'torch s/step':>12} {'torch/eqrnn':>11} | "
          f"{'eqrnn loss':>10} {'torch loss':>10} | torch split")
    with tempfile.TemporaryDirectory() as workdir:
        for p in ranks:
            for precision in a.precisions.split(","):
                mine = run_eqrnn(a, p, precision, workdir)
                theirs, why = run_torch(a, p, "float64" if precision == "double" else "float32")
                row = dict(threads=p, precision=precision, eqrnn=mine, torch=theirs)
                results.append(row)
                if theirs:
                    ratio = theirs["seconds_per_step"] / mine["seconds_per_step"]
                    print(f"{p:>2} {precision:>9} | {mine['seconds_per_step']:12.4g} "
                          f"{theirs['seconds_per_step']:12.4g} {ratio:11.2f} | {mine['final_loss']:10.3e} "
                          f"{theirs['final_loss']:10.3e} | {theirs['split']}")
                else:
                    print(f"{p:>2} {precision:>9} | {mine['seconds_per_step']:12.4g} {'-':>12} {'-':>11} | "
                          f"{mine['final_loss']:10.3e} {'-':>10} | PyTorch not run: {why}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
