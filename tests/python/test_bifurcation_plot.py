"""Tests of postprocess/plot_bifurcation.py, the figure of eqrnn continue, on real and on hand-built files.

The script is run as a subprocess, as users run it (conftest.run_script).  The tests on real output run
`eqrnn continue` (the ring Z32 through its pitchfork at J1 = 2, docs/mathematics.md sections 8.1 and 8.2) and
are skipped while the binary has no such command (`eqrnn continue -help` fails).  Independently of the binary,
a small file written here with h5py in the layout eqrnn continue writes covers the figure's layout handling
(folds, Hopf points, a branch without eigenvalues, no bifurcation points) and its one-line errors.

    /usr/bin/python3 -m pytest -q tests/python/test_bifurcation_plot.py
"""

import re

import h5py
import numpy as np
import pytest

from conftest import assert_png, assert_script_error, eqrnn, eqrnn_output, run_script

SCRIPT = "plot_bifurcation.py"
MIN_SIDE = 200  # pixels: the two-panel figure is larger
# eqrnn continue on the ring: x = 0 from J1 = 1.5, its pitchfork at J1 = 2 and the bump branch up to J1 = 3.  The
# options may change with the command: they are only here.
CONTINUE_GROUP_ORDER = 32
CONTINUE_OPTIONS = ["-group", f"Z{CONTINUE_GROUP_ORDER}", "-J1", "1.5", "-cont_parameter", "J1", "-cont_min", "1.5",
                    "-cont_max", "3"]
SLOW_FIXTURES = {"continuation"}  # a continuation run: its tests are slow (conftest)
BIFURCATION_TYPES = {"fold", "branch", "hopf"}


def plot(*args):
    return run_script(SCRIPT, *args)


def assert_figure(run, out):
    """Success: status 0, the tables and then the written path on stdout, a real figure there; returns the
    pixels."""
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout.splitlines()[-1] == str(out), "the written path should be the last line"
    assert out.stat().st_size > 1000
    return assert_png(out, MIN_SIDE)


def assert_error(run, fragment=""):
    return assert_script_error(run, SCRIPT, fragment)


def tables(stdout):
    """The rows of the two stdout tables: {branch index: line}, {bifurcation row: line}."""
    branches, points, section = {}, {}, None
    for line in stdout.splitlines():
        head = line.split(maxsplit=1)[0] if line.strip() else ""
        if head in ("branch", "bif"):
            section = head
        elif re.fullmatch(r"\d+", head) and section:
            (branches if section == "branch" else points)[int(head)] = line
        else:
            section = None
    return branches, points


def assert_tables_list(stdout, branches, points):
    """Every branch with its point count and stabiliser, every bifurcation point with its type, branch and
    parameter (as the table prints it, %.6g)."""
    branch_rows, point_rows = tables(stdout)
    assert sorted(branch_rows) == [b["index"] for b in branches], stdout
    for b in branches:
        row = branch_rows[b["index"]]
        assert row.split()[1] == str(b["points"]), row
        assert row.endswith(f"  {b['stabiliser']}"), row
    assert sorted(point_rows) == list(range(len(points))), stdout
    for k, q in enumerate(points):
        fields = point_rows[k].split()
        assert fields[1] == q["type"] and int(fields[2]) == q["branch"], point_rows[k]
        assert float(fields[3]) == pytest.approx(q["parameter"], rel=1e-5), point_rows[k]


def coloured_pixels(image):
    """Pixels that are neither white, black nor grey: the branches, eigenvalue lines and markers."""
    return int(np.count_nonzero(image.max(axis=-1) - image.min(axis=-1) > 0.2))


# ----------------------------------------------------------------------------- a file in eqrnn continue's layout

N = 8  # the ring Z8
J1 = np.linspace(1.5, 3.0, 16)  # branch 0, x = 0
J1_BUMP = np.linspace(2.0, 3.0, 12)  # branch 1, the bump from the pitchfork at J1 = 2
ARC = np.linspace(0.0, 1.0, 20)  # branch 2, with a fold at J1 = 2.4 and a Hopf point at J1 = 2.7
NEV = 5  # eigenvalue columns, the last one NaN padding


def bump_amplitude(j1, n):
    """A of the bump x = A cos(theta) on Z_n: A = J1 <cos u tanh(A cos u)> over the lattice (docs/mathematics.md,
    section 8.2), by bisection; 0 for J1 <= 2."""
    u = 2 * np.pi * np.arange(n) / n
    lo, hi = 1e-12, 10.0
    if j1 * np.mean(np.cos(u) * np.tanh(lo * np.cos(u))) <= lo:
        return 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if j1 * np.mean(np.cos(u) * np.tanh(mid * np.cos(u))) > mid else (lo, mid)
    return 0.5 * (lo + hi)


def unstable(real):
    """n_unstable from the eigenvalue columns, NaN padding counting as none."""
    return np.count_nonzero(np.nan_to_num(real, nan=-1.0) > 1e-12, axis=1)


def synthetic_branches():
    """Three branches as dicts of datasets and attributes: x = 0, the bump born from it, and a folded branch
    from a start file with a complex pair crossing Re = 0 (the Hopf point) and a real eigenvalue crossing at the
    fold."""
    one, pad = np.ones_like(J1), np.full_like(J1, np.nan)
    trivial_re = np.stack([-1 + J1 / 2, -1 + J1 / 2, -one, -one, pad], axis=1)
    amplitude = np.array([bump_amplitude(j, N) for j in J1_BUMP])
    one, pad = np.ones_like(J1_BUMP), np.full_like(J1_BUMP, np.nan)
    bump_re = np.stack([0 * one, -0.5 * amplitude, -one, -one, pad], axis=1)
    fold_parameter = 2.4 + 2.4 * (ARC - 0.5) ** 2  # from 3.0 back to 2.4 and on to 3.0
    one = np.ones_like(ARC)
    fold_re = np.stack([0.3 - ARC, 0.3 - ARC, 0.5 - ARC, -one, -2 * one], axis=1)
    fold_im = np.zeros_like(fold_re)
    fold_im[:, 0], fold_im[:, 1] = 0.4, -0.4  # the complex pair, crossing Re = 0 at ARC = 0.3
    return [
        dict(parameter=J1, amplitude=0 * J1, mean=0 * J1, fourier_amplitude=np.zeros((len(J1), 1)),
             n_unstable=unstable(trivial_re), n_marginal=np.where(np.isclose(J1, 2), 2, 0),
             eigenvalues_re=trivial_re, eigenvalues_im=np.zeros_like(trivial_re), iterations=np.full(len(J1), 2),
             attrs=dict(stabiliser="G (Z8)", stabiliser_order=8, orbit_size=1, isotropy="Z8", isotropy_order=8,
                        parent=-1, born_at=-1, start="trivial", end_reason="max_parameter", points=len(J1))),
        dict(parameter=J1_BUMP, amplitude=amplitude * np.sqrt(N / 2), mean=0 * J1_BUMP,
             fourier_amplitude=amplitude[:, None], n_unstable=unstable(bump_re), n_marginal=np.ones(len(J1_BUMP), dtype=np.int64),
             eigenvalues_re=bump_re, eigenvalues_im=np.zeros_like(bump_re), iterations=np.full(len(J1_BUMP), 3),
             attrs=dict(stabiliser="{e}", stabiliser_order=1, orbit_size=N, isotropy="1", isotropy_order=1,
                        parent=0, born_at=0, start="pitchfork", end_reason="max_parameter", points=len(J1_BUMP))),
        dict(parameter=fold_parameter, amplitude=1 + ARC, mean=0.2 * ARC, fourier_amplitude=0.5 * (1 + ARC)[:, None],
             n_unstable=unstable(fold_re), n_marginal=np.zeros(len(ARC), dtype=np.int64), eigenvalues_re=fold_re,
             eigenvalues_im=fold_im, iterations=np.full(len(ARC), 4),
             attrs=dict(stabiliser="Z2 (order 2)", stabiliser_order=2, orbit_size=4, isotropy="Z2", isotropy_order=2,
                        parent=-1, born_at=-1, start="start_file", end_reason="max_parameter", points=len(ARC))),
    ]


SYNTHETIC_POINTS = [  # on the branches above
    dict(type="branch", parameter=2.0, amplitude=0.0, branch=0, multiplicity=2, irrep="chi1", started="1"),
    dict(type="fold", parameter=2.4, amplitude=1.5, branch=2, multiplicity=1, irrep="", started=""),
    dict(type="hopf", parameter=2.4 + 2.4 * 0.2 ** 2, amplitude=1.3, branch=2, multiplicity=2, irrep="chi0",
         started=""),
]


def write_continuation(path, branches=None, points=SYNTHETIC_POINTS, bifurcations="rows", continuation=True,
                       command="continue"):
    """A file in the layout of eqrnn continue; bifurcations 'rows', 'empty' (zero-length datasets) or 'absent'."""
    branches = synthetic_branches() if branches is None else branches
    with h5py.File(path, "w") as h5:
        h5.attrs.update(dict(group="Z8", N=N, channels=1, state_shape=str(N), restarts=0, command=command,
                             eqrnn_version="0.1.0", finished="2026-01-01T00:00:00Z"))
        h5.create_group("parameters").attrs.update(dict(J1=1.5, phi="tanh", kernel="cosine", cont_parameter="J1"))
        if not continuation:
            return path
        c = h5.create_group("continuation")
        c.attrs.update(dict(parameter="J1", model="full", branch_count=len(branches),
                            bifurcation_count=len(points) if bifurcations == "rows" else 0,
                            not_followed="chi2 at J1 = 2.9 on branch 0: depth 1 reached", depth=1))
        for i, b in enumerate(branches):
            g = c.create_group(f"branch_{i}")
            for name, values in b.items():
                if name != "attrs":
                    g[name] = values
            g.attrs.update(b["attrs"])
        if bifurcations == "absent":
            return path
        rows = points if bifurcations == "rows" else []
        g = c.create_group("bifurcations")
        strings = h5py.string_dtype("utf-8")
        for name, dtype in (("parameter", float), ("amplitude", float), ("branch", np.int64),
                            ("multiplicity", np.int64)):
            g.create_dataset(name, data=np.array([q[name] for q in rows], dtype=dtype))
        for name in ("type", "irrep", "started"):
            g.create_dataset(name, data=[q[name] for q in rows], dtype=strings)
    return path


def listed(branches):
    return [dict(index=i, points=len(b["parameter"]), stabiliser=b["attrs"]["stabiliser"])
            for i, b in enumerate(branches)]


@pytest.fixture
def synthetic(tmp_path):
    return write_continuation(tmp_path / "continuation.h5")


# ----------------------------------------------------------------------------- figures of the hand-built file


def test_figure_and_tables(synthetic, tmp_path):
    out = tmp_path / "fig.png"
    run = plot(synthetic, "-o", out)
    image = assert_figure(run, out)
    assert coloured_pixels(image) > 1000  # the branches, in colour
    assert_tables_list(run.stdout, listed(synthetic_branches()), SYNTHETIC_POINTS)
    # the default eigenvalue panel: the longest branch with a parent (branch 1), not the longest (branch 2)
    assert "eigenvalues shown for branch 1" in run.stdout
    assert "chi2 at J1 = 2.9 on branch 0: depth 1 reached" in run.stdout  # not_followed
    branch_rows, point_rows = tables(run.stdout)
    assert "chi1" in point_rows[0] and point_rows[0].split()[-1] == "1"  # irrep, started
    # the stable points, n_unstable = 0: x = 0 up to J1 = 2, the bump everywhere, the folded branch past its fold
    for i, b in enumerate(synthetic_branches()):
        assert int(branch_rows[i].split()[4]) == np.count_nonzero(b["n_unstable"] == 0) > 0


def test_default_output_is_file_with_png(synthetic):
    out = synthetic.with_suffix(".png")
    assert_figure(plot(synthetic), out)


@pytest.mark.parametrize("y", ["mean", "fourier:0"])
def test_y_quantities(synthetic, tmp_path, y):
    default, chosen = tmp_path / "amplitude.png", tmp_path / "chosen.png"
    assert_figure(plot(synthetic, "-o", default), default)
    assert_figure(plot(synthetic, "-o", chosen, "--y", y), chosen)
    assert default.read_bytes() != chosen.read_bytes()


def test_branch_option(synthetic, tmp_path):
    default, chosen = tmp_path / "default.png", tmp_path / "branch2.png"
    assert_figure(plot(synthetic, "-o", default), default)
    run = plot(synthetic, "-o", chosen, "--branch", "2")
    assert_figure(run, chosen)
    assert "eigenvalues shown for branch 2" in run.stdout
    assert default.read_bytes() != chosen.read_bytes()


def test_first_branch_without_children(tmp_path):
    # no branch with a parent: the eigenvalue panel shows branch 0
    branches = synthetic_branches()
    branches[1]["attrs"].update(parent=-1, born_at=-1, start="start_file")
    path = write_continuation(tmp_path / "orphans.h5", branches)
    run = plot(path, "-o", tmp_path / "fig.png")
    assert_figure(run, tmp_path / "fig.png")
    assert "eigenvalues shown for branch 0" in run.stdout


def test_title_option(synthetic, tmp_path):
    default, titled = tmp_path / "default.png", tmp_path / "titled.png"
    assert_figure(plot(synthetic, "-o", default), default)
    assert_figure(plot(synthetic, "-o", titled, "--title", "ring through its pitchfork"), titled)
    assert default.read_bytes() != titled.read_bytes()


def test_branch_without_eigenvalues(tmp_path):
    branches = synthetic_branches()
    for name in ("eigenvalues_re", "eigenvalues_im"):
        del branches[1][name]
    path = write_continuation(tmp_path / "no_eigenvalues.h5", branches)
    with_eigenvalues = write_continuation(tmp_path / "eigenvalues.h5")
    images = {}
    for name, source in (("without", path), ("with", with_eigenvalues)):
        out = tmp_path / f"{name}.png"
        run = plot(source, "-o", out)  # the default panel shows branch 1
        images[name] = assert_figure(run, out)
        assert_tables_list(run.stdout, listed(branches), SYNTHETIC_POINTS)
        row = tables(run.stdout)[0][1]
        assert (row.split()[5] == "-") == (name == "without"), row  # the max Re column
    # the right panel's eigenvalue lines are its only colour: none without eigenvalues
    right = slice(int(0.62 * images["with"].shape[1]), None)
    assert coloured_pixels(images["with"][:, right]) > 200
    assert coloured_pixels(images["without"][:, right]) == 0


@pytest.mark.parametrize("layout", ["empty", "absent"])
def test_zero_bifurcations(tmp_path, layout):
    path = write_continuation(tmp_path / f"{layout}.h5", bifurcations=layout)
    out = tmp_path / "fig.png"
    run = plot(path, "-o", out)
    assert_figure(run, out)
    assert_tables_list(run.stdout, listed(synthetic_branches()), [])
    assert "no bifurcation points located" in run.stdout


def test_branch_without_stability(tmp_path):
    # n_unstable absent: drawn dotted, no point counted stable
    branches = synthetic_branches()
    del branches[2]["n_unstable"]
    path = write_continuation(tmp_path / "no_stability.h5", branches)
    run = plot(path, "-o", tmp_path / "fig.png")
    assert_figure(run, tmp_path / "fig.png")
    assert tables(run.stdout)[0][2].split()[4] == "0"


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("branch", ["3", "-1"])
def test_branch_out_of_range(synthetic, tmp_path, branch):
    out = tmp_path / "fig.png"
    assert_error(plot(synthetic, "-o", out, "--branch", branch), f"--branch {branch} is out of range")
    assert not out.exists()


def test_branch_not_a_number(synthetic, tmp_path):
    assert_error(plot(synthetic, "-o", tmp_path / "fig.png", "--branch", "one"), "--branch")


@pytest.mark.parametrize("y", ["norm", "fourier", "fourier:x", "fourier:-1", ""])
def test_bad_y(synthetic, tmp_path, y):
    out = tmp_path / "fig.png"
    assert_error(plot(synthetic, "-o", out, "--y", y), "--y")
    assert not out.exists()


def test_fourier_axis_out_of_range(synthetic, tmp_path):
    out = tmp_path / "fig.png"
    assert_error(plot(synthetic, "-o", out, "--y", "fourier:1"), "axes 0..0")
    assert not out.exists()


def test_fourier_without_amplitudes(tmp_path):
    branches = synthetic_branches()
    for b in branches:
        del b["fourier_amplitude"]  # A = 0: no cyclic axis
    path = write_continuation(tmp_path / "no_fourier.h5", branches)
    assert_error(plot(path, "-o", tmp_path / "fig.png", "--y", "fourier:0"), "no fourier_amplitude")
    assert_figure(plot(path, "-o", tmp_path / "fig.png"), tmp_path / "fig.png")  # the default needs none


def test_missing_continuation(tmp_path):
    path = write_continuation(tmp_path / "empty.h5", continuation=False)
    out = tmp_path / "fig.png"
    assert_error(plot(path, "-o", out), "no /continuation group")
    assert not out.exists()


def test_real_file_of_another_command(tmp_path):
    path = eqrnn_output(tmp_path / "simulation.h5", "simulate", "-group", "Z8", "-t_final", "1", cwd=tmp_path)
    assert_error(plot(path, "-o", tmp_path / "fig.png"), "/continuation")


def test_file_of_another_command(tmp_path):
    path = write_continuation(tmp_path / "census.h5", command="fixedpoints")
    assert_error(plot(path, "-o", tmp_path / "fig.png"), "not eqrnn continue")


def test_missing_file(tmp_path):
    assert_error(plot(tmp_path / "nonexistent.h5", "-o", tmp_path / "fig.png"), "no such file")


def test_text_file_named_h5(tmp_path):
    fake = tmp_path / "fake.h5"
    fake.write_text("not an HDF5 file\n")
    assert_error(plot(fake, "-o", tmp_path / "fig.png"), "not an HDF5 file")


def test_truncated_file(synthetic, tmp_path):
    data = synthetic.read_bytes()
    synthetic.write_bytes(data[:len(data) // 2])
    assert_error(plot(synthetic, "-o", tmp_path / "fig.png"))


def test_missing_branch(synthetic, tmp_path):
    with h5py.File(synthetic, "r+") as h5:
        del h5["continuation/branch_2"]  # branch_count still says 3
    assert_error(plot(synthetic, "-o", tmp_path / "fig.png"), "branch_2 is missing")


def test_no_branches(synthetic, tmp_path):
    with h5py.File(synthetic, "r+") as h5:
        h5["continuation"].attrs["branch_count"] = 0
    assert_error(plot(synthetic, "-o", tmp_path / "fig.png"), "no branches")


def test_dataset_of_wrong_length(synthetic, tmp_path):
    with h5py.File(synthetic, "r+") as h5:
        del h5["continuation/branch_1/amplitude"]
        h5["continuation/branch_1/amplitude"] = np.zeros(5)
    assert_error(plot(synthetic, "-o", tmp_path / "fig.png"), "branch_1/amplitude")


def test_eigenvalue_parts_do_not_match(synthetic, tmp_path):
    with h5py.File(synthetic, "r+") as h5:
        del h5["continuation/branch_0/eigenvalues_im"]
    assert_error(plot(synthetic, "-o", tmp_path / "fig.png"), "eigenvalues_im")


def test_bifurcation_count_mismatch(synthetic, tmp_path):
    with h5py.File(synthetic, "r+") as h5:
        h5["continuation"].attrs["bifurcation_count"] = 4
    assert_error(plot(synthetic, "-o", tmp_path / "fig.png"), "bifurcation_count = 4")


def test_bifurcation_on_no_branch(synthetic, tmp_path):
    with h5py.File(synthetic, "r+") as h5:
        h5["continuation/bifurcations/branch"][1] = 7
    assert_error(plot(synthetic, "-o", tmp_path / "fig.png"), "branch[1] = 7")


def test_missing_output_directory(synthetic, tmp_path):
    out = tmp_path / "no" / "such" / "dir" / "fig.png"
    assert_error(plot(synthetic, "-o", out), "output directory does not exist")
    assert not out.exists()


# ----------------------------------------------------------------------------- real eqrnn continue output


@pytest.fixture(scope="module")
def continuation(tmp_path_factory):
    """eqrnn continue on the ring; skipped while the binary has no such command."""
    helped = eqrnn("continue", "-help", check=False)
    if helped.returncode != 0:
        pytest.skip(f"eqrnn continue is not available ({helped.stderr.strip() or helped.returncode})")
    tmp = tmp_path_factory.mktemp("eqrnn_continue")
    return eqrnn_output(tmp / "ring.h5", "continue", *CONTINUE_OPTIONS, cwd=tmp)


def read_real(path):
    """The branches and bifurcation points of a real file, as the table tests want them."""
    with h5py.File(path, "r") as h5:
        c = h5["continuation"]
        branches = []
        for i in range(int(c.attrs["branch_count"])):
            g = c[f"branch_{i}"]
            branch = {name: g[name][()] for name in g if hasattr(g[name], "shape")}
            branch.update(index=i, points=len(g["parameter"]), attrs=dict(g.attrs))
            branch["stabiliser"] = str(g.attrs["stabiliser"])
            branches.append(branch)
        points = []
        if int(c.attrs["bifurcation_count"]):
            b = c["bifurcations"]
            for k in range(int(c.attrs["bifurcation_count"])):
                points.append(dict(parameter=float(b["parameter"][k]), amplitude=float(b["amplitude"][k]),
                                   branch=int(b["branch"][k]), type=b["type"].asstr()[k],
                                   multiplicity=int(b["multiplicity"][k]), irrep=b["irrep"].asstr()[k],
                                   started=b["started"].asstr()[k]))
        return dict(attrs=dict(c.attrs), root=dict(h5.attrs), branches=branches, points=points)


def test_eqrnn_continue_layout(continuation):
    # guards what the script relies on, so that a layout change fails here first
    data = read_real(continuation)
    assert str(data["root"]["command"]) == "continue"
    assert str(data["attrs"]["parameter"]) == "J1"
    assert str(data["attrs"]["model"]) in ("full", "reduced")
    assert len(data["branches"]) >= 2 and len(data["points"]) >= 1
    for b in data["branches"]:
        p = b["points"]
        assert int(b["attrs"]["points"]) == p
        for name in ("parameter", "amplitude", "mean", "n_unstable", "n_marginal", "iterations"):
            assert b[name].shape == (p,), name
        assert b["eigenvalues_re"].shape == b["eigenvalues_im"].shape and b["eigenvalues_re"].shape[0] == p
        assert b["fourier_amplitude"].shape == (p, 1)  # one cyclic axis
        assert np.all((1.5 - 1e-9 <= b["parameter"]) & (b["parameter"] <= 3 + 1e-9))
        assert str(b["attrs"]["start"]) in ("trivial", "start_file", "pitchfork", "transcritical")
    for q in data["points"]:
        assert q["type"] in BIFURCATION_TYPES
        assert 0 <= q["branch"] < len(data["branches"])


def test_ring_pitchfork(continuation):
    # x = 0 is stable below J1 = 2 and has 2 unstable modes above, its leading eigenvalue is -1 + J1/2; the
    # double eigenvalue crosses at J1 = 2, a branch point that starts the bump branch (mathematics.md 8.1)
    data = read_real(continuation)
    trivials = [b for b in data["branches"] if str(b["attrs"]["start"]) == "trivial"]
    assert len(trivials) == 1
    trivial = trivials[0]
    assert int(trivial["attrs"]["parent"]) == -1
    assert np.max(np.abs(trivial["amplitude"])) < 1e-8
    j1 = trivial["parameter"]
    assert np.all(trivial["n_unstable"][j1 < 1.99] == 0)
    assert np.all(trivial["n_unstable"][j1 > 2.01] == 2)
    np.testing.assert_allclose(trivial["eigenvalues_re"][:, 0], -1 + j1 / 2, atol=1e-6)
    pitchforks = [k for k, q in enumerate(data["points"])
                  if q["type"] == "branch" and q["branch"] == trivial["index"]]
    assert len(pitchforks) == 1
    k = pitchforks[0]
    assert data["points"][k]["parameter"] == pytest.approx(2.0, abs=1e-3)
    started = [int(s) for s in data["points"][k]["started"].split(",") if s.strip()]
    assert started
    for i in started:
        assert int(data["branches"][i]["attrs"]["parent"]) == trivial["index"]
        assert int(data["branches"][i]["attrs"]["born_at"]) == k


def test_ring_bump_branch(continuation):
    # the bump x = A cos(theta - theta0) with A = J1 <cos u tanh(A cos u)>, |x| = A sqrt(N/2), stable with the
    # one marginal mode along the ring (mathematics.md 8.2)
    data = read_real(continuation)
    trivial = next(b["index"] for b in data["branches"] if str(b["attrs"]["start"]) == "trivial")
    children = [b for b in data["branches"] if int(b["attrs"]["parent"]) == trivial]
    assert children
    for b in children:
        j1 = b["parameter"]
        expected = np.array([bump_amplitude(j, CONTINUE_GROUP_ORDER) for j in j1]) * np.sqrt(CONTINUE_GROUP_ORDER / 2)
        far = j1 > 2.05  # clear of the pitchfork, where the amplitude is tiny
        assert far.any()
        np.testing.assert_allclose(b["amplitude"][far], expected[far], rtol=1e-4)
        assert np.all(b["n_unstable"][far] == 0)
        assert np.all(b["n_marginal"][far] == 1)
        np.testing.assert_allclose(b["mean"], 0, atol=1e-8)


def test_plot_real_output(continuation, outdir):
    data = read_real(continuation)
    out = outdir / "ring.png"
    run = plot(continuation, "-o", out)
    assert_figure(run, out)
    assert_tables_list(run.stdout, data["branches"], data["points"])
    longest_child = max((b for b in data["branches"] if int(b["attrs"]["parent"]) != -1), key=lambda b: b["points"])
    assert f"eigenvalues shown for branch {longest_child['index']}" in run.stdout
    for option in (["--y", "mean"], ["--y", "fourier:0"], ["--branch", "0"]):
        chosen = outdir / "chosen.png"
        assert_figure(plot(continuation, "-o", chosen, *option), chosen)
    assert_error(plot(continuation, "-o", outdir / "x.png", "--branch", str(len(data["branches"]))), "--branch")
