"""postprocess/sweep.py on a real sweep: the pitchfork of the ring network across J1 = 2.

Z64, cosine kernel w = J1 cos(theta), tanh, no input.  J maps cos/sin(theta) to (J1/2) cos/sin(theta) and kills
every other Fourier mode, so
  - x = 0 has the Jacobian -I + J: eigenvalue J1/2 - 1 (twice) and -1; stable for J1 < 2, a saddle with two
    unstable directions above;
  - every other fixed point is x = A cos(theta - phi) with A = J1 <cos(t) tanh(A cos(t))>_t over the 64 lattice
    angles (for any phi: the lattice average of a smooth periodic function of theta - phi depends on phi only
    through harmonics of order 64, here below 1e-13), which has a root A > 0 only for J1 > 2.  The bump's rms
    is A/sqrt(2) exactly (<cos^2> = 1/2 on the lattice), its maximum lies between A cos(pi/64) (half-way
    between sites) and A (on a site), and it is stable with one marginal direction, the ring of translates.
The sweep is run like a job array: task k writes task_<k>.h5, and a grid file lists J1 per task.
"""

import csv
import re
import shutil

import h5py
import numpy as np
import pytest
from scipy.optimize import brentq

from conftest import assert_png, assert_script_error, eqrnn, run_script

pytestmark = pytest.mark.slow  # every test needs the sweep's five censuses (3.4 s) or runs its own, 1.5 s or more

N = 64
GAINS = [1.5, 1.9, 2.2, 2.6, 3.0]  # J1 on both sides of the bifurcation at J1 = 2
THETA = 2 * np.pi * np.arange(N) / N
REL = 1e-6


def sweep(*args):
    return run_script("sweep.py", *args)


def assert_sweep_error(proc, fragment=""):
    """sweep.py's one-line error (conftest.assert_script_error); returns the line."""
    return assert_script_error(proc, "sweep.py", fragment)


def bump_amplitude(j1):
    """The root A > 0 of A = J1 <cos t tanh(A cos t)> (bracketed: the right side is below J1 for every A)."""
    return brentq(lambda a: a - j1 * np.mean(np.cos(THETA) * np.tanh(a * np.cos(THETA))), 1e-6, j1,
                  xtol=1e-14, rtol=1e-14)


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    for k, j1 in enumerate(GAINS):
        eqrnn("fixedpoints", "-group", f"Z{N}", "-J1", j1, "-fp_stability", "-quiet", "-output", out / f"task_{k}.h5")
    (out / "grid.txt").write_text("# ring pitchfork\n\nJ1\n" + "".join(f"{j1}\n" for j1 in GAINS))
    return out


@pytest.fixture(scope="module")
def table(sweep_dir):
    proc = sweep(sweep_dir, "--grid", sweep_dir / "grid.txt", "--observable", "amplitude")
    assert proc.returncode == 0, proc.stderr
    assert_png(sweep_dir / "sweep.png")  # default: next to the input
    return read_csv(sweep_dir / "sweep.csv")


def test_one_row_per_fixed_point_with_the_grid_values(sweep_dir, table):
    total = 0
    for k, j1 in enumerate(GAINS):
        rows = [r for r in table if r["task"] == str(k)]
        with h5py.File(sweep_dir / f"task_{k}.h5", "r") as f:
            count = int(f["fixed_points"].attrs["count"])
        assert len(rows) == count and count >= 1
        assert [int(r["fp"]) for r in rows] == list(range(count))
        assert all(float(r["J1"]) == j1 and r["file"].endswith(f"task_{k}.h5") for r in rows)
        total += count
    assert len(table) == total  # no rows from anything else in the folder


def test_below_the_bifurcation_only_the_stable_zero_state(table):
    for j1 in (g for g in GAINS if g < 2):
        rows = [r for r in table if float(r["J1"]) == j1]
        assert len(rows) == 1, rows
        zero = rows[0]
        assert float(zero["max_abs"]) == 0 and zero["classification"] == "stable"
        assert int(zero["n_unstable"]) == 0 and int(zero["orbit_size"]) == 1 and int(zero["stabiliser_order"]) == N
        assert float(zero["leading_re"]) == pytest.approx(j1 / 2 - 1, abs=1e-9)


def test_above_the_bifurcation_saddle_at_zero_and_a_stable_bump_ring(table):
    for j1 in (g for g in GAINS if g > 2):
        rows = [r for r in table if float(r["J1"]) == j1]
        zeros = [r for r in rows if float(r["max_abs"]) == 0]
        assert len(zeros) == 1
        assert zeros[0]["classification"] == "saddle" and int(zeros[0]["n_unstable"]) == 2
        assert float(zeros[0]["leading_re"]) == pytest.approx(j1 / 2 - 1, abs=1e-9)
        bumps = [r for r in rows if r is not zeros[0]]
        assert bumps, f"no bump at J1 = {j1}"
        a = bump_amplitude(j1)
        for r in bumps:  # on a site, between sites or anywhere Newton stopped on the ring: the same A
            assert r["classification"] == "stable" and int(r["n_unstable"]) == 0 and int(r["n_marginal"]) == 1
            assert int(r["stabiliser_order"]) == 1 and int(r["orbit_size"]) == N
            assert float(r["rms"]) == pytest.approx(a / np.sqrt(2), rel=REL)
            assert float(r["amplitude"]) == pytest.approx(a, rel=REL)
            assert a * np.cos(np.pi / N) * (1 - REL) <= float(r["max_abs"]) <= a * (1 + REL)


def test_swept_parameter_found_without_grid(sweep_dir, tmp_path):
    # 'output' differs in every file but is not a parameter of the model
    proc = sweep(sweep_dir, "--csv", tmp_path / "t.csv", "-o", tmp_path / "t.png")
    assert proc.returncode == 0, proc.stderr
    rows = read_csv(tmp_path / "t.csv")
    assert list(rows[0])[:3] == ["task", "file", "J1"] and "output" not in rows[0]
    assert sorted({float(r["J1"]) for r in rows}) == GAINS
    assert_png(tmp_path / "t.png")


def test_grid_with_a_missing_task_names_it(sweep_dir, tmp_path):
    for k in (0, 1, 3, 4):
        shutil.copy(sweep_dir / f"task_{k}.h5", tmp_path)
    line = assert_sweep_error(sweep(tmp_path, "--grid", sweep_dir / "grid.txt"))
    assert re.findall(r"\d+", line.rsplit(":", 1)[1]) == ["2"], line
    assert not (tmp_path / "sweep.csv").exists()


def test_grid_that_disagrees_with_the_files(sweep_dir, tmp_path):
    grid = tmp_path / "grid.txt"
    grid.write_text("J1\n" + "".join(f"{j1 + 0.1}\n" for j1 in GAINS))
    assert_sweep_error(sweep(sweep_dir, "--grid", grid, "--csv", tmp_path / "t.csv", "-o", tmp_path / "t.png"),
                          "J1")


def test_simulations_one_row_per_file(tmp_path):
    # From small noise the ring decays to 0 below J1 = 2 and settles on the bump of amplitude A above.
    for k, j1 in enumerate((1.5, 3.0)):
        eqrnn("simulate", "-group", f"Z{N}", "-J1", j1, "-t_final", 40, "-save_interval", 10, "-quiet",
              "-output", tmp_path / f"task_{k}.h5")
    proc = sweep(tmp_path, "--observable", "max")
    assert proc.returncode == 0, proc.stderr
    rows = read_csv(tmp_path / "sweep.csv")
    assert [(r["task"], float(r["J1"]), int(r["samples"]), float(r["t_reached"]), int(r["restarts"]))
            for r in rows] == [("0", 1.5, 5, 40.0, 0), ("1", 3.0, 5, 40.0, 0)]
    assert float(rows[0]["rms"]) < 1e-3
    assert float(rows[1]["rms"]) == pytest.approx(bump_amplitude(3.0) / np.sqrt(2), rel=1e-4)
    assert_png(tmp_path / "sweep.png")


def test_training_sweep_over_steps(tmp_path):
    """Batches are keyed by step, so a run of S steps is the first S steps of a longer one (same seed and lr):
    the shorter run's final loss is the longer run's loss at step S - 1, bit for bit, and the best loss can
    only go down as the run gets longer."""
    steps = (50, 150, 400)
    for k, s in enumerate(steps):
        eqrnn("train", "-n", 20, "-D", 1, "-phi", "linear", "-optimizer", "sgd", "-lr", 0.5, "-batch", 64,
              "-seed", 11, "-steps", s, "-test_samples", 16, "-quiet", "-output", tmp_path / f"task_{k}.h5")
    proc = sweep(tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = read_csv(tmp_path / "sweep.csv")
    assert [int(r["steps"]) for r in rows] == list(steps) and [int(r["steps_done"]) for r in rows] == list(steps)
    with h5py.File(tmp_path / "task_2.h5", "r") as f:
        loss = f["training/loss"][()]
    for r, s in zip(rows, steps):
        assert float(r["final_loss"]) == loss[s - 1]  # repr in the CSV: exact
        assert float(r["best_loss"]) == loss[:s].min()
        assert int(r["diverged"]) == 0 and int(r["restarts"]) == 0 and 0 <= float(r["manifold_residual"]) < 1
    best = [float(r["best_loss"]) for r in rows]
    assert best == sorted(best, reverse=True)
    assert_png(tmp_path / "sweep.png")
    assert_sweep_error(sweep(tmp_path, "--observable", "rms"), "does not apply to train outputs")


@pytest.fixture
def bad_inputs(sweep_dir, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "text.h5").write_text("not HDF5\n")
    with h5py.File(tmp_path / "foreign.h5", "w") as f:
        f["x"] = np.zeros(3)
    eqrnn("simulate", "-group", f"Z{N}", "-t_final", 0.5, "-quiet", "-output", tmp_path / "sim.h5")
    return sweep_dir, tmp_path


BAD = {
    "missing file": (lambda d, t: [t / "missing.h5"], "missing.h5"),
    "directory without task files": (lambda d, t: [t / "empty"], "empty"),
    "not HDF5": (lambda d, t: [t / "text.h5"], "text.h5"),
    "not eqrnn": (lambda d, t: [t / "foreign.h5"], "foreign.h5"),
    "nothing varies": (lambda d, t: [d / "task_0.h5"], "--param"),
    "unknown --param": (lambda d, t: [d, "--param", "J9"], "J9"),
    "mixed kinds": (lambda d, t: [d, t / "sim.h5"], "sim.h5"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_is_one_line_error(bad_inputs, case):
    sweep_dir, tmp = bad_inputs
    args, fragment = BAD[case]
    proc = sweep(*args(sweep_dir, tmp), "--csv", tmp / "bad.csv", "-o", tmp / "bad.png")
    assert_sweep_error(proc, fragment)
    assert "Traceback" not in proc.stderr and not (tmp / "bad.csv").exists()
