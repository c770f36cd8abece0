"""Tests of postprocess/plot_activity.py on real eqrnn output.

The script is run as a subprocess, as users run it (conftest.run_script).  Input files
come from the eqrnn binary (EQRNN_BIN, default build/eqrnn) so that the tests follow the
real file layout, not a hand-made imitation.

    /usr/bin/python3 -m pytest -q tests/python/test_postprocess.py
"""

import h5py
import numpy as np
import pytest

from conftest import assert_plot_ok, assert_script_error, eqrnn_output, run_script

SCRIPT = "plot_activity.py"

# Short runs: enough samples for a heatmap and snapshots, fast enough for every test run.
SIM_OPTIONS = ["-J1", "3", "-t_final", "5", "-save_interval", "0.5"]


def simulate(out, group, ranks=1):
    return eqrnn_output(out, "simulate", "-group", group, *SIM_OPTIONS, ranks=ranks, cwd=out.parent)


@pytest.fixture(scope="module")
def h5files(tmp_path_factory):
    """Real eqrnn output: a ring, a torus (2 MPI ranks) and a 3-factor group (2 ranks)."""
    tmp = tmp_path_factory.mktemp("eqrnn_runs")
    return {
        "ring": simulate(tmp / "ring.h5", "Z64"),
        "torus": simulate(tmp / "torus.h5", "Z16xZ12", ranks=2),
        "three": simulate(tmp / "three.h5", "Z6xZ5xZ4", ranks=2),
    }


def plot(*args):
    return run_script(SCRIPT, *args)


def assert_error(run):
    """The script's one-line error (conftest.assert_script_error)."""
    assert_script_error(run, SCRIPT)


# ----------------------------------------------------------------------------- figures


def test_eqrnn_files_have_the_expected_layout(h5files):
    # guards the assumptions the script relies on, so a layout change fails here first
    for name, n in (("ring", 64), ("torus", 16 * 12), ("three", 6 * 5 * 4)):
        with h5py.File(h5files[name], "r") as h5:
            assert int(h5.attrs["N"]) == n
            t, x = h5["trajectory/t"][()], h5["trajectory/x"][()]
            assert x.shape == (len(t), n) and len(t) > 4
            assert h5["final/x"].shape == (n,)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ring", "torus", "three"])
def test_plot_writes_png(h5files, outdir, name):
    out = outdir / f"{name}.png"
    assert_plot_ok(plot(h5files[name], "-o", out), out)


def test_title_option(h5files, outdir):
    out = outdir / "titled.png"
    assert_plot_ok(plot(h5files["ring"], "-o", out, "--title", "bump formation"), out)


@pytest.mark.slow
def test_times_selects_snapshots(h5files, outdir):
    default, picked = outdir / "default.png", outdir / "picked.png"
    wide = assert_plot_ok(plot(h5files["torus"], "-o", default), default)
    # 2 requested times (3.1 is nearest the 3.0 sample) against the 4 default snapshots
    narrow = assert_plot_ok(plot(h5files["torus"], "-o", picked, "--times", "0,3.1"), picked)
    assert narrow.shape[1] < 0.75 * wide.shape[1], "--times 0,3.1 should give fewer panels"


@pytest.mark.slow
def test_times_on_ring_adds_profiles(h5files, outdir):
    default, picked = outdir / "ring_default.png", outdir / "ring_times.png"
    assert_plot_ok(plot(h5files["ring"], "-o", default), default)
    assert_plot_ok(plot(h5files["ring"], "-o", picked, "--times", "1,2.5"), picked)
    assert default.read_bytes() != picked.read_bytes()


# ----------------------------------------------------------------------------- errors


def test_missing_file(outdir):
    assert_error(plot(outdir / "nonexistent.h5", "-o", outdir / "x.png"))


def test_text_file_named_h5(outdir):
    fake = outdir / "fake.h5"
    fake.write_text("not an HDF5 file\n")
    assert_error(plot(fake, "-o", outdir / "x.png"))


def test_file_without_trajectory(outdir):
    bare = outdir / "bare.h5"
    with h5py.File(bare, "w") as h5:
        h5.attrs["group"], h5.attrs["N"] = "Z8", 8
        h5["final/x"] = np.zeros(8)
    run = plot(bare, "-o", outdir / "x.png")
    assert_error(run)
    assert "/trajectory" in run.stderr


def test_shape_mismatch(outdir):
    wrong = outdir / "wrong.h5"
    with h5py.File(wrong, "w") as h5:
        h5.attrs["group"], h5.attrs["N"] = "Z8", 8
        h5["trajectory/t"] = np.arange(3.0)
        h5["trajectory/x"] = np.zeros((3, 7))
    assert_error(plot(wrong, "-o", outdir / "x.png"))


def test_missing_output_directory(h5files, outdir):
    out = outdir / "no" / "such" / "dir" / "x.png"
    assert_error(plot(h5files["ring"], "-o", out))
    assert not out.exists()
