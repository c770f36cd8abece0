"""End-to-end tests of the eqrnn command line: HDF5 layout, decks, rank-count invariance, equivariance through
files, implicit integrators, progress lines, and one-line errors for every kind of bad input."""
import h5py
import numpy as np
import pytest

from conftest import ROOT, assert_one_line_error, eqrnn, simulate


# ---------------------------------------------------------------- output layout

def test_hdf5_layout_and_provenance(tmp_path):
    with simulate(tmp_path / "a.h5", "-group", "Z32", "-J1", "2.5", "-t_final", "2", "-save_interval", "0.5") as f:
        assert f.attrs["group"] == "Z32"
        assert int(f.attrs["N"]) == 32
        t = f["trajectory/t"][:]
        x = f["trajectory/x"][:]
        np.testing.assert_allclose(t, [0, 0.5, 1.0, 1.5, 2.0], rtol=0, atol=1e-12)
        assert x.shape == (5, 32)
        assert f["trajectory/x"].chunks is not None and f["trajectory/x"].maxshape[0] is None
        np.testing.assert_array_equal(f["final/x"][:], x[-1])
        p = f["parameters"].attrs
        assert p["J1"] == 2.5 and p["phi"] == "tanh" and p["kernel"] == "cosine"
        assert "-J1 2.5" in f.attrs["options"]
        for key in ("eqrnn_version", "git_commit", "mpi_size", "host", "started", "finished"):
            assert key in f.attrs, key


def test_default_deck_runs_and_input_moves_the_bump(tmp_path):
    # input/ring.yaml: a bump forms from noise; the input at neuron 128 (t = 30..50) drags it there, and it stays
    # where it was left once the input is off (marginal stability along the ring).
    with simulate(tmp_path / "ring.h5", "-options_file_yaml", ROOT / "input" / "ring.yaml", ranks=2) as f:
        assert f.attrs["group"] == "Z256"
        assert f["parameters"].attrs["J1"] == 3.0
        t, x = f["trajectory/t"][:], f["trajectory/x"][:]
        theta = 2 * np.pi * np.arange(256) / 256

        def centre(k):
            return np.angle(np.sum(x[k] * np.exp(1j * theta))) % (2 * np.pi) * 256 / (2 * np.pi)

        at = {s: int(np.argmin(abs(t - s))) for s in (30, 60, 80)}
        assert np.abs(x[at[30]]).max() > 1.0  # a bump had formed before the input
        assert abs(centre(at[80]) - 128) < 10, centre(at[80])
        assert abs(centre(at[30]) - 128) > abs(centre(at[80]) - 128) + 30  # it was moved, not born there
        assert abs(centre(at[80]) - centre(at[60])) < 0.5  # and it stays


# ---------------------------------------------------------------- invariances

@pytest.mark.slow
@pytest.mark.parametrize("group", ["Z256", "Z97", "Z16xZ12", "Z6xZ5xZ4"])
def test_same_states_on_1_2_and_3_ranks(tmp_path, group):
    kernel = ("-kernel", "vonmises", "-J1", "6", "-kappa", "2") if group[1] == "2" else ("-J1", "3")
    args = ("-group", group, *kernel, "-J0", "-0.5", "-t_final", "8", "-save_interval", "2",
            "-init_amplitude", "0.3", "-seed", "4")
    ref = simulate(tmp_path / "np1.h5", *args)
    for n in (2, 3):
        with simulate(tmp_path / f"np{n}.h5", *args, ranks=n) as f:
            assert int(f.attrs["mpi_size"]) == n
            np.testing.assert_allclose(f["trajectory/x"][:], ref["trajectory/x"][:], rtol=0, atol=1e-10)
            np.testing.assert_allclose(f["final/x"][:], ref["final/x"][:], rtol=0, atol=1e-10)
    assert np.abs(ref["final/x"][:]).max() > 1e-2  # not trivially equal
    ref.close()


@pytest.mark.slow
def test_translated_initial_state_gives_translated_trajectory(tmp_path):
    # Equivariance through the file interface (-init file): start from L_a x0 with a = (3, 5) on Z12xZ10.
    args = ("-group", "Z12xZ10", "-J1", "3", "-J0", "-0.5", "-t_final", "4", "-save_interval", "0")
    with simulate(tmp_path / "a.h5", *args, "-init_amplitude", "0.5", ranks=2) as f:
        x0 = f["trajectory/x"][0].reshape(12, 10)
        xa = f["final/x"][:].reshape(12, 10)
    with h5py.File(tmp_path / "shifted.h5", "w") as g:
        g["x0"] = np.roll(x0, (3, 5), axis=(0, 1))
    with simulate(tmp_path / "b.h5", *args, "-init", "file", "-init_file", tmp_path / "shifted.h5",
                  "-init_dataset", "/x0", ranks=3) as f:
        xb = f["final/x"][:].reshape(12, 10)
    np.testing.assert_allclose(xb, np.roll(xa, (3, 5), axis=(0, 1)), rtol=0, atol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("method", [["-ts_type", "bdf", "-ts_bdf_order", "2"], ["-ts_type", "arkimex"],
                                    ["-ts_type", "beuler", "-ts_dt", "1e-3", "-ts_adapt_type", "none"]])
def test_implicit_methods_use_the_jacobian_and_agree(tmp_path, method):
    args = ("-group", "Z64", "-J1", "3", "-t_final", "3", "-save_interval", "0", "-init", "bump",
            "-init_amplitude", "0.5", "-ts_rtol", "1e-8", "-ts_atol", "1e-10")
    ref = simulate(tmp_path / "rk.h5", *args)["final/x"][:]
    got = simulate(tmp_path / "imp.h5", *args, *method, ranks=2)["final/x"][:]
    tol = 5e-3 if "beuler" in method else 1e-5  # backward Euler is first order
    np.testing.assert_allclose(got, ref, rtol=0, atol=tol * np.abs(ref).max())


@pytest.mark.slow
def test_progress_lines_and_quiet(tmp_path):
    base = ("simulate", "-group", "Z64", "-t_final", "2", "-output", tmp_path / "p.h5")
    loud = eqrnn(*base, "-progress_interval", "1e-9")
    assert "eqrnn: t = " in loud.stdout and "left" in loud.stdout
    quiet = eqrnn(*base, "-progress_interval", "1e-9", "-quiet")
    assert "eqrnn: t = " not in quiet.stdout


@pytest.mark.slow
def test_help_lists_commands_and_options():
    top = eqrnn("-help")
    assert "simulate" in top.stdout
    sim = eqrnn("simulate", "-help")
    for opt in ("-group", "-kernel", "-J1", "-t_final", "-save_interval", "-init", "-output"):
        assert opt in sim.stdout, opt
    # PETSc's own options on request (test_commands.py checks the compact listing).
    assert "-ts_type" in eqrnn("simulate", "-help", "petsc").stdout


# ---------------------------------------------------------------- bad input

def bad_file(tmp_path, name, content):
    p = tmp_path / name
    p.write_text(content)
    return p


BAD = [
    (["-foo", "1"], "unknown option -foo"),
    (["-t_finl", "3"], "-t_finl"),
    (["-J1", "abc"], "-J1: 'abc' is not a number"),
    (["-seed", "1.5"], "-seed: '1.5' is not an integer"),
    (["-group", "Z0"], "Z0"),
    (["-group", "Zx"], "Zx"),
    (["-group", "Y5"], "Y5"),
    (["-J1", "nan"], "-J1: nan is not a finite number"),
    (["-tau", "inf"], "-tau: inf is not a finite number"),
    (["-tau", "0"], "-tau must be > 0"),
    (["-kernel", "gauss"], "-kernel: unknown value 'gauss'"),
    (["-phi", "softplus"], "-phi: unknown value 'softplus'"),
    (["-init", "file", "-init_file", "no_such_file.h5"], "'no_such_file.h5' not found"),
    (["-kernel", "file", "-kernel_file", "no_such_kernel.h5"], "'no_such_kernel.h5' not found"),
    (["-options_file_yaml", "no_such_deck.yaml"], "'no_such_deck.yaml' not found"),
    (["-output", "a_file/out.h5"], "cannot create output file 'a_file/out.h5'"),
    (["-kernel", "fourier", "-fourier_modes", "1,2", "-fourier_cos", "1"], "-fourier_modes needs 1 integers"),
    (["-input", "bump", "-input_on", "5", "-input_off", "2"], "is before -input_on"),
    (["-t_final", "-1"], "-t_final must be >= 0"),
]


@pytest.mark.parametrize("args,fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_error(tmp_path, args, fragment):
    (tmp_path / "a_file").write_text("a file where a directory would have to be")
    proc = eqrnn("simulate", "-group", "Z16", "-t_final", "1", "-output", tmp_path / "o.h5", *args,
                 cwd=tmp_path, check=False)
    assert_one_line_error(proc, fragment)


@pytest.mark.parametrize("args,fragment", [(["-group", "Y5"], "Y5"), (["-J1", "x"], "-J1"),
                                           (["-init", "file", "-init_file", "nope.h5"], "not found")])
def test_bad_input_on_several_ranks_prints_once(tmp_path, args, fragment):
    proc = eqrnn("simulate", "-output", tmp_path / "o.h5", *args, ranks=3, cwd=tmp_path, check=False)
    assert_one_line_error(proc, fragment)


@pytest.mark.slow
def test_bad_files(tmp_path):
    text = bad_file(tmp_path, "corrupt.h5", "this is not HDF5\n")
    proc = eqrnn("simulate", "-group", "Z16", "-init", "file", "-init_file", text, "-output", tmp_path / "o.h5",
                 check=False)
    assert_one_line_error(proc, "is not an HDF5 file")
    with h5py.File(tmp_path / "small.h5", "w") as f:
        f["/final/x"] = np.zeros(8)
        f["/nan"] = np.full(16, np.nan)
    proc = eqrnn("simulate", "-group", "Z16", "-init", "file", "-init_file", tmp_path / "small.h5",
                 "-output", tmp_path / "o.h5", check=False)
    assert_one_line_error(proc, "has 8 elements, the group needs 16")
    proc = eqrnn("simulate", "-group", "Z16", "-init", "file", "-init_file", tmp_path / "small.h5",
                 "-init_dataset", "/missing", "-output", tmp_path / "o.h5", check=False)
    assert_one_line_error(proc, "has no dataset '/missing'")
    proc = eqrnn("simulate", "-group", "Z16", "-kernel", "file", "-kernel_file", tmp_path / "small.h5",
                 "-kernel_dataset", "/nan", "-output", tmp_path / "o.h5", check=False)
    assert_one_line_error(proc, "contains NaN or Inf")
    deck = bad_file(tmp_path, "bad.yaml", "group: Z16\nJ1: [1, 2\n")
    proc = eqrnn("simulate", "-options_file_yaml", deck, "-output", tmp_path / "o.h5", check=False)
    assert proc.returncode != 0
    assert len([l for l in proc.stderr.splitlines() if l.strip()]) == 1, proc.stderr


@pytest.mark.slow
def test_unknown_or_missing_command():
    assert_one_line_error(eqrnn("simulat", check=False), "unknown command 'simulat'")
    assert_one_line_error(eqrnn(check=False), "no command given")


@pytest.mark.slow
def test_file_kernel_equals_the_analytic_one(tmp_path):
    # The same kernel given as a function and as a dataset (in the group's shape) gives the same run.
    n0, n1 = 8, 6
    t0, t1 = np.meshgrid(2 * np.pi * np.arange(n0) / n0, 2 * np.pi * np.arange(n1) / n1, indexing="ij")
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f["w"] = -0.5 + 3.0 * (np.cos(t0) + np.cos(t1))
    args = ("-group", f"Z{n0}xZ{n1}", "-t_final", "3", "-save_interval", "0")
    a = simulate(tmp_path / "a.h5", *args, "-J0", "-0.5", "-J1", "3")["final/x"][:]
    b = simulate(tmp_path / "b.h5", *args, "-kernel", "file", "-kernel_file", tmp_path / "w.h5", ranks=2)["final/x"][:]
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-12)
