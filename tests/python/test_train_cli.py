"""End-to-end tests of `eqrnn train` (docs/commands.md, train) and of postprocess/plot_training.py.

What is asserted follows from the model and the theory (docs/mathematics.md section 9), not from earlier output:
- a linear network trained by SGD from W = 0 never leaves span{d, e} (x) span{d, e}, so W has rank <= 2 there,
  and integrating for every duration needs d . W^k e = gamma^k: eigenvalues {gamma, 0}; Adam leaves the span;
- the saved hidden states and outputs obey the model's recursion, the saved targets the leaky integral;
- training is bitwise the same on 1 and 3 ranks and after a checkpoint and restart;
- on a trained integrator the test states are slow points: small |G(h) - h|/|h| and exactly D eigenvalues of
  diag(phi') W near 1 (for a linear network diag(phi') W = W everywhere);
- divergence, foreign checkpoints, signals and bad options give the documented statuses and one-line messages.
Every run is small (n <= 100, a few hundred to 2000 cheap steps): the whole file takes about 25 s on 2 cores."""

import re
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import (ENV, EQRNN, REQUEUE, assert_one_line_error, assert_png, assert_script_error, eqrnn,
                      run_script)

GAMMA = 0.995  # the default decay
SLOW_FIXTURES = {"runs"}  # the linear and ReLU trainings, about 6 s: their tests are slow (conftest)

# docs/commands.md (train, "What to expect"): the linear theory setting. 4 chunks of 32 so that 3 ranks share the work.
LINEAR = ["-n", 30, "-D", 1, "-phi", "linear", "-optimizer", "sgd", "-lr", 0.5, "-steps", 2000, "-batch", 128,
          "-batch_chunk", 32, "-quiet"]
# docs/commands.md (train, "What to expect"): the ReLU D = 2 setting (about 1.5 s).
RELU2 = ["-n", 100, "-D", 2, "-phi", "relu", "-optimizer", "sgd", "-lr", 1, "-steps", 1200, "-batch", 256,
         "-batch_chunk", 32, "-seed", 11, "-test_samples", 64, "-quiet"]
SMALL = ["-n", 20, "-D", 1, "-steps", 5, "-batch", 16, "-quiet"]


def train(out, *args, ranks=1, check=True):
    return eqrnn("train", *args, "-output", out, ranks=ranks, check=check)


def read(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ("training/W", "training/loss", "analysis/eigenvalues_real",
                                      "analysis/singular_values", "analysis/test_mse") if k in f}


def assert_bitwise(got, ref):
    assert got.keys() == ref.keys()
    for k in ref:
        assert np.array_equal(got[k], ref[k]), k


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("train")
    train(tmp / "linear.h5", *LINEAR)
    train(tmp / "relu2.h5", *RELU2)
    return tmp


def span_projector(*vectors):
    q, _ = np.linalg.qr(np.stack(vectors, axis=1))
    return q @ q.T


def leaky_integral(x, gamma):
    """y*_t = gamma (x_t + y*_{t-1}), y*_0 = 0, along axis 1 of (k, T, D) inputs."""
    y = np.zeros_like(x)
    prev = np.zeros_like(x[:, 0])
    for t in range(x.shape[1]):
        prev = gamma * (x[:, t] + prev)
        y[:, t] = prev
    return y


def authors_forward(W, E, b, x, phi):
    """h_t = phi(W (h_{t-1} + sum_c e_c x_{c,t})) + b, h_0 = 0; x of shape (k, T, D), E of shape (D, n)."""
    h = np.zeros((x.shape[0], W.shape[0]))
    out = []
    for t in range(x.shape[1]):
        h = phi((h + x[:, t] @ E) @ W.T) + b
        out.append(h)
    return np.stack(out, axis=1)


# ---------------------------------------------------------------- linear theory

def test_linear_sgd_from_null_init_learns_the_rank_one_integrator(runs):
    with h5py.File(runs / "linear.h5", "r") as f:
        W = f["training/W"][()]
        e, d = f["training/encoders"][0], f["training/decoders"][0]
        ev = f["analysis/eigenvalues_real"][()] + 1j * f["analysis/eigenvalues_imag"][()]
        rel = f["analysis/test_relative_error"][()]
        assert f["parameters"].attrs["decay"][0] == GAMMA
    # The figures of docs/commands.md (train, "What to expect" and "Analysis"), measured with this command (default
    # seed 1): relative test error 2.2e-8 on length 200, eigenvalues {0.995 (2.5e-6 off), 6.2e-6, rounding, ...},
    # |W - P W P| / |W| = 2e-15, singular values {1.08, 5.6e-6, 1e-15, ...}; the bounds leave a factor 2 or more.
    # SGD from W = 0: every gradient sum_t delta_t u_t^T lies in span{d, e} (x) span{d, e}, so W does too ...
    P = span_projector(d, e)
    assert np.linalg.norm(W - P @ W @ P) <= 1e-10 * np.linalg.norm(W)
    # ... hence rank <= 2: at most two singular values above rounding; the second is going to 0 with training
    # (eigenvalues {gamma, 0} on the 2 x 2 block make W of rank 1 in the limit).
    s = np.linalg.svd(W, compute_uv=False)
    assert s[0] > 0.5 and np.all(s[2:] <= 1e-12 * s[0]), s[:4]
    assert s[1] <= 1e-5 * s[0], s[:4]
    # eigenvalues gamma, < 1e-5 and 0 (the file's, sorted by decreasing modulus, are those of W)
    assert np.all(np.diff(np.abs(ev)) <= 1e-12)
    lead = np.linalg.eigvals(W)
    assert abs(ev[0] - lead[np.argmax(np.abs(lead))]) < 1e-10
    assert abs(ev[0] - GAMMA) < 1e-5 and abs(ev[0].imag) == 0, ev[:3]
    assert abs(ev[1]) < 1e-5, ev[:3]
    assert np.all(np.abs(ev[2:]) < 1e-12), ev[:4]  # W has rank 2: the rest is 0 to rounding
    # integration for every duration: d . W^k e = gamma^k (the test set is 200 steps long; measured 1.8e-4)
    v = e.copy()
    for k in range(1, 201):
        v = W @ v
        assert abs(d @ v - GAMMA**k) < 5e-4, k
    assert rel.shape == (1,) and rel[0] < 5e-8, rel


def test_adam_leaves_the_subspace_and_generalises_worse(tmp_path, runs):
    # docs/mathematics.md section 9: the adaptive optimiser's per-entry scaling breaks the span{d, e} invariance
    train(tmp_path / "adam.h5", *LINEAR, "-optimizer", "adam", "-lr", 0.01, "-steps", 500)
    with h5py.File(tmp_path / "adam.h5", "r") as f:
        W = f["training/W"][()]
        P = span_projector(f["training/decoders"][0], f["training/encoders"][0])
        adam_error = f["analysis/test_relative_error"][0]
    with h5py.File(runs / "linear.h5", "r") as f:
        sgd_error = f["analysis/test_relative_error"][0]
    assert np.linalg.norm(W - P @ W @ P) > 0.1 * np.linalg.norm(W)
    assert adam_error > 100 * sgd_error


# ---------------------------------------------------------------- output layout and its consistency

def test_hdf5_layout_provenance_and_consistency(runs):
    with h5py.File(runs / "linear.h5", "r") as f:
        a = f.attrs
        assert a["command"] == "train" and int(a["n"]) == 30 and int(a["D"]) == 1 and int(a["mpi_size"]) == 1
        assert int(a["restarts"]) == 0 and "restart_steps" not in a  # as simulate: recorded from the start
        for key in ("eqrnn_version", "git_commit", "host", "started", "finished", "options", "blas"):
            assert key in a, key
        assert "-lr 0.5" in a["options"] and "lr=0.5" in f["parameters"].attrs["identity"]
        loss, W = f["training/loss"][()], f["training/W"][()]
        t = f["training"].attrs
        assert loss.shape == (2000,) and W.shape == (30, 30) and int(t["steps"]) == 2000
        assert t["first_loss"] == loss[0] and t["final_loss"] == loss[-1]
        assert int(t["best_step"]) == int(np.argmin(loss)) and t["best_loss"] == loss.min() and t["network"] == "best"
        assert int(t["chunks"]) == 4  # ceil(128 / 32)
        # at W = 0 the output is 0 and the loss is (1/T^2) mean_t E[y*_t^2] (docs/commands.md: about
        # D (T + 1) / (2 T^2) = 0.22 D for T = 3, gamma ~ 1): y*_t = sum_{j <= t} gamma^(t - j + 1) x_j has covariance
        # C_tt' = sum_{j <= min(t, t')} gamma^(t + t' - 2j + 2), so the first batch's loss (B = 128 sequences) has
        # mean tr(C) / T^3 and standard error sqrt(2 tr(C^2) / B) / T^3 (measured 0.196 against 0.2185 +- 0.023)
        T, B = 3, 128
        j = np.arange(1, T + 1)
        C = np.array([[np.sum(GAMMA ** (t + u - 2 * j[:min(t, u)] + 2)) for u in j] for t in j])
        mean, stderr = np.trace(C) / T**3, np.sqrt(2 * np.trace(C @ C) / B) / T**3
        assert abs(mean - 0.22) < 0.01 and abs(loss[0] - mean) < 4 * stderr, (loss[0], mean, stderr)
        assert loss.min() < 1e-6 * loss[0]  # training lowers it a lot
        an = f["analysis"]
        ev = an["eigenvalues_real"][()] + 1j * an["eigenvalues_imag"][()]
        assert ev.shape == (30,) and abs(ev.sum() - np.trace(W)) < 1e-12  # the trace
        sv = an["singular_values"][()]
        np.testing.assert_allclose(sv, np.linalg.svd(W, compute_uv=False), rtol=0, atol=1e-12 * sv[0])
        r = float(an["manifold_residual"][()])
        assert an["manifold_residual"].shape == () and 0 <= r < 1
        assert an["test_mse"].shape == (1,) and an["test_relative_error"].shape == (1,)
        pca = an["pca_explained_variance"][()]
        assert pca.shape == (30,) and abs(pca.sum() - 1) < 1e-12 and np.all(np.diff(pca) <= 1e-15)
        assert pca.min() >= -1e-12 and pca[0] > 0.999  # a linear D = 1 integrator: activity on one line
        # the saved test sequences obey the model: targets, hidden states, readout
        seq = an["test_sequences"]
        x, y_star = seq["inputs"][()], seq["targets"][()]
        hidden, y = seq["hidden"][()], seq["outputs"][()]
        assert x.shape == (4, 200, 1) and hidden.shape == (4, 200, 30)
        assert set(np.unique(x)) <= {-1.0, 0.0, 1.0}  # sparse ternary test inputs
        np.testing.assert_allclose(y_star, leaky_integral(x, GAMMA), rtol=0, atol=1e-12)
        E, dec, b = f["training/encoders"][()], f["training/decoders"][()], f["training/bias"][()]
        np.testing.assert_allclose(hidden, authors_forward(W, E, b, x, lambda z: z), rtol=0,
                                   atol=1e-12 * np.abs(hidden).max())
        np.testing.assert_allclose(y, hidden @ dec.T, rtol=0, atol=1e-12 * np.abs(y).max())


def test_relu_d2_structure(runs):
    with h5py.File(runs / "relu2.h5", "r") as f:
        an = f["analysis"]
        seq = an["test_sequences"]
        x, hidden = seq["inputs"][()], seq["hidden"][()]
        W, E, b = f["training/W"][()], f["training/encoders"][()], f["training/bias"][()]
        np.testing.assert_allclose(hidden, authors_forward(W, E, b, x, lambda z: np.maximum(z, 0)), rtol=0,
                                   atol=1e-12 * np.abs(hidden).max())
        assert an["test_mse"].shape == (2,) and an["test_relative_error"].shape == (2,)
        kappa = an["selectivity"][()]
        assert kappa.shape == (100, 2)
        np.testing.assert_allclose(an["selectivity_angles"][()], np.arctan2(kappa[:, 1], kappa[:, 0]), atol=1e-12)
        assert abs(an["pca_explained_variance"][()].sum() - 1) < 1e-12
        # the D = 2 integrator: two singular values well above the rest (README: "D large singular values")
        sv = an["singular_values"][()]
        assert sv[1] > 10 * sv[2], sv[:4]
        # docs/commands.md ("What to expect"): r = 0.026 and test relative errors 2 %, 2 % (measured 0.0260,
        # 1.87 %, 1.97 %, seed 11); r recomputed here from its definition on the saved test sequences' currents
        r = float(an["manifold_residual"][()])
        assert 0 < r < 0.035, r
        rel = an["test_relative_error"][()]
        assert np.all(rel < 0.025), rel
        U = np.linalg.svd(W)[0][:, :2]
        a = (hidden[:, :-1] + x[:, 1:] @ E) @ W.T  # a_t = W u_t, u_t = h_{t-1} + sum_c e_c x_{c,t}
        a = np.concatenate([(x[:, :1] @ E) @ W.T, a], axis=1).reshape(-1, W.shape[0])
        r4 = np.sqrt(np.mean((a - a @ U @ U.T) ** 2) / np.mean(a ** 2))
        assert abs(r4 - r) < 0.3 * r, (r4, r)  # 4 of the 64 test sequences (measured 0.0296): roughly the same


def test_relu_d2_fixed_points_are_the_origin_with_the_spectrum_of_w(runs):
    # docs/commands.md: b = 0 and threshold 0 make h -> relu(W h) positively homogeneous, so a fixed point other
    # than 0 needs an eigenvalue exactly 1 on some activation pattern: only h = 0, reached from all 8 starts; there
    # every neuron is at the kink, phi' = 1 by the convention, and mu is W's own spectrum (1.980 +- 0.003i, 0.037,
    # ...), "2 unstable".
    with h5py.File(runs / "relu2.h5", "r") as f:
        fp = f["analysis/fixed_points"]
        W = f["training/W"][()]
        assert int(fp.attrs["count"]) == 1 and int(fp.attrs["starts"]) == 8 and int(fp.attrs["failed_starts"]) == 0
        g = fp["fp_0"]
        assert not np.any(g["h"][()]) and int(g.attrs["n_at_kink"]) == 100
        mu = g.attrs["eigenvalues_real"] + 1j * g.attrs["eigenvalues_imag"]
        ev = np.linalg.eigvals(W)
        ev = ev[np.argsort(-np.abs(ev))][:len(mu)]
        assert len(mu) >= 6
        np.testing.assert_allclose(np.sort_complex(mu), np.sort_complex(ev), rtol=0, atol=1e-10)
        assert int(g.attrs["n_unstable"]) == int(np.sum(np.abs(ev) > 1 + 1e-6)) == 2


# ---------------------------------------------------------------- slow points

def slow_points(f):
    g = f["analysis/slow_points"]
    mu = g["eigenvalues_real"][()] + 1j * g["eigenvalues_imag"][()]
    return g, g["h"][()], g["speed"][()], mu


def test_relu_d2_test_states_are_slow_points_with_two_modes_near_one(runs):
    # b = 0: h = 0 is the only exact fixed point (the map is positively homogeneous); the manifold is made of
    # slow points with D = 2 eigenvalues of A(h) = diag(phi'(W h)) W near gamma ~ 1 and the others small
    with h5py.File(runs / "relu2.h5", "r") as f:
        g, h, speed, mu = slow_points(f)
        W, dec, b = f["training/W"][()], f["training/decoders"][()], f["training/bias"][()]
        hidden = f["analysis/test_sequences/hidden"][()].reshape(-1, h.shape[1])
        assert not np.any(b)
        assert int(g.attrs["count"]) == 7 == len(h)  # the census' 8 starts less h = 0
        for k in range(len(h)):  # the states are test states, as given (before Newton)
            assert np.any(np.all(hidden == h[k], axis=1)), k
        near = np.abs(mu - 1) < 0.15
        others = np.abs(np.where(near | np.isnan(mu), 0, mu))
        assert np.all(speed < 0.02), speed
        assert np.all(near.sum(axis=1) == 2) and np.array_equal(g["n_near_one"][()], near.sum(axis=1))
        assert np.all(others < 0.2), others.max(axis=1)
        assert int(g.attrs["with_D_near_one"]) == 7 and g.attrs["median_speed"] == np.median(speed)
        assert not np.any(g["n_at_kink"][()]) and np.all(g["spectrum_converged"][()] == 1)
        np.testing.assert_allclose(g["readout"][()], h @ dec.T, rtol=0, atol=1e-12)
        # recomputed in numpy: q = |relu(W h) - h| / |h|, and the leading eigenvalues of diag(W h > 0) W
        for k in range(len(h)):
            a = W @ h[k]
            assert abs(speed[k] - np.linalg.norm(np.maximum(a, 0) - h[k]) / np.linalg.norm(h[k])) < 1e-12 * speed[k]
            got = mu[k][np.isfinite(mu[k])]  # rows are NaN-padded: nev, or nev + 1 with a complex pair kept whole
            ev = np.linalg.eigvals((a > 0)[:, None] * W)
            ev = ev[np.argsort(-np.abs(ev))][:len(got)]
            assert len(got) >= 6, got
            assert np.allclose(np.sort_complex(ev), np.sort_complex(got), rtol=0, atol=1e-10), (ev, got)


def test_linear_slow_point_spectra_are_the_eigenvalues_of_w(runs):
    # linear phi: A(h) = W at every h, so every spectrum is W's own, {gamma, 0, ...}
    with h5py.File(runs / "linear.h5", "r") as f:
        g, h, speed, mu = slow_points(f)
        W = f["training/W"][()]
        ev = f["analysis/eigenvalues_real"][()] + 1j * f["analysis/eigenvalues_imag"][()]
        assert np.all(g["n_near_one"][()] == 1) and int(g.attrs["with_D_near_one"]) == 7
    # W has rank 2: past the first two, eigenvalues at rounding level (a complex pair of them may be kept
    # whole, making a row 7 wide, NaN-padded): the first nev = 6 are compared
    assert len(h) == 7 and mu.shape[1] >= 6
    for k in range(len(h)):
        np.testing.assert_allclose(mu[k, :6], ev[:6], rtol=0, atol=1e-10)
        assert abs(speed[k] - np.linalg.norm(W @ h[k] - h[k]) / np.linalg.norm(h[k])) < 1e-12


@pytest.mark.slow
def test_slow_points_option_without_the_census(tmp_path):
    out = tmp_path / "k.h5"
    train(out, *SMALL, "-slow_points", 3, "-fixed_point_starts", 0, "-slow_point_tol", 0.5)
    with h5py.File(out, "r") as f:
        assert "analysis/fixed_points" not in f
        g = f["analysis/slow_points"]
        assert int(g.attrs["count"]) == 3 and g["h"].shape == (3, 20) and g["readout"].shape == (3, 1)
        assert g.attrs["tol"] == 0.5 and int(f["parameters"].attrs["slow_points"]) == 3
    train(out, *SMALL, "-slow_points", 0)
    with h5py.File(out, "r") as f:
        assert "analysis/slow_points" not in f and "analysis/fixed_points" in f


def test_one_decay_is_used_for_every_channel_and_checked(tmp_path):
    out = tmp_path / "d.h5"
    train(out, *SMALL, "-D", 2, "-decay", 0.9, "-test_samples", 8)
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["parameters"].attrs["decay"], [0.9, 0.9])
        seq = f["analysis/test_sequences"]
        np.testing.assert_allclose(seq["targets"][()], leaky_integral(seq["inputs"][()], 0.9), rtol=0, atol=1e-12)


# ---------------------------------------------------------------- data parallelism and restart

@pytest.mark.slow
def test_one_and_three_ranks_are_bitwise_equal(tmp_path):
    # 300 steps: 3 ranks on 2 shared cores synchronise every step, which is slow when oversubscribed
    short = [*LINEAR, "-steps", 300]
    train(tmp_path / "np1.h5", *short)
    train(tmp_path / "np3.h5", *short, ranks=3)
    with h5py.File(tmp_path / "np3.h5", "r") as f:
        assert int(f.attrs["mpi_size"]) == 3 and int(f["training"].attrs["chunks"]) == 4
    assert_bitwise(read(tmp_path / "np3.h5"), read(tmp_path / "np1.h5"))
    with h5py.File(tmp_path / "np1.h5", "r") as f1, h5py.File(tmp_path / "np3.h5", "r") as f3:
        for name in ("h", "speed", "readout", "eigenvalues_real", "eigenvalues_imag", "n_near_one"):
            # the first nev = 6 eigenvalues: W has rank 2, and whether the rounding-level ones past them end
            # in a complex pair kept whole (a 7th column) depends on rounding
            got, want = (f["analysis/slow_points"][name][()] for f in (f3, f1))
            if name.startswith("eigenvalues"):
                got, want = got[:, :6], want[:, :6]
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-10, err_msg=name)


def test_checkpoint_stop_and_restart_auto_give_the_uninterrupted_run(tmp_path, runs):
    out = tmp_path / "r.h5"
    proc = train(out, *LINEAR, "-checkpoint_interval", 700, "-stop_after_checkpoints", 1, check=False)
    assert proc.returncode == REQUEUE, proc.stderr
    assert (tmp_path / "r.h5.ckpt.h5").exists()
    assert not out.exists()  # the output is written at the end of the run only
    with h5py.File(tmp_path / "r.h5.ckpt.h5", "r") as f:
        assert int(f.attrs["step"]) == 700
    # resumed twice: at 700 (stopping again at the checkpoint of step 1400), then at 1400 to the end on 3 ranks
    # (docs/commands.md: "A resumed run, on any number of ranks, is bitwise the uninterrupted one")
    resume = [*LINEAR, "-checkpoint_interval", 700, "-restart", "auto"]
    proc = train(out, *resume, "-stop_after_checkpoints", 1, check=False)
    assert proc.returncode == REQUEUE and "resuming" in proc.stdout and "at step 700" in proc.stdout, proc.stdout
    proc = train(out, *resume, ranks=3)
    assert "resuming" in proc.stdout and "at step 1400" in proc.stdout, proc.stdout
    assert_bitwise(read(out), read(runs / "linear.h5"))  # the uninterrupted run on 1 rank
    # the restarts are recorded (carried by the checkpoints) and summary.py reports them
    with h5py.File(out, "r") as f:
        assert int(f.attrs["restarts"]) == 2 and f.attrs["restart_steps"] == "700,1400"
    proc = run_script("summary.py", out)
    assert proc.returncode == 0 and "resumed 2 time(s) from checkpoints, at step 700,1400" in proc.stdout, proc.stdout


@pytest.mark.slow
def test_sigusr1_checkpoints_and_exits_85(tmp_path):
    out = tmp_path / "s.h5"
    ckpt = tmp_path / "s.h5.ckpt.h5"
    p = subprocess.Popen([EQRNN, "train", *map(str, LINEAR), "-steps", "100000000", "-checkpoint_interval", "500",
                          "-output", str(out)], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not ckpt.exists() and time.time() < deadline and p.poll() is None:
            time.sleep(0.02)
        assert p.poll() is None, p.communicate()
        assert ckpt.exists(), "no checkpoint within 60 s: the run is not under way"
        p.send_signal(signal.SIGUSR1)
        stdout, stderr = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == REQUEUE, stderr
    m = re.search(r"signal 10: checkpoint at step (\d+) written", stdout)
    assert m, stdout
    with h5py.File(ckpt, "r") as f:
        assert int(f.attrs["step"]) == int(m.group(1)) > 0
        assert len(f["loss"]) == int(f.attrs["step"])
    assert not out.exists()


@pytest.mark.slow
def test_checkpoint_of_another_lr_is_skipped_or_refused(tmp_path):
    out = tmp_path / "f.h5"
    short = [*LINEAR, "-steps", 300, "-checkpoint_interval", 100]
    assert train(out, *short, "-stop_after_checkpoints", 1, check=False).returncode == REQUEUE
    # an explicit -restart FILE of another run: one-line error naming the difference
    proc = train(tmp_path / "g.h5", *short, "-lr", 0.25, "-restart", tmp_path / "f.h5.ckpt.h5", check=False)
    assert_one_line_error(proc, "lr 0.5 -> 0.25")
    assert not (tmp_path / "g.h5").exists()
    # -restart auto: skipped with the difference named, and training starts from step 0
    proc = train(out, *short, "-lr", 0.25, "-restart", "auto")
    assert "checkpoint skipped" in proc.stdout and "lr 0.5 -> 0.25" in proc.stdout, proc.stdout
    train(tmp_path / "fresh.h5", *short, "-lr", 0.25)
    assert_bitwise(read(out), read(tmp_path / "fresh.h5"))


# ---------------------------------------------------------------- divergence and bad options

def test_absurd_lr_diverges_with_one_line_and_keeps_the_loss_curve(tmp_path):
    out = tmp_path / "div.h5"
    proc = train(out, *LINEAR, "-lr", 100, "-steps", 200, check=False)
    assert proc.returncode == 1
    assert_one_line_error(proc, "training diverged at step")
    assert str(out) in proc.stderr and "-lr" in proc.stderr
    with h5py.File(out, "r") as f:
        loss = f["training/loss"][()]
        t = f["training"].attrs
        assert int(t["diverged"]) == 1 and "analysis" not in f
        # it stopped at the first loss beyond divergence_factor (1000) times the first one
        limit = 1000 * loss[0]
        assert not (np.isfinite(loss[-1]) and loss[-1] <= limit)
        assert np.all(loss[:-1] <= limit) and len(loss) < 200
        # lr 100: the first update already diverges, so the best step is 0 and the network kept is the one
        # before any update: W = 0
        assert int(t["best_step"]) == int(np.argmin(loss)) == 0
        assert not np.any(f["training/W"][()])


BAD = [
    (["-n", "0"], "-n"),
    (["-D", "0"], "-D"),
    (["-T", "0"], "-T"),
    (["-phi", "foo"], "-phi"),
    (["-optimizer", "foo"], "-optimizer"),
    (["-lr", "nan"], "-lr"),
    (["-lr", "-1"], "-lr"),
    (["-batch", "0"], "-batch"),
    (["-steps", "0"], "-steps must be >= 1"),
    (["-slow_points", "-2"], "-slow_points"),
    (["-slow_point_tol", "0"], "-slow_point_tol"),
    (["-decay", "1.5"], "-decay"),
    (["-decay", "0.9,0.8"], "-decay"),  # D = 1: one value per channel, or one for all
    (["-D", "3", "-decay", "0.9,0.8"], "-decay"),
    (["-foo", "1"], "-foo"),
]


@pytest.mark.parametrize("args,fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_options_are_one_line_errors(tmp_path, args, fragment):
    proc = train(tmp_path / "o.h5", *SMALL, *args, check=False)
    assert_one_line_error(proc, fragment)
    assert not (tmp_path / "o.h5").exists()


# ---------------------------------------------------------------- plot_training.py

def plot(*args):
    return run_script("plot_training.py", *args)


def test_plot_training_linear_d1_and_relu_d2(runs, tmp_path):
    proc = plot(runs / "linear.h5")  # default: FILE.png next to FILE.h5
    assert proc.returncode == 0, proc.stderr
    assert_png(runs / "linear.png")
    proc = plot(runs / "relu2.h5", "-o", tmp_path / "relu2.png")
    assert proc.returncode == 0, proc.stderr
    assert_png(tmp_path / "relu2.png")
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_plot_training_draws_a_diverged_run(tmp_path):
    out = tmp_path / "div.h5"
    assert train(out, *SMALL, "-phi", "linear", "-optimizer", "sgd", "-lr", 1e6, check=False).returncode == 1
    proc = plot(out, "-o", tmp_path / "div.png")
    assert proc.returncode == 0, proc.stderr
    assert_png(tmp_path / "div.png")


@pytest.mark.slow
def test_plot_training_bad_input_is_one_line(tmp_path):
    (tmp_path / "text.h5").write_text("not hdf5")
    sim = tmp_path / "sim.h5"
    eqrnn("simulate", "-group", "Z8", "-t_final", 0.5, "-quiet", "-output", sim)
    for path, fragment in ((tmp_path / "missing.h5", "no such file"), (tmp_path / "text.h5", "not an HDF5 file"),
                           (sim, "not a training result")):
        assert_script_error(plot(path, "-o", tmp_path / "x.png"), "plot_training.py", fragment)
        assert not (tmp_path / "x.png").exists()
