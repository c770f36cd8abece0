"""Additive noise (issue 5): Euler-Maruyama with Philox increments keyed by (seed, step, neuron).
Checked against the Ornstein-Uhlenbeck variance, the linear-response diffusion of the ring bump (mean square
displacement linear in time, slope 2D = sigma^2 |u|^2 / (u.t)^2 with t the bump's tangent and u = phi'(x) t the
adjoint zero mode), and for rank-count and restart invariance (bitwise)."""

import h5py
import numpy as np
import pytest

from conftest import REQUEUE, assert_one_line_error, eqrnn

pytestmark = pytest.mark.slow  # every test takes 0.8 s or more (reference run)

OU = ["-group", "Z4096", "-kernel", "cosine", "-J0", 0, "-J1", 0, "-phi", "linear", "-input", "none", "-init", "zero",
      "-noise_sigma", 0.5, "-noise_dt", 0.01, "-quiet"]


def final(path):
    with h5py.File(path, "r") as f:
        return f["final/x"][()]


def test_ornstein_uhlenbeck_variance(tmp_path):
    # tau dx = -x dt + sigma dW: stationary variance sigma^2/2; Euler-Maruyama with step h gives sigma^2/(2-h).
    out = tmp_path / "ou.h5"
    eqrnn("simulate", *OU, "-t_final", 20, "-save_interval", 5, "-output", out)
    x = final(out)
    expected = 0.25 / (2 - 0.01)
    assert abs(x.var() / expected - 1) < 0.08  # 4096 samples: one standard error is 2.2 %
    assert abs(x.mean()) < 4 * np.sqrt(expected / x.size)


def test_same_noise_on_any_number_of_ranks_and_after_a_restart(tmp_path):
    one, three = tmp_path / "n1.h5", tmp_path / "n3.h5"
    eqrnn("simulate", *OU, "-t_final", 5, "-save_interval", 1, "-output", one)
    eqrnn("simulate", *OU, "-t_final", 5, "-save_interval", 1, "-output", three, ranks=3)
    assert np.array_equal(final(one), final(three))
    plain, resumed = tmp_path / "p.h5", tmp_path / "r.h5"
    args = [*OU, "-t_final", 5, "-save_interval", 1, "-checkpoint_interval", 1]
    eqrnn("simulate", *args, "-output", plain)
    assert eqrnn("simulate", *args, "-output", resumed, "-stop_after_checkpoints", 2, check=False).returncode == REQUEUE
    eqrnn("simulate", *args, "-output", resumed, "-restart", "auto")
    assert np.array_equal(final(plain), final(resumed))


def test_bump_diffuses_along_the_ring_at_the_linear_response_rate(tmp_path):
    sigma = 0.05
    out = tmp_path / "diffusion.h5"
    eqrnn("simulate", "-group", "Z64", "-J1", 3, "-input", "none", "-init", "bump", "-init_amplitude", 2,
          "-noise_sigma", sigma, "-noise_dt", 0.02, "-t_final", 2000, "-save_interval", 0.5, "-quiet", "-output", out)
    with h5py.File(out, "r") as f:
        X, t = f["trajectory/x"][()], f["trajectory/t"][()]
    n = X.shape[1]
    theta = 2 * np.pi * np.arange(n) / n
    phase = np.unwrap(np.angle((X * np.exp(-1j * theta)).sum(axis=1)))[t > 20]
    lags = np.arange(10, 101, 10)  # 5 .. 50 time units, beyond the radial relaxation
    msd = np.array([np.mean((phase[l:] - phase[:-l]) ** 2) for l in lags])
    slope = np.polyfit(lags * (t[1] - t[0]), msd, 1)[0]
    assert 0.75 < msd[-1] / msd[0] / 10 < 1.25  # linear in time
    x = X[-1]
    k = np.fft.fftfreq(n, 1.0 / n)
    tangent = np.real(np.fft.ifft(1j * k * np.fft.fft(x)))  # d x / d theta
    u = tangent / np.cosh(x) ** 2  # phi'(x) t: the left zero mode of -I + J diag(phi'(x))
    two_d = sigma**2 * np.sum(u * u) / np.dot(u, tangent) ** 2
    assert 0.6 < slope / two_d < 1.8, (slope, two_d)


def test_noise_bad_input(tmp_path):
    proc = eqrnn("simulate", "-group", "Z16", "-noise_sigma", -1, "-output", tmp_path / "a.h5", check=False)
    assert_one_line_error(proc, "-noise_sigma")
    proc = eqrnn("simulate", "-group", "Z16", "-noise_sigma", 0.1, "-ts_type", "rk", "-output", tmp_path / "b.h5",
                 check=False)
    assert_one_line_error(proc, "Euler-Maruyama")
