"""What the Python tests share: where eqrnn and the sources are, the MPI environment, running eqrnn and the
postprocess scripts, and the checks of their one-line errors and figures.

Test files import the helper functions (`from conftest import eqrnn, ...`) and use the fixtures by name.
EQRNN_BIN (default build/eqrnn), EQRNN_SOURCE_DIR (default this checkout) and MPIEXEC (default mpirun) are what
ctest sets.  Markers (pytest.ini): `slow` for tests of 0.75 s or more in the reference run on 2 shared cores, and
for every test of a module that needs one of its SLOW_FIXTURES (below); `slurm` for the tests that start a real
SLURM.  `-m "not slow and not slurm"` is the fast tier (with the unit tests, ctest -L fast: under 2 minutes).
"""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes or CI machines
import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(os.environ.get("EQRNN_SOURCE_DIR", Path(__file__).resolve().parents[2]))
EQRNN = os.environ.get("EQRNN_BIN", str(ROOT / "build" / "eqrnn"))
MPIEXEC = shlex.split(os.environ.get("MPIEXEC", "mpirun"))
# Open MPI refuses root unless told otherwise (containers), and the tests use more ranks than cores.
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
# The interpreter running the tests has h5py/numpy/matplotlib (the tests import them); python3 on PATH may not.
PYTHON = sys.executable
POSTPROCESS = ROOT / "postprocess"
REQUEUE = 85  # the documented "checkpointed, resume me" exit status
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def pytest_collection_modifyitems(items):
    """A module's SLOW_FIXTURES take seconds to set up (censuses, trainings): a test that needs one is slow, as
    choosing it alone would pay for them."""
    for item in items:
        if set(getattr(item.module, "SLOW_FIXTURES", ())) & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def eqrnn_binary():
    """Fail rather than skip: a suite that silently skips proves nothing."""
    if not os.access(EQRNN, os.X_OK):
        pytest.fail(f"eqrnn binary not found at {EQRNN}; build it or set EQRNN_BIN")
    return EQRNN


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """`cmake --install` of the build tree that holds EQRNN_BIN into a fresh prefix; returns the prefix."""
    prefix = tmp_path_factory.mktemp("prefix")
    proc = subprocess.run(["cmake", "--install", str(Path(EQRNN).parent), "--prefix", str(prefix)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return prefix


@pytest.fixture
def outdir(tmp_path_factory):
    """A fresh folder for figures, beside a module's shared input files."""
    return tmp_path_factory.mktemp("figures")


# ----------------------------------------------------------------------------- eqrnn


def eqrnn(*args, ranks=1, cwd=None, check=True, timeout=600):
    cmd = [EQRNN, *map(str, args)]
    if ranks > 1:
        cmd = [*MPIEXEC, "--quiet", "-n", str(ranks), "--oversubscribe", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, cwd=cwd, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def eqrnn_output(out, command, *args, ranks=1, cwd=None):
    """eqrnn COMMAND ARGS -quiet -output OUT; returns OUT once written.  Later options override earlier ones
    (and a deck's values), as in PETSc: -output goes last."""
    eqrnn(command, *args, "-quiet", "-output", out, ranks=ranks, cwd=cwd)
    assert Path(out).is_file(), f"eqrnn did not write {out}"
    return out


def simulate(out, *args, ranks=1):
    """eqrnn simulate to OUT, opened for reading."""
    return h5py.File(eqrnn_output(out, "simulate", *args, ranks=ranks), "r")


def read_simulation(path):
    """The final state, the trajectory and the restart count of a simulation output."""
    with h5py.File(path, "r") as f:
        return dict(x=f["final/x"][()], t=f["trajectory/t"][()], X=f["trajectory/x"][()],
                    restarts=int(f.attrs.get("restarts", 0)))


def assert_one_line_error(proc, fragment):
    """eqrnn's errors: non-zero status, one stderr line 'eqrnn: error: ...' with fragment, no PETSc dump."""
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("eqrnn: error: "), lines[0]
    assert fragment in lines[0], lines[0]
    assert "PETSC ERROR" not in proc.stdout + proc.stderr


# ----------------------------------------------------------------------------- groups, written out in numpy


def group_factors(spec):
    """[("Z", n) or ("D", n), ...] for a product of cyclic and dihedral factors ("Z16xZ12", "D5xZ8")."""
    factors = []
    for f in spec.split("x"):
        assert f[0] in "ZD" and f[1:].isdigit(), f"{spec}: only Z<n> and D<n> factors are written out here"
        factors.append((f[0], int(f[1:])))
    return factors


def translation_maps(spec):
    """Index maps of every left translation, (L_a x)(g) = x(a^-1 g) = x[maps[a]][g] (one channel), built from the
    group law of docs/mathematics.md section 2 and not from eqrnn: Z_n adds mod n, D_n has
    (r^j s^e)(r^k s^f) = r^(j + (-1)^e k) s^(e + f), and the element index is (axis coordinates, lexicographic,
    last factor fastest) * |Q| + (finite parts, lexicographic), an axis per factor, a finite part {e, s} per D_n.
    Row a of the result is the map of the element with index a."""
    factors = group_factors(spec)
    order = int(np.prod([n * (2 if kind == "D" else 1) for kind, n in factors]))
    # Every element as per-factor (axis coordinate, reflection) pairs, enumerated in factor order.
    grids = np.meshgrid(*[np.arange(n * (2 if kind == "D" else 1)) for kind, n in factors], indexing="ij")
    parts = [g.ravel() for g in grids]
    axis = [p // 2 if kind == "D" else p for p, (kind, _) in zip(parts, factors)]
    refl = [p % 2 if kind == "D" else np.zeros_like(p) for p, (kind, _) in zip(parts, factors)]

    def index(ax, rf):
        a = np.zeros_like(ax[0])
        for c, (_, n) in zip(ax, factors):
            a = a * n + c
        q = np.zeros_like(ax[0])
        for r, (kind, _) in zip(rf, factors):
            if kind == "D":
                q = q * 2 + r
        return a * (2 ** sum(kind == "D" for kind, _ in factors)) + q

    idx = index(axis, refl)
    assert sorted(idx) == list(range(order))
    maps = np.empty((order, order), dtype=int)
    for e in range(order):  # element number e of the enumeration, index idx[e]
        ax_g, rf_g = [], []
        for c, r, (kind, n) in zip(axis, refl, factors):
            ca, ra = c[e], r[e]
            ia, ir = ((-ca) % n, 0) if (kind == "Z" or ra == 0) else (ca, 1)  # a^-1 (reflections are involutions)
            sign = -1 if ir else 1
            ax_g.append((ia + sign * c) % n)  # a^-1 g
            rf_g.append((ir + r) % 2)
        src = index(ax_g, rf_g)  # index of a^-1 g, for every g in the enumeration
        row = np.empty(order, dtype=int)
        row[idx] = src
        maps[idx[e]] = row
    return maps


def stabiliser_by_translation(x, maps, tol):
    """{a : |L_a x - x| <= tol max(1, |x|)}, counted over every element, and the distances (relative)."""
    scale = max(1.0, float(np.linalg.norm(x)))
    dist = np.array([np.linalg.norm(x[m] - x) for m in maps]) / scale
    return set(np.flatnonzero(dist <= tol).tolist()), dist


def group_convolution(maps, w):
    """The matrix of (J r)(g) = (1/|G|) sum_h w(h^-1 g) r(h): row g, column h (maps from translation_maps:
    maps[h][g] is the index of h^-1 g)."""
    n = len(maps)
    return np.array([[w[maps[h][g]] for h in range(n)] for g in range(n)]) / n


def abelian_convolution(w, r, shape):
    """(J r)(g) = (1/|G|) sum_h w(g - h) r(h) on Z_n1 x Z_n2 x ... by FFT (w, r flat, lexicographic)."""
    W, R = np.fft.fftn(w.reshape(shape)), np.fft.fftn(r.reshape(shape))
    return np.real(np.fft.ifftn(W * R)).ravel() / np.prod(shape)


def cosine_kernel(shape, J0, J1):
    """w(g) = J0 + J1 sum_i cos(2 pi c_i / n_i) over the axes of order > 1 (docs/mathematics.md section 4)."""
    grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    w = np.full(shape, float(J0))
    for c, n in zip(grids, shape):
        if n > 1:
            w += J1 * np.cos(2 * np.pi * c / n)
    return w.ravel()


# ----------------------------------------------------------------------------- postprocess scripts


def run_script(script, *args, cwd=None):
    """postprocess/SCRIPT ARGS as users run it: a subprocess."""
    return subprocess.run([PYTHON, str(POSTPROCESS / script), *map(str, args)], capture_output=True, text=True,
                          env=ENV, cwd=cwd, timeout=300)


def assert_script_error(proc, script, fragment=""):
    """A postprocess script's errors: exit status 2 and exactly one stderr line 'SCRIPT: error: ...' with
    fragment, no traceback; returns the line."""
    assert proc.returncode == 2, f"exit {proc.returncode}, stderr: {proc.stderr}"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got:\n{proc.stderr}"
    assert lines[0].startswith(f"{script}: error: "), lines[0]
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    return lines[0]


def assert_png(path, min_side=100):
    """A real, non-blank PNG image of plausible size; returns the decoded RGB pixels."""
    path = Path(path)
    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_MAGIC, f"{path} is not a PNG"
    image = matplotlib.image.imread(str(path))[..., :3]
    height, width = image.shape[:2]
    assert height > min_side and width > min_side, f"implausible image size {width}x{height}"
    # a figure has lines, text and colours; a blank or failed one is uniform
    assert np.std(image) > 0.05, "image looks blank"
    return image


def assert_plot_ok(proc, out, min_side=100):
    """A plotting script that succeeded: status 0, the written path on stdout, a real figure there."""
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out), "the written path should be printed"
    assert "Traceback" not in proc.stderr
    return assert_png(out, min_side)
