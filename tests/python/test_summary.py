"""postprocess/summary.py: what it reports matches the files' contents; bad files give one error line."""

import h5py
import numpy as np
import pytest

from conftest import REQUEUE, eqrnn, run_script

pytestmark = pytest.mark.slow  # every test takes 1 s or more (it writes its eqrnn files first)


def summary(*args):
    return run_script("summary.py", *args)


def test_simulate_and_reduce_files(tmp_path):
    sim = tmp_path / "ring.h5"
    eqrnn("simulate", "-group", "Z32", "-J1", 3, "-t_final", 2, "-save_interval", 0.5, "-quiet", "-output", sim)
    red = tmp_path / "s3.h5"
    eqrnn("reduce", "-group", "S3", "-kernel", "irreps", "-kernel_irreps", "rho2", "-kernel_irrep_gains", 4,
          "-input", "none", "-reduce_starts", 50, "-output", red)
    proc = summary(sim, red)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    with h5py.File(sim, "r") as f:
        count = int(f["trajectory"].attrs["count"])
        norm = np.linalg.norm(f["final/x"][()])
    assert count == 5  # t = 0, 0.5, 1, 1.5, 2
    assert f"trajectory: {count} samples, t = 0 … 2" in out
    assert f"|x| = {norm:.6g}" in out
    assert "group Z32, N = 32 neurons" in out and "written by eqrnn simulate" in out
    with h5py.File(red, "r") as f:
        r = f["reduced"]
        orbits = len([k for k in r if k.startswith("fp_")])
        families = int(r.attrs["families"])
    assert f"R = 4, {orbits} orbit(s) in {families} family(ies)" in out
    assert f"verified on the full network: {orbits} of {orbits}" in out
    assert out.count("    family ") == families


def test_restarts_are_reported(tmp_path):
    out = tmp_path / "r.h5"
    args = ["simulate", "-group", "Z32", "-J1", 3, "-t_final", 4, "-save_interval", 0.5, "-checkpoint_interval", 1,
            "-quiet", "-output", out]
    assert eqrnn(*args, "-stop_after_checkpoints", 2, check=False).returncode == REQUEUE
    eqrnn(*args, "-restart", "auto")
    proc = summary(out)
    assert proc.returncode == 0 and "resumed 1 time(s) from checkpoints, at t = 2" in proc.stdout, proc.stdout


def test_checkpoints_and_unresumed_runs(tmp_path):
    out = tmp_path / "c.h5"
    args = ["simulate", "-group", "Z32", "-J1", 3, "-t_final", 4, "-save_interval", 0.5, "-checkpoint_interval", 1,
            "-quiet", "-output", out]
    assert eqrnn(*args, "-stop_after_checkpoints", 3, check=False).returncode == REQUEUE
    proc = summary(str(out) + ".ckpt.h5", str(out) + ".ckpt.prev.h5")
    assert proc.returncode == 0, proc.stderr
    # checkpoints at t = 1, 2, 3 (the newest two kept); samples every 0.5 from t = 0: 7 at t = 3, 5 at t = 2
    assert "eqrnn checkpoint (simulation at t = 3.0, step" in proc.stdout and "7 output samples" in proc.stdout
    assert "eqrnn checkpoint (simulation at t = 2.0, step" in proc.stdout and "5 output samples" in proc.stdout
    with h5py.File(str(out) + ".ckpt.h5", "r") as f:
        assert f"git {f.attrs['git_commit']}" in proc.stdout and "rank(s) on ?" not in proc.stdout
    eqrnn(*args, "-restart", "auto")
    fresh = tmp_path / "fresh.h5"
    eqrnn("simulate", "-group", "Z8", "-t_final", 0.5, "-quiet", "-output", fresh)
    with h5py.File(fresh, "r") as f:
        assert int(f.attrs["restarts"]) == 0 # recorded from the start
    assert "from checkpoints" not in summary(fresh).stdout


def test_bad_files_one_line_each_and_the_rest_still_summarised(tmp_path):
    good = tmp_path / "good.h5"
    eqrnn("simulate", "-group", "Z8", "-t_final", 0.5, "-quiet", "-output", good)
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.zeros(3)
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[:600])
    proc = summary(tmp_path / "missing.h5", text, foreign, truncated, good)
    assert proc.returncode == 2
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 4 and all(e.startswith("summary.py: error: ") for e in errors), proc.stderr
    assert "Traceback" not in proc.stderr
    assert "written by eqrnn simulate" in proc.stdout  # the good file after the bad ones


def test_training_files(tmp_path):
    out = tmp_path / "t.h5"
    args = ["train", "-n", 20, "-D", 2, "-phi", "relu", "-optimizer", "sgd", "-lr", 1, "-steps", 50, "-batch", 32,
            "-test_samples", 16, "-quiet"]
    eqrnn(*args, "-output", out)
    diverged = tmp_path / "d.h5"
    assert eqrnn(*args, "-phi", "linear", "-lr", 1e6, "-output", diverged, check=False).returncode == 1
    proc = summary(out, diverged)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    with h5py.File(out, "r") as f:
        steps = int(f["training"].attrs["steps"])
        loss = f["training/loss"][()]
        rel = f["analysis/test_relative_error"][()]
        r = float(f["analysis/manifold_residual"][()])
        lead = f["analysis/eigenvalues_real"][0] + 1j * f["analysis/eigenvalues_imag"][0]
    assert f"{out}: written by eqrnn train" in text and "n = 20, D = 2, phi relu" in text
    assert f"50 steps, loss first {loss[0]:.4g}, best {loss.min():.4g} at step {np.argmin(loss)}" in text
    assert f"final {loss[-1]:.4g}" in text and steps == 50
    assert f"relative error {rel[0]:.3g}, {rel[1]:.3g}" in text and f"r = {r:.3g}" in text
    assert f"leading eigenvalues of W: {lead.real:.4g}" in text
    assert f"{diverged}: written by eqrnn train" in text and "DIVERGED" in text and "no /analysis (training diverged)" in text
    assert text.count("DIVERGED") == 1
