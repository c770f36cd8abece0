"""End-to-end tests of `eqrnn fixedpoints` and `eqrnn stability`: the HDF5 layout, rank-count invariance of the
census, the stability of a simulated state, and bad input. Every saved fixed point of a ring and a torus census is
re-checked in numpy: its stabiliser counted over all of G with the left translations written out here, and its
residual |-x + J phi(x)| / max(1, |x|) with J by FFT of the cosine kernel computed from its formula."""
import re

import h5py
import numpy as np
import pytest

from conftest import (abelian_convolution, assert_one_line_error, cosine_kernel, eqrnn, eqrnn_output,
                      stabiliser_by_translation, translation_maps)


def census(path, *args, ranks=1):
    return h5py.File(eqrnn_output(path, "fixedpoints", *args, ranks=ranks), "r")


def manifolds(f):
    fp = f["fixed_points"]
    return [fp[f"fp_{i}"] for i in range(int(fp.attrs["count"]))]


def factor_subgroup(coords, orders, description):
    """The elements of a stabiliser written factor by factor ("Z1 x Z16": the subgroup of order 1 of the first
    factor times that of order 16 of the second; Z_n's subgroup of order a is the multiples of n / a)."""
    assert re.fullmatch(r"Z\d+( x Z\d+)*", description), description
    parts = [int(t[1:]) for t in description.split(" x ")]
    assert len(parts) == len(orders), description
    keep = np.ones(len(coords[0]), dtype=bool)
    for c, n, a in zip(coords, orders, parts):
        assert n % a == 0, description
        keep &= c % (n // a) == 0
    return set(np.flatnonzero(keep).tolist())


def check_with_numpy(f):
    """Every manifold of a census of the cosine kernel, tanh, no input, on a product of rings: the stabiliser by
    brute force over G (|L_a x - x| <= fp_symmetry_tol max(1, |x|)), its order, elements, description and the
    orbit size; the residual recomputed with J from the kernel's formula, below fp_tol and equal to the file's.
    Returns the recomputed residuals."""
    spec = f.attrs["group"]
    shape = tuple(int(n) for n in f.attrs["state_shape"].split("x"))
    p = f["parameters"].attrs
    assert (p["kernel"], p["phi"], p["input"], p["tau"]) == ("cosine", "tanh", "none", 1.0)
    w = cosine_kernel(shape, p["J0"], p["J1"])
    maps, tol, order = translation_maps(spec), float(p["fp_symmetry_tol"]), int(np.prod(shape))
    coords = np.unravel_index(np.arange(order), shape)
    residuals = []
    for m in manifolds(f):
        x = m["x"][:]
        H, dist = stabiliser_by_translation(x, maps, tol)
        # no element within a factor 1000 of the tolerance: the count does not hinge on rounding
        assert np.all((dist <= 1e-3 * tol) | (dist > 1e3 * tol)), np.sort(dist)[:4]
        assert len(H) == int(m.attrs["stabiliser_order"]), (m.name, sorted(H))
        assert H == {int(e) for e in m.attrs["stabiliser_elements"]}, m.name
        assert int(m.attrs["orbit_size"]) * len(H) == order
        desc = m.attrs["stabiliser"]
        if desc == "{e}":
            assert H == {0}
        elif desc.startswith("G ("):
            assert len(H) == order
        else:
            assert H == factor_subgroup(coords, shape, desc), desc
        F = -x + abelian_convolution(w, np.tanh(p["gain"] * (x - p["threshold"])), shape)
        res = np.linalg.norm(F) / max(1.0, np.linalg.norm(x))
        assert res <= float(p["fp_tol"]), (m.name, res)
        assert abs(res - m.attrs["residual"]) < 1e-13, (m.name, res, m.attrs["residual"])
        residuals.append(res)
    return residuals


def test_ring_census_layout_and_values(tmp_path):
    with census(tmp_path / "ring.h5", "-group", "Z64", "-J1", "3", "-fp_stability", "-fp_starts", "2") as f:
        assert len(check_with_numpy(f)) == int(f["fixed_points"].attrs["count"])
        ms = manifolds(f)
        assert f["fixed_points"].attrs["starts"] >= 3
        zero = [m for m in ms if int(m.attrs["stabiliser_order"]) == 64]
        bumps = [m for m in ms if int(m.attrs["stabiliser_order"]) == 1]
        assert len(zero) == 1 and len(bumps) >= 1
        z = zero[0]
        assert np.abs(z["x"][:]).max() == 0 and int(z.attrs["orbit_size"]) == 1
        # x = 0: eigenvalue -1 + J1/2 twice (cos, sin), then -1
        re = z.attrs["eigenvalues_real"]
        np.testing.assert_allclose(re[:2], [0.5, 0.5], atol=1e-10)
        np.testing.assert_allclose(re[2:], -1.0, atol=1e-10)
        assert z.attrs["classification"] == "saddle" and int(z.attrs["n_unstable"]) == 2
        for b in bumps:
            assert b.attrs["classification"] == "stable"
            assert int(b.attrs["n_marginal"]) == 1 and int(b.attrs["orbit_size"]) == 64
            assert b.attrs["stabiliser"] == "{e}"
            assert b.attrs["residual"] < 1e-10
            assert b.attrs["tangent_overlap"][0] > 0.99
            eig = b.attrs["eigenvalues_real"]
            assert list(eig) == sorted(eig, reverse=True)


def test_torus_census_stabilisers_and_residuals_recomputed(tmp_path):
    # Z16 x Z16, J = 2.2 (docs/commands.md, the torus): x = 0 (stabiliser G), stripes along either axis
    # (Z16 x Z1, Z1 x Z16) and mixed states ({e}), each checked in numpy
    with census(tmp_path / "torus.h5", "-group", "Z16xZ16", "-J1", "2.2", "-fp_starts", "6") as f:
        assert len(check_with_numpy(f)) == int(f["fixed_points"].attrs["count"]) >= 4
        orders = sorted(int(m.attrs["stabiliser_order"]) for m in manifolds(f))
        assert orders[0] == 1 and orders[-1] == 256 and 16 in orders


@pytest.mark.slow
def test_census_is_the_same_on_1_and_3_ranks(tmp_path):
    args = ("-group", "Z16xZ12", "-J1", "2.5", "-fp_starts", "4", "-fp_stability")
    with census(tmp_path / "a.h5", *args) as a, census(tmp_path / "b.h5", *args, ranks=3) as b:
        check_with_numpy(a)
        check_with_numpy(b)
        ma, mb = manifolds(a), manifolds(b)
        assert len(ma) == len(mb) >= 3
        for x, y in zip(ma, mb):
            np.testing.assert_allclose(x["x"][:], y["x"][:], atol=1e-8)
            assert x.attrs["stabiliser"] == y.attrs["stabiliser"]
            assert x.attrs["classification"] == y.attrs["classification"]
            np.testing.assert_allclose(x.attrs["eigenvalues_real"][:4], y.attrs["eigenvalues_real"][:4], atol=1e-8)


@pytest.mark.slow
def test_stability_of_a_simulated_bump(tmp_path):
    # Simulate to the bump, then analyse its final state: stable, one marginal mode along the ring.
    eqrnn("simulate", "-group", "Z128", "-J1", "3", "-t_final", "150", "-save_interval", "0", "-quiet",
          "-output", tmp_path / "sim.h5", ranks=2)
    eqrnn("stability", "-group", "Z128", "-J1", "3", "-state_file", tmp_path / "sim.h5",
          "-output", tmp_path / "st.h5", ranks=2)
    with h5py.File(tmp_path / "st.h5", "r") as f:
        m = f["fixed_points/fp_0"]
        assert m.attrs["residual"] < 1e-6
        assert m.attrs["classification"] == "stable"
        assert int(m.attrs["n_marginal"]) == 1
        assert int(m.attrs["orbit_size"]) == 128


BAD = [
    (["fixedpoints", "-fp_tol", "-1"], "-fp_tol must be > 0"),
    (["fixedpoints", "-fp_starts", "x"], "-fp_starts: 'x' is not an integer"),
    (["fixedpoints", "-fp_amplitudes", "1,nan"], "not a finite number"),
    (["fixedpoints", "-fp_sarts", "3"], "unknown option -fp_sarts"),
    (["stability"], "needs -state_file"),
    (["stability", "-state_file", "missing.h5"], "'missing.h5' not found"),
]


@pytest.mark.parametrize("args,fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input(tmp_path, args, fragment):
    proc = eqrnn(*args, "-group", "Z16", "-output", tmp_path / "o.h5", cwd=tmp_path, check=False)
    assert_one_line_error(proc, fragment)


def test_eigenvectors_are_written_and_the_marginal_one_is_the_tangent(tmp_path):
    with census(tmp_path / "v.h5", "-group", "Z64", "-J1", "3", "-fp_stability", "-stability_vectors",
                "-fp_starts", "1", ranks=2) as f:
        bump = [m for m in manifolds(f) if int(m.attrs["stabiliser_order"]) == 1][0]
        n = len(bump.attrs["eigenvalues_real"])
        vecs = bump["eigenvectors"]
        assert all(f"re_{k}" in vecs for k in range(n))
        x = bump["x"][:]
        k = np.fft.fftfreq(64, 1 / 64)
        tangent = np.real(np.fft.ifft(1j * k * np.fft.fft(x)))  # dx/dtheta
        v = vecs["re_0"][:]  # the marginal mode (largest real part, ~0)
        assert abs(bump.attrs["eigenvalues_real"][0]) < 1e-8
        assert abs(v @ tangent) / (np.linalg.norm(v) * np.linalg.norm(tangent)) > 0.99
