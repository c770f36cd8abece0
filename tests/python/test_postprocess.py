"""Tests of postprocess/plot_activity.py on real eqrnn output.

The script is run as a subprocess, as users run it, with the Debian interpreter that has
h5py and matplotlib.  Input files come from the eqrnn binary (EQRNN_BIN, default
build/eqrnn) so that the tests follow the real file layout, not a hand-made imitation.

    /usr/bin/python3 -m pytest -q tests/python/test_postprocess.py
"""

import os
import shlex
import subprocess
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "postprocess" / "plot_activity.py"
PYTHON = "/usr/bin/python3"  # the interpreter with h5py/matplotlib, not the one on PATH
EQRNN = os.environ.get("EQRNN_BIN", str(REPO / "build" / "eqrnn"))
MPIEXEC = shlex.split(os.environ.get("MPIEXEC", "mpirun"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ERROR_PREFIX = "plot_activity.py: error:"

# Short runs: enough samples for a heatmap and snapshots, fast enough for every test run.
SIM_OPTIONS = ["-J1", "3", "-t_final", "5", "-save_interval", "0.5", "-quiet"]


def mpi_env():
    # containers often run as root, which Open MPI refuses unless told otherwise
    return dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def simulate(out, group, ranks=1):
    command = [EQRNN, "simulate", "-group", group, *SIM_OPTIONS, "-output", str(out)]
    if ranks > 1:
        command = [*MPIEXEC, "-n", str(ranks), "--oversubscribe", *command]
    run = subprocess.run(command, env=mpi_env(), cwd=out.parent, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"{shlex.join(command)} failed:\n{run.stdout}\n{run.stderr}"
    assert out.is_file(), f"eqrnn did not write {out}"
    return out


@pytest.fixture(scope="module")
def h5files(tmp_path_factory):
    """Real eqrnn output: a ring, a torus (2 MPI ranks) and a 3-factor group (2 ranks)."""
    if not os.access(EQRNN, os.X_OK):
        # fail rather than skip: a suite that silently skips proves nothing
        pytest.fail(f"eqrnn binary not found at {EQRNN}; build it or set EQRNN_BIN")
    tmp = tmp_path_factory.mktemp("eqrnn_runs")
    return {
        "ring": simulate(tmp / "ring.h5", "Z64"),
        "torus": simulate(tmp / "torus.h5", "Z16xZ12", ranks=2),
        "three": simulate(tmp / "three.h5", "Z6xZ5xZ4", ranks=2),
    }


@pytest.fixture
def outdir(tmp_path_factory):
    return tmp_path_factory.mktemp("figures")


def plot(*args):
    return subprocess.run([PYTHON, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=300)


def assert_png(path):
    """A real, non-blank PNG image of plausible size; returns the decoded pixels."""
    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_MAGIC, f"{path} is not a PNG"
    image = matplotlib.image.imread(str(path))
    height, width = image.shape[:2]
    assert height > 100 and width > 100, f"implausible image size {width}x{height}"
    # a heatmap/snapshot figure has many colours; a blank or failed one is uniform
    assert np.std(image[..., :3]) > 0.05, "image looks blank"
    return image


def assert_plot_ok(run, out):
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(out), "the written path should be printed"
    assert "Traceback" not in run.stderr
    return assert_png(out)


def assert_one_line_error(run):
    assert run.returncode == 2, f"exit {run.returncode}, stderr: {run.stderr}"
    lines = run.stderr.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got:\n{run.stderr}"
    assert lines[0].startswith(ERROR_PREFIX), lines[0]


# ----------------------------------------------------------------------------- figures


def test_eqrnn_files_have_the_expected_layout(h5files):
    # guards the assumptions the script relies on, so a layout change fails here first
    for name, n in (("ring", 64), ("torus", 16 * 12), ("three", 6 * 5 * 4)):
        with h5py.File(h5files[name], "r") as h5:
            assert int(h5.attrs["N"]) == n
            t, x = h5["trajectory/t"][()], h5["trajectory/x"][()]
            assert x.shape == (len(t), n) and len(t) > 4
            assert h5["final/x"].shape == (n,)


@pytest.mark.parametrize("name", ["ring", "torus", "three"])
def test_plot_writes_png(h5files, outdir, name):
    out = outdir / f"{name}.png"
    assert_plot_ok(plot(h5files[name], "-o", out), out)


def test_title_option(h5files, outdir):
    out = outdir / "titled.png"
    assert_plot_ok(plot(h5files["ring"], "-o", out, "--title", "bump formation"), out)


def test_times_selects_snapshots(h5files, outdir):
    default, picked = outdir / "default.png", outdir / "picked.png"
    wide = assert_plot_ok(plot(h5files["torus"], "-o", default), default)
    # 2 requested times (3.1 is nearest the 3.0 sample) against the 4 default snapshots
    narrow = assert_plot_ok(plot(h5files["torus"], "-o", picked, "--times", "0,3.1"), picked)
    assert narrow.shape[1] < 0.75 * wide.shape[1], "--times 0,3.1 should give fewer panels"


def test_times_on_ring_adds_profiles(h5files, outdir):
    default, picked = outdir / "ring_default.png", outdir / "ring_times.png"
    assert_plot_ok(plot(h5files["ring"], "-o", default), default)
    assert_plot_ok(plot(h5files["ring"], "-o", picked, "--times", "1,2.5"), picked)
    assert default.read_bytes() != picked.read_bytes()


# ----------------------------------------------------------------------------- errors


def test_missing_file(outdir):
    assert_one_line_error(plot(outdir / "nonexistent.h5", "-o", outdir / "x.png"))


def test_text_file_named_h5(outdir):
    fake = outdir / "fake.h5"
    fake.write_text("not an HDF5 file\n")
    assert_one_line_error(plot(fake, "-o", outdir / "x.png"))


def test_file_without_trajectory(outdir):
    bare = outdir / "bare.h5"
    with h5py.File(bare, "w") as h5:
        h5.attrs["group"], h5.attrs["N"] = "Z8", 8
        h5["final/x"] = np.zeros(8)
    run = plot(bare, "-o", outdir / "x.png")
    assert_one_line_error(run)
    assert "/trajectory" in run.stderr


def test_shape_mismatch(outdir):
    wrong = outdir / "wrong.h5"
    with h5py.File(wrong, "w") as h5:
        h5.attrs["group"], h5.attrs["N"] = "Z8", 8
        h5["trajectory/t"] = np.arange(3.0)
        h5["trajectory/x"] = np.zeros((3, 7))
    assert_one_line_error(plot(wrong, "-o", outdir / "x.png"))


def test_missing_output_directory(h5files, outdir):
    out = outdir / "no" / "such" / "dir" / "x.png"
    assert_one_line_error(plot(h5files["ring"], "-o", out))
    assert not out.exists()
