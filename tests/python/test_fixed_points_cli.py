"""End-to-end tests of `eqrnn fixedpoints` and `eqrnn stability`: the HDF5 layout, rank-count invariance of the
census, the stability of a simulated state, and bad input. Every saved fixed point of a ring and a torus census is
re-checked in numpy: its stabiliser counted over all of G with the left translations written out here, and its
residual |-x + J phi(x)| / max(1, |x|) with J by FFT of the cosine kernel computed from its formula. The symmetry
classes (the whole symmetry group Gamma and lattice translations) are re-derived in numpy from the written states:
Gamma written out (translations, axis reversals, swaps of equal rings, x -> -x), fractional translations by FFT."""
import itertools
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


# ----------------------------------------------------------------------------- symmetry classes, in numpy
# Gamma for the cosine kernel, tanh, no input on a product of rings: the translations, the point operations
# (a reversal a_i -> -a_i of each ring, permutations of rings of equal order) and x -> -x. An element is
# x -> s L_a P x; orbits and isotropy are counted with every translation at once (FFT correlation), the
# candidates then measured directly.


def point_operations(shape):
    """Every (axis permutation, reversal mask) with equal orders permuted only."""
    d = len(shape)
    perms = [p for p in itertools.permutations(range(d)) if all(shape[p[i]] == shape[i] for i in range(d))]
    return [(p, mask) for p in perms for mask in itertools.product((False, True), repeat=d)]


def apply_point(x, op):
    perm, mask = op
    y = np.transpose(x, perm)
    for axis, flip in enumerate(mask):
        if flip:
            y = np.roll(np.flip(y, axis), 1, axis)  # y(-a): index 0 stays
    return y


def gamma_images(x, shape):
    """s P x for every point operation P and sign s (the translations are left to the correlation)."""
    x = x.reshape(shape)
    return [s * apply_point(x, op) for op in point_operations(shape) for s in (1.0, -1.0)]


def distances_to_translates(x, y):
    """|x - L_a y| for every a: by correlation, then measured directly where it is small."""
    c = np.real(np.fft.ifftn(np.fft.fftn(x) * np.conj(np.fft.fftn(y))))  # c(a) = <x, L_a y>
    d = np.sqrt(np.maximum(0.0, np.sum(x * x) + np.sum(y * y) - 2 * c))
    scale = max(1.0, np.linalg.norm(x))
    for a in zip(*np.nonzero(d <= 1e-4 * scale)):
        d[a] = np.linalg.norm(x - np.roll(y, a, axis=tuple(range(x.ndim))))
    return d


def gamma_distance(x, y, shape):
    """min over Gamma of |x - h y|."""
    return min(distances_to_translates(x.reshape(shape), h).min() for h in gamma_images(y, shape))


def isotropy_order(x, shape, tol):
    """|{h in Gamma : |h x - x| <= tol}|; asserts that no element is within a factor 10 of tol (a lattice copy
    accepted a little off its symmetric position keeps its symmetries only to ~1e-7: not 1000 as for G)."""
    d = np.concatenate([distances_to_translates(x.reshape(shape), h).ravel() for h in gamma_images(x, shape)])
    assert np.all((d <= 0.1 * tol) | (d > 10 * tol)), np.sort(d[d > 0.1 * tol])[:3]
    return int(np.count_nonzero(d <= tol))


def amplitude_distance(x, y, shape):
    """min over the point operations of | |X| - |P Y| | / sqrt(N), X the N-point DFT: |X| is blind to
    translations, integer or fractional, and to the sign, so states that are one state up to Gamma and lattice
    translations have the same amplitude pattern up to P."""
    X = np.abs(np.fft.fftn(x.reshape(shape)))
    Y = np.abs(np.fft.fftn(y.reshape(shape)))
    # P acts on the DFT of a real state as on the state (k -> -k for a reversal, axes permuted)
    return min(np.linalg.norm(X - apply_point(Y, op)) for op in point_operations(shape)) / np.sqrt(X.size)


def fractional_distance(x, y, sign):
    """min over real delta of |x - sign T_delta y| on a ring (T_delta the band-limited translation by delta
    sites; the Nyquist mode is kept real), by a scan and a refinement."""
    n = len(x)
    k = np.fft.fftfreq(n, 1.0 / n)
    Y = np.fft.fft(y)

    def dist(delta):
        shifted = np.real(np.fft.ifft(Y * np.exp(-2j * np.pi * k * delta / n)))
        return np.linalg.norm(x - sign * shifted)

    grid = np.linspace(0, n, 64 * n, endpoint=False)
    best = grid[np.argmin([dist(t) for t in grid])]
    fine = np.linspace(best - 1.0 / 64, best + 1.0 / 64, 2001)
    return min(dist(t) for t in fine)


def census_lines(proc):
    """The per-manifold lines printed at the end of a census: {index: (family, class, lattice orbit)}."""
    found = re.findall(r"manifold (\d+) \(family (\d+), class (\d+), lattice orbit (\d+)\)", proc.stdout)
    return {int(i): (int(f), int(c), int(o)) for i, f, c, o in found}


def classified_census(path, *args):
    """eqrnn fixedpoints (its printed lines kept), opened; the printed classes match the file's."""
    proc = eqrnn("fixedpoints", *args, "-output", path)
    f = h5py.File(path, "r")
    fp = f["fixed_points"]
    printed = census_lines(proc)
    assert len(printed) == int(fp.attrs["count"])
    for i, m in enumerate(manifolds(f)):
        assert printed[i] == (int(m.attrs["family"]), int(m.attrs["symmetry_class"]), int(m.attrs["lattice_orbit"]))
    classes = {int(m.attrs["symmetry_class"]) for m in manifolds(f)}
    assert classes == set(range(int(fp.attrs["symmetry_classes"])))
    assert len({int(m.attrs["lattice_orbit"]) for m in manifolds(f)}) == int(fp.attrs["lattice_orbits"])
    assert f"{int(fp.attrs['symmetry_classes'])} symmetry class(es)" in proc.stdout
    return f


def check_classes_with_numpy(f, same_class_amplitude=1e-6):
    """Lattice orbits are exactly the Gamma-orbits (numpy's Gamma, to fp_same_tol); every pair in one class is
    Gamma-related or has the same amplitude pattern (a fractional translate up to Gamma); pairs in different
    classes have clearly different patterns; isotropy_order is the count over Gamma. Returns the states."""
    shape = tuple(int(n) for n in f.attrs["state_shape"].split("x"))
    p = f["parameters"].attrs
    assert (p["kernel"], p["phi"], p["input"]) == ("cosine", "tanh", "none")
    same, sym_tol = float(p["fp_same_tol"]), float(p["fp_symmetry_tol"])
    ms = manifolds(f)
    xs = [m["x"][:] for m in ms]
    order = int(np.prod(shape)) * len(point_operations(shape)) * 2
    assert f["fixed_points"].attrs["symmetry"].endswith(f"(order {order})")
    for m, x in zip(ms, xs):
        scale = max(1.0, np.linalg.norm(x))
        assert int(m.attrs["isotropy_order"]) == isotropy_order(x, shape, sym_tol * scale), m.name
        assert m.attrs["isotropy"].startswith(m.attrs["stabiliser"]), (m.attrs["isotropy"], m.attrs["stabiliser"])
    for (i, a), (j, b) in itertools.combinations(enumerate(ms), 2):
        scale = max(1.0, np.linalg.norm(xs[i]), np.linalg.norm(xs[j]))
        related = gamma_distance(xs[i], xs[j], shape) <= same * scale
        assert related == (int(a.attrs["lattice_orbit"]) == int(b.attrs["lattice_orbit"])), (i, j)
        amp = amplitude_distance(xs[i], xs[j], shape) / scale
        if int(a.attrs["symmetry_class"]) == int(b.attrs["symmetry_class"]):
            assert related or amp <= same_class_amplitude, (i, j, amp)
        else:
            assert not related and amp > 0.05, (i, j, amp)
    return xs, shape


@pytest.mark.slow  # about 1 s
def test_torus_census_has_three_symmetry_classes(tmp_path):
    # Z32 x Z32, J = 2.6: x = 0, stripes along either axis (related by the swap) with their on-site and
    # between-site copies, mixed states: 3 classes from more manifolds
    with classified_census(tmp_path / "t.h5", "-group", "Z32xZ32", "-J1", "2.6", "-fp_starts", "6") as f:
        xs, shape = check_classes_with_numpy(f)
        ms = manifolds(f)
        assert int(f["fixed_points"].attrs["symmetry_classes"]) == 3 and len(ms) >= 5

        def kind(x):
            varies = [np.ptp(x.reshape(shape), axis=a).max() > 1e-8 for a in (0, 1)]
            return ("zero", "stripes along θ2", "stripes along θ1", "mixed")[varies[0] + 2 * varies[1]]

        kinds = {}
        for m, x in zip(ms, xs):
            kinds.setdefault(int(m.attrs["symmetry_class"]), set()).add(kind(x))
        assert sorted(map(sorted, kinds.values())) == [
            ["mixed"], ["stripes along θ1", "stripes along θ2"], ["zero"]]
        # more G-orbits than lattice orbits (the swap), more lattice orbits than classes (lattice copies)
        assert len(ms) > int(f["fixed_points"].attrs["lattice_orbits"]) > 3


@pytest.mark.slow  # about 1 s
def test_ring_bump_copies_and_negatives_are_one_class(tmp_path):
    # Z32, J1 = 3: x = 0 and the bump, found on a site and off it (two G-orbits, not related by Gamma: lattice
    # copies); -x is the bump moved by half the ring, so the negatives are in those orbits
    with classified_census(tmp_path / "r.h5", "-group", "Z32", "-J1", "3", "-fp_starts", "8") as f:
        xs, _ = check_classes_with_numpy(f)
        ms = manifolds(f)
        assert [int(m.attrs["symmetry_class"]) for m in ms] == [0, 1, 1]
        assert [int(m.attrs["lattice_orbit"]) for m in ms] == [0, 1, 2]
        for x in xs[1:]:
            assert distances_to_translates(x, -x)[16] <= 1e-9 * np.linalg.norm(x)  # -x = L_16 x
        assert fractional_distance(xs[1], xs[2], 1.0) <= 1e-3 * np.linalg.norm(xs[1])
    # J0 = 1.2 adds uniform states +-c and bumps on an offset; -x of an offset bump is another G-orbit, and here
    # even another family (continuous manifold): only -x composed with a fractional translation joins them
    with classified_census(tmp_path / "r0.h5", "-group", "Z32", "-J0", "1.2", "-J1", "3", "-fp_starts", "6") as f:
        xs, _ = check_classes_with_numpy(f)
        ms = manifolds(f)
        offset = [i for i, x in enumerate(xs) if abs(x.mean()) > 0.1 and np.ptp(x) > 0.1]
        assert len(offset) == 2 and xs[offset[0]].mean() * xs[offset[1]].mean() < 0
        a, b = (ms[i] for i in offset)
        assert int(a.attrs["family"]) != int(b.attrs["family"])
        assert int(a.attrs["symmetry_class"]) == int(b.attrs["symmetry_class"])
        x, y = (xs[i] for i in offset)
        assert fractional_distance(x, y, -1.0) <= 1e-3 * np.linalg.norm(x) < fractional_distance(x, y, 1.0)
        uniform = [int(m.attrs["symmetry_class"]) for m, x in zip(ms, xs) if np.ptp(x) < 1e-9 and abs(x[0]) > 0.1]
        assert len(uniform) == 2 and uniform[0] == uniform[1]  # +c and -c
        assert int(f["fixed_points"].attrs["symmetry_classes"]) == 4  # zero, uniform, bump, offset bump


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
