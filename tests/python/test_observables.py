"""Trajectory contents of `eqrnn simulate` (-trajectory_observables, -trajectory_states, -trajectory_precision,
-trajectory_stride, -trajectory_slab, -trajectory_channels, -trajectory_indices, -trajectory_compression): a
strided, slab, channel or listed subset is the corresponding entries of a full output (x_index names them), on
1 and 2 ranks and after a restart; compressed states are the uncompressed ones bit for bit; bad selectors give
one error line;
single-precision states are the double run's states rounded to float32, bit for bit, on 1 and 2 ranks; every
sample's mean,
norm and first Fourier harmonic per cyclic axis equal numpy's recomputation from the full states of the same run
(on 1 and 2 ranks, with channels); the harmonic's phase is the bump's position (a bump started at a site stays
there by the reflection symmetry about it); a run without states writes the same observables and final state
bit for bit; a resumed run's observables (and single-precision states) are bitwise the uninterrupted run's."""
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import REQUEUE, ROOT, assert_one_line_error, eqrnn

TORUS = ["-group", "Z24xZ16", "-J1", "3", "-t_final", "8", "-save_interval", "0.5", "-quiet"]


def simulate(out, *args, ranks=1, check=True):
    return eqrnn("simulate", *args, "-output", out, ranks=ranks, check=check)


def observables(path):
    with h5py.File(path, "r") as f:
        tr = f["trajectory"]
        return {k: tr[k][()] for k in tr if k != "x"}, (tr["x"][()] if "x" in tr else None), f["final/x"][()]


def recomputed(X, shape):
    """mean, norm and, per axis of order > 2, 2|X_1|/N and arg X_1 of the marginal, from the states."""
    T, N = X.shape
    Xs = X.reshape(T, *shape)
    out = {"mean": X.mean(axis=1), "norm": np.linalg.norm(X, axis=1)}
    for axis, n in enumerate(shape[:-1] if len(shape) > 2 else shape):
        if n <= 2:
            continue
        other = tuple(i + 1 for i in range(len(shape)) if i != axis)
        f1 = np.fft.fft(Xs.sum(axis=other), axis=1)[:, 1]
        out[f"fourier_amplitude_{axis}"] = 2 * np.abs(f1) / N
        out[f"fourier_phase_{axis}"] = np.angle(f1)
    return out


def assert_match(obs, ref):
    assert set(ref) <= set(obs)
    for k, v in ref.items():
        if k.startswith("fourier_phase"):  # angles: compare on the circle
            d = np.angle(np.exp(1j * (obs[k] - v)))
        else:
            d = obs[k] - v
        assert np.max(np.abs(d)) <= 1e-12 * max(1.0, np.max(np.abs(v))), k


@pytest.mark.parametrize("ranks", [1, 2])
def test_observables_equal_the_states_recomputed(tmp_path, ranks):
    out = tmp_path / "torus.h5"
    simulate(out, *TORUS, ranks=ranks)
    obs, X, _ = observables(out)
    assert X.shape == (17, 24 * 16) and len(obs["t"]) == 17
    assert_match(obs, recomputed(X, (24, 16)))
    assert np.max(obs["fourier_amplitude_0"]) > 0.1  # the run grows a pattern: not a test on zeros


def test_observables_with_channels(tmp_path):
    out = tmp_path / "channels.h5"
    simulate(out, "-group", "Z16", "-channels", "2", "-kernel_channels", "1,0.5,0.5,1", "-J1", "3",
             "-t_final", "6", "-save_interval", "1", "-quiet")
    obs, X, _ = observables(out)
    assert_match(obs, recomputed(X, (16, 2)))  # the marginal sums the channels


def test_phase_is_the_bump_position(tmp_path):
    n, centre = 64, 10
    out = tmp_path / "bump.h5"
    simulate(out, "-group", f"Z{n}", "-J1", "3", "-init", "bump", "-init_location", str(centre), "-init_amplitude",
             "1", "-t_final", "10", "-save_interval", "1", "-quiet")
    obs, _, _ = observables(out)
    position = np.mod(-obs["fourier_phase_0"] * n / (2 * np.pi), n)
    np.testing.assert_allclose(position, centre, atol=1e-9)
    assert obs["fourier_amplitude_0"][-1] > 1.0  # a bump of J1 = 3 (kappa = J1 <cos tanh(kappa cos)>)


@pytest.mark.slow
def test_without_states_the_same_observables_and_final_state(tmp_path):
    full, light = tmp_path / "full.h5", tmp_path / "light.h5"
    simulate(full, *TORUS)
    simulate(light, *TORUS, "-trajectory_states", "false")
    o1, X1, x1 = observables(full)
    o2, X2, x2 = observables(light)
    assert X1 is not None and X2 is None
    assert set(o1) == set(o2)
    for k in o1:
        assert np.array_equal(o1[k], o2[k]), k
    assert np.array_equal(x1, x2)
    with h5py.File(light, "r") as f:
        assert int(f.attrs["trajectory_states"]) == 0 and int(f.attrs["trajectory_observables"]) == 1


def test_without_observables_only_states(tmp_path):
    out = tmp_path / "plain.h5"
    simulate(out, *TORUS, "-trajectory_observables", "false")
    with h5py.File(out, "r") as f:
        assert sorted(f["trajectory"]) == ["t", "x"]


@pytest.mark.parametrize("ranks", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_single_precision_states_are_the_double_states_rounded(tmp_path, ranks):
    double, single = tmp_path / "double.h5", tmp_path / "single.h5"
    simulate(double, *TORUS)
    simulate(single, *TORUS, "-trajectory_precision", "single", ranks=ranks)
    with h5py.File(double, "r") as fd, h5py.File(single, "r") as fs:
        xd, xs = fd["trajectory/x"][()], fs["trajectory/x"]
        assert xs.dtype == np.float32 and fs.attrs["trajectory_precision"] in ("single", b"single")
        if ranks == 1:
            assert np.array_equal(xs[()], xd.astype(np.float32))  # round to nearest, once
        np.testing.assert_allclose(xs[()], xd, rtol=2.0 ** -24, atol=1e-300)
        assert fs["final/x"].dtype == np.float64  # the final state and the checkpoints stay exact
        np.testing.assert_allclose(fs["final/x"][()], fd["final/x"][()], rtol=0, atol=1e-10)


@pytest.mark.slow
@pytest.mark.parametrize("content", [("-trajectory_states", "false"), ("-trajectory_precision", "single")])
def test_resumed_observables_are_bitwise_the_uninterrupted_ones(tmp_path, content):
    args = [*TORUS, "-t_final", "20", "-checkpoint_interval", "4", *content]
    ref, out = tmp_path / "ref.h5", tmp_path / "resumed.h5"
    simulate(ref, *args)
    assert simulate(out, *args, "-stop_after_checkpoints", 2, check=False).returncode == REQUEUE
    simulate(out, *args, "-restart", "auto")
    o1, X1, x1 = observables(ref)
    o2, X2, x2 = observables(out)
    for k in o1:
        assert np.array_equal(o1[k], o2[k]), k
    assert np.array_equal(x1, x2)
    assert (X1 is None and X2 is None) or np.array_equal(X1, X2)


@pytest.mark.slow
def test_resume_with_other_content_is_refused(tmp_path):
    args = [*TORUS, "-t_final", "20", "-checkpoint_interval", "4"]
    out = tmp_path / "mixed.h5"
    assert simulate(out, *args, "-stop_after_checkpoints", 1, check=False).returncode == REQUEUE
    proc = simulate(out, *args, "-trajectory_states", "false", "-restart", str(out) + ".ckpt.h5", check=False)
    assert_one_line_error(proc, "trajectory_states")


@pytest.mark.slow
def test_activity_figure_from_observables_alone(tmp_path):
    out, fig = tmp_path / "light.h5", tmp_path / "light.png"
    simulate(out, *TORUS, "-trajectory_states", "false")
    proc = subprocess.run([sys.executable, str(ROOT / "postprocess" / "plot_activity.py"), str(out), "-o",
                           str(fig)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert fig.stat().st_size > 10000


@pytest.mark.parametrize("ranks", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_strided_subset_is_the_full_outputs_entries(tmp_path, ranks):
    full, sub = tmp_path / "full.h5", tmp_path / "sub.h5"
    simulate(full, *TORUS, ranks=ranks)
    simulate(sub, *TORUS, "-trajectory_stride", "3,2", ranks=ranks)
    with h5py.File(full, "r") as ff, h5py.File(sub, "r") as fs:
        X = ff["trajectory/x"][()].reshape(-1, 24, 16)
        tr = fs["trajectory"]
        expected = np.arange(24 * 16).reshape(24, 16)[::3, ::2].ravel()
        assert np.array_equal(tr["x_index"][()].astype(int), expected)
        assert np.array_equal(tr["x"][()], X[:, ::3, ::2].reshape(len(X), -1))  # same run, same ranks: bitwise
        assert tr.attrs["subset_shape"] in ("8x8", b"8x8")
        assert np.array_equal(fs["final/x"][()], ff["final/x"][()])  # the final state stays whole


@pytest.mark.slow
def test_strided_subset_resumed_bitwise_and_drawn(tmp_path):
    args = [*TORUS, "-t_final", "20", "-checkpoint_interval", "4", "-trajectory_stride", "2,4"]
    ref, out, fig = tmp_path / "ref.h5", tmp_path / "resumed.h5", tmp_path / "sub.png"
    simulate(ref, *args)
    assert simulate(out, *args, "-stop_after_checkpoints", 2, check=False).returncode == REQUEUE
    simulate(out, *args, "-restart", "auto")
    with h5py.File(ref, "r") as a, h5py.File(out, "r") as b:
        assert np.array_equal(a["trajectory/x"][()], b["trajectory/x"][()])
        assert np.array_equal(a["trajectory/t"][()], b["trajectory/t"][()])
    proc = subprocess.run([sys.executable, str(ROOT / "postprocess" / "plot_activity.py"), str(out), "-o", str(fig)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("ranks", [1, 2])
@pytest.mark.parametrize("stride,fragment", [("2", "one per factor"), ("0,1", "is not >= 1")])
def test_bad_stride_one_error_line(tmp_path, ranks, stride, fragment):
    proc = simulate(tmp_path / "bad.h5", *TORUS, "-trajectory_stride", stride, ranks=ranks, check=False)
    assert_one_line_error(proc, fragment)


def full_and_subset(tmp_path, ranks, *selectors, extra=()):
    full, sub = tmp_path / "full.h5", tmp_path / "sub.h5"
    simulate(full, *TORUS, *extra, ranks=ranks)
    simulate(sub, *TORUS, *extra, *selectors, ranks=ranks)
    with h5py.File(full, "r") as ff, h5py.File(sub, "r") as fs:
        tr = fs["trajectory"]
        index = tr["x_index"][()].astype(int) if "x_index" in tr else None
        return (ff["trajectory/x"][()], tr["x"][()], index,
                {k: (v.decode() if isinstance(v, bytes) else v) for k, v in tr.attrs.items()},
                np.array_equal(fs["final/x"][()], ff["final/x"][()]), tr["x"])


@pytest.mark.parametrize("ranks", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_slab_with_stride_is_the_full_outputs_entries(tmp_path, ranks):
    X, S, index, attrs, final_same, _ = full_and_subset(tmp_path, ranks, "-trajectory_slab", "4:20,:9",
                                                        "-trajectory_stride", "3,2")
    grid = np.arange(24 * 16).reshape(24, 16)
    assert np.array_equal(index, grid[4:20:3, 0:9:2].ravel())
    assert np.array_equal(S, X.reshape(-1, 24, 16)[:, 4:20:3, 0:9:2].reshape(len(X), -1))
    assert attrs["subset_shape"] == "6x5" and attrs["slab"] == "4:20,0:9" and final_same


def test_channel_selection_is_the_full_outputs_channel(tmp_path):
    channels = ["-channels", "2", "-kernel_channels", "1,-0.4,0.6,-0.2"]
    X, S, index, attrs, final_same, _ = full_and_subset(tmp_path, 1, "-trajectory_channels", "1", extra=channels)
    assert np.array_equal(index, np.arange(1, 24 * 16 * 2, 2))
    assert np.array_equal(S, X.reshape(-1, 24, 16, 2)[..., 1].reshape(len(X), -1))
    assert attrs["subset_shape"] == "24x16x1" and attrs["channels"] == "1" and final_same


@pytest.mark.parametrize("ranks", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_index_list_from_a_file_is_the_full_outputs_columns(tmp_path, ranks):
    listing = tmp_path / "neurons.h5"
    with h5py.File(listing, "w") as f:
        f["sel"] = np.array([383, 5, 3, 3, 100, 191, 192])  # unsorted, repeated: kept once each, ascending
    X, S, index, attrs, final_same, _ = full_and_subset(tmp_path, ranks, "-trajectory_indices", f"{listing}:/sel")
    expected = np.array([3, 5, 100, 191, 192, 383])
    assert np.array_equal(index, expected) and np.array_equal(S, X[:, expected])
    assert attrs["subset_shape"] == "6" and final_same


@pytest.mark.parametrize("ranks", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_compressed_states_are_the_uncompressed_ones(tmp_path, ranks):
    X, S, index, _, final_same, _ = full_and_subset(tmp_path, ranks, "-trajectory_compression", "6")
    assert index is None and np.array_equal(S, X) and final_same  # lossless, same run and ranks: bitwise
    with h5py.File(tmp_path / "sub.h5", "r") as f:
        d = f["trajectory/x"]
        assert d.compression == "gzip" and d.compression_opts == 6 and d.shuffle
        assert f.attrs["trajectory_compression"] == 6


@pytest.mark.parametrize("ranks", [1, pytest.param(2, marks=pytest.mark.slow)])
@pytest.mark.parametrize("option,value,fragment", [
    ("-trajectory_slab", "0:30,:", "not a non-empty range"),
    ("-trajectory_slab", "3:5", "one per factor"),
    ("-trajectory_slab", "a:5,:", "not integers"),
    ("-trajectory_channels", "1", "is not a channel"),
    ("-trajectory_indices", "missing.h5", "cannot read"),
    ("-trajectory_compression", "12", "trajectory_compression"),
])
def test_bad_selector_one_error_line(tmp_path, ranks, option, value, fragment):
    proc = simulate(tmp_path / "bad.h5", *TORUS, option, value, ranks=ranks, check=False)
    assert_one_line_error(proc, fragment)


@pytest.mark.slow
def test_index_out_of_range_one_error_line(tmp_path, ranks=2):
    listing = tmp_path / "neurons.h5"
    with h5py.File(listing, "w") as f:
        f["indices"] = np.array([1, 384])
    proc = simulate(tmp_path / "bad.h5", *TORUS, "-trajectory_indices", str(listing), ranks=ranks, check=False)
    assert_one_line_error(proc, "is not a neuron index")
