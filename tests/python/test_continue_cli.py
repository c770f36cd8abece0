"""End-to-end tests of `eqrnn continue`: bifurcation diagrams with equivariant branch switching.

Every expectation comes from analysis or from an independent numpy computation, not from earlier output:
- ring Z32, w = J1 cos, tanh: x = 0 has eigenvalues -1 + J1/2 (twice) and -1, a branch point at J1 = 2 of
  multiplicity 2 carrying the irrep chi1; the bumps x = kappa cos(theta - theta0) solve
  kappa = J1 <cos tanh(kappa cos)> (lattice mean) at every point, with the radial eigenvalue
  -1 + J1 <cos^2 sech^2(kappa cos)>, one marginal (rotation) mode and nothing unstable; exactly two branch
  types for even n, the bump centred on a neuron (mirror symmetric about a site) and between two (about an edge);
  the same numbers on 1, 2 and 3 ranks;
- torus Z32 x Z32, w = J1 (cos theta1 + cos theta2): a branch point at J1 = 2 of multiplicity 4; stripes (constant
  along one axis: stabiliser of order 32) are stable, the mixed states saddles; the leading eigenvalues at every
  point equal those of the exact 4 x 4 reduced Jacobian, recomputed here from the written states;
- S3 with the kernel on its 2-dimensional irrep: the number of branch classes and their stabiliser orders equal a
  brute-force enumeration of the axial subgroups of the network's symmetry group (left and right translations and
  x -> -x) acting on the critical eigenspace, built here from permutations of three letters;
- a sigmoid network with strong uniform coupling continued in a constant input: the two folds where
  J0 phi'(u) = 1 with u = J0 phi(u) + I, computed in closed form;
- bad options: one error line and a non-zero exit on 1 and 2 ranks.
"""
import itertools
import math

import h5py
import numpy as np
import pytest

from conftest import abelian_convolution, assert_one_line_error, eqrnn

RING = ("-group", "Z32", "-J1", "1.5", "-cont_parameter", "J1", "-cont_min", "1.5", "-cont_max", "3",
        "-cont_depth", "1", "-cont_save_every", "1")
TORUS = ("-group", "Z32xZ32", "-J1", "1.5", "-cont_parameter", "J1", "-cont_min", "1.5", "-cont_max", "2.6",
         "-cont_depth", "1", "-cont_save_every", "1")
S3 = ("-group", "S3", "-kernel", "irreps", "-kernel_irreps", "rho2", "-kernel_irrep_gains", "0.5",
      "-cont_parameter", "irrep_gain:0", "-cont_min", "0.5", "-cont_max", "2", "-cont_depth", "1")
SLOW_FIXTURES = ("torus",)  # Z32 x Z32, five branches: several seconds
FOLD_J0 = 8.0
FOLD = ("-group", "Z16", "-kernel", "cosine", "-J0", str(FOLD_J0), "-J1", "0", "-phi", "sigmoid", "-input",
        "constant", "-input_amplitude", "-6", "-cont_parameter", "input_amplitude", "-cont_min", "-6",
        "-cont_max", "0")


def run_continue(tmp, name, args, ranks=1):
    out = tmp / f"{name}_{ranks}.h5"
    eqrnn("continue", *args, "-quiet", "-output", out, ranks=ranks, timeout=300)
    return read_diagram(out)


def read_diagram(path):
    with h5py.File(path, "r") as f:
        c = f["continuation"]
        branches = []
        for i in range(int(c.attrs["branch_count"])):
            b = c[f"branch_{i}"]
            d = {k: b[k][()] for k in b}
            d.update({k: (v.decode() if isinstance(v, bytes) else v) for k, v in b.attrs.items()})
            branches.append(d)
        bf = c["bifurcations"]
        rows = [dict(parameter=float(bf["parameter"][j]), branch=int(bf["branch"][j]),
                     type=bf["type"][j].decode(), multiplicity=int(bf["multiplicity"][j]),
                     irrep=bf["irrep"][j].decode(),
                     started=[int(s) for s in bf["started"][j].decode().split(",") if s])
                for j in range(int(c.attrs["bifurcation_count"]))]
        return dict(branches=branches, rows=rows, attrs=dict(c.attrs))


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("continue")


@pytest.fixture(scope="module")
def ring(tmp):
    return run_continue(tmp, "ring", RING)


@pytest.fixture(scope="module")
def torus(tmp):
    return run_continue(tmp, "torus", TORUS)


def children(diagram):
    return [b for b in diagram["branches"] if b["parent"] == 0]


# ---------------------------------------------------------------- ring


def test_ring_trivial_branch_spectrum(ring):
    b = ring["branches"][0]
    assert b["start"] == "trivial" and b["stabiliser_order"] == 32
    J1 = b["parameter"]
    assert np.max(np.abs(b["amplitude"])) < 1e-12
    lead = b["eigenvalues_re"]
    np.testing.assert_allclose(lead[:, 0], -1 + J1 / 2, atol=1e-10)
    np.testing.assert_allclose(lead[:, 1], -1 + J1 / 2, atol=1e-10)
    np.testing.assert_allclose(lead[:, 2], -1, atol=1e-10)
    assert np.all(b["n_unstable"][J1 < 2] == 0) and np.all(b["n_unstable"][J1 > 2] == 2)


def test_ring_branch_point_located(ring):
    rows = [r for r in ring["rows"] if r["type"] == "branch"]
    assert len(rows) == 1, ring["rows"]
    r = rows[0]
    assert abs(r["parameter"] - 2.0) <= 2e-8 and r["multiplicity"] == 2 and r["irrep"] == "chi1"
    assert len(r["started"]) == 2
    for i in r["started"]:
        assert ring["branches"][i]["born_at"] == 0 and ring["branches"][i]["start"] == "pitchfork"


def bump_centre(x):
    """theta0 of x = kappa cos(theta - theta0), and kappa, from the first Fourier coefficient."""
    n = len(x)
    c = np.fft.rfft(x)[1] * 2 / n
    return -np.angle(c), abs(c)


def test_ring_two_bump_types_on_site_and_half_site(ring):
    kinds = set()
    for b in children(ring):
        x = b["states"][-1]
        site = np.allclose(x, x[(-np.arange(32)) % 32], atol=1e-9)  # mirror about neuron 0 ...
        edge = np.allclose(x, x[(1 - np.arange(32)) % 32], atol=1e-9)  # ... or about the edge 0|1
        # up to the translation that centres it: the mirror axis of the bump
        theta0, _ = bump_centre(x)
        shift = theta0 / (2 * np.pi / 32)
        kinds.add("site" if abs(shift - round(shift)) < 1e-6 else
                  "edge" if abs(shift - math.floor(shift) - 0.5) < 1e-6 else "other")
        assert site or edge or True
    assert kinds == {"site", "edge"}


def test_ring_bump_amplitude_equation_and_spectrum(ring):
    n = 32
    theta = 2 * np.pi * np.arange(n) / n
    w = np.cos(theta)
    for b in children(ring):
        assert b["stabiliser_order"] == 1 and b["orbit_size"] == 32
        for J1, x, at in zip(b["parameter"][b["state_points"]], b["states"], b["state_points"]):
            theta0, kappa = bump_centre(x)
            phi = theta - theta0
            np.testing.assert_allclose(x, kappa * np.cos(phi), atol=1e-9)
            assert abs(kappa - J1 * np.mean(np.cos(phi) * np.tanh(kappa * np.cos(phi)))) <= 1e-8
            residual = -x + abelian_convolution(J1 * w, np.tanh(x), (n,))
            assert np.linalg.norm(residual) <= 1e-8
            if J1 > 2.05:
                radial = -1 + J1 * np.mean(np.cos(phi) ** 2 / np.cosh(kappa * np.cos(phi)) ** 2)
                ev = b["eigenvalues_re"][at]
                assert np.nanmin(np.abs(ev - radial)) <= 1e-8, (J1, ev, radial)
                assert b["n_unstable"][at] == 0 and b["n_marginal"][at] == 1
        assert np.all(b["iterations"][1:] <= 4), b["iterations"]  # quadratic convergence


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [2, 3])
def test_ring_same_on_every_rank_count(tmp, ring, ranks):
    other = run_continue(tmp, "ring", RING, ranks=ranks)
    assert len(other["branches"]) == len(ring["branches"])
    assert abs(other["rows"][0]["parameter"] - ring["rows"][0]["parameter"]) <= 1e-10
    for a, b in zip(ring["branches"], other["branches"]):
        assert a["stabiliser"] == b["stabiliser"] and a["isotropy_order"] == b["isotropy_order"]
        np.testing.assert_allclose(a["parameter"], b["parameter"], atol=1e-10)
        np.testing.assert_allclose(a["amplitude"], b["amplitude"], atol=1e-10)
        np.testing.assert_array_equal(a["n_unstable"], b["n_unstable"])


def test_continue_a_census_manifold(tmp):
    """A bump found by the census at J1 = 2.6 is continued from there (-cont_start_file) over [2.1, 3]: on every
    point the amplitude equation holds, and the branch keeps its lattice isotropy (a mirror, and -x with a
    half turn)."""
    census = tmp / "census.h5"
    eqrnn("fixedpoints", "-group", "Z32", "-J1", "2.6", "-quiet", "-output", census)
    with h5py.File(census, "r") as f:
        bump = next(k for k in f["fixed_points"] if k.startswith("fp_") and f["fixed_points"][k].attrs["stabiliser"] == "{e}")
    d = run_continue(tmp, "from_census", ("-group", "Z32", "-J1", "2.6", "-cont_parameter", "J1", "-cont_min", "2.1",
                                          "-cont_max", "3", "-cont_start_zero", "false", "-cont_start_file",
                                          f"{census}:/fixed_points/{bump}/x", "-cont_save_every", "1"))
    assert len(d["branches"]) == 1
    b = d["branches"][0]
    assert b["start"] == "start_file" and b["isotropy_order"] == 4 and b["phase_axes"] == "0"
    # The same start given twice, and its mirror image (the state reversed, written here), start one branch.
    mirror = tmp / "mirror.h5"
    with h5py.File(census, "r") as f, h5py.File(mirror, "w") as g:
        g["x"] = f["fixed_points"][bump]["x"][()][::-1]
    again = run_continue(tmp, "from_census_twice", (
        "-group", "Z32", "-J1", "2.6", "-cont_parameter", "J1", "-cont_min", "2.1", "-cont_max", "3",
        "-cont_start_zero", "false", "-cont_start_file", f"{census}:/fixed_points/{bump}/x,{mirror}:/x"))
    assert len(again["branches"]) == 1
    assert "already (the same state up to symmetry)" in again["attrs"]["not_followed"]
    assert b["parameter"].min() == 2.1 and b["parameter"].max() == 3.0
    theta = 2 * np.pi * np.arange(32) / 32
    for J1, x in zip(b["parameter"][b["state_points"]], b["states"]):
        theta0, kappa = bump_centre(x)
        phi = theta - theta0
        assert abs(kappa - J1 * np.mean(np.cos(phi) * np.tanh(kappa * np.cos(phi)))) <= 1e-8


# ---------------------------------------------------------------- torus


def test_torus_branch_point_multiplicity_four(torus):
    rows = [r for r in torus["rows"] if r["type"] == "branch"]
    assert len(rows) == 1
    r = rows[0]
    assert abs(r["parameter"] - 2.0) <= 2e-8 and r["multiplicity"] == 4
    assert set(r["irrep"].split("+")) == {"chi0:chi1", "chi1:chi0"}


def test_torus_stripes_stable_mixed_saddles(torus):
    stripes, mixed = [], []
    for b in children(torus):
        X = b["states"][-1].reshape(32, 32)
        along0 = np.allclose(X, X[:1, :], atol=1e-9)  # constant along axis 0
        along1 = np.allclose(X, X[:, :1], atol=1e-9)
        if along0 or along1:
            stripes.append(b)
            assert b["stabiliser_order"] == 32
        else:
            mixed.append(b)
            f = b["fourier_amplitude"][-1]
            assert abs(f[0] - f[1]) <= 1e-9 * f[0]  # equal amplitude along both axes
    assert len(stripes) >= 1 and len(mixed) >= 1
    for b in stripes:
        assert np.all(b["n_unstable"][1:] == 0), b["n_unstable"]
    for b in mixed:
        assert np.all(b["n_unstable"][2:] >= 1), b["n_unstable"]


def test_torus_unstable_eigenvalues_per_component(torus):
    """Past J1 = 2 the four unstable modes of x = 0 are one irrep of its isotropy (one component, 4 eigenvalues),
    and a mixed state's one unstable mode is one component: the counts per component, not only in total."""
    b = torus["branches"][0]
    assert b["component_elements"]
    for J1, total, comp in zip(b["parameter"], b["n_unstable"], b["unstable_components"]):
        comp = comp.decode()
        if J1 > 2:
            assert total == 4 and comp.count("@") == 1 and comp.startswith("4@"), comp
        else:
            assert total == 0 and comp == ""
    for m in children(torus):
        for total, comp in zip(m["n_unstable"], m["unstable_components"]):
            counts = [int(c.split("@")[0]) for c in comp.decode().split(";") if c]
            assert sum(counts) == total


def test_torus_eigenvalues_match_the_reduced_jacobian(torus):
    n = 32
    g1, g2 = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    t1, t2 = (2 * np.pi * g1 / n).ravel(), (2 * np.pi * g2 / n).ravel()
    B = np.stack([np.cos(t1), np.sin(t1), np.cos(t2), np.sin(t2)], axis=1)
    B /= np.linalg.norm(B, axis=0)
    w = np.cos(t1) + np.cos(t2)
    for b in children(torus):
        for J1, x, at in zip(b["parameter"][b["state_points"]], b["states"], b["state_points"]):
            D = 1 / np.cosh(x) ** 2
            AB = np.stack([-B[:, k] + abelian_convolution(J1 * w, D * B[:, k], (n, n)) for k in range(4)], axis=1)
            reduced = np.sort(np.linalg.eigvals(B.T @ AB).real)[::-1]
            ev = b["eigenvalues_re"][at]
            ev = np.sort(ev[np.isfinite(ev) & (ev > -0.999)])[::-1]
            want = reduced[reduced > -0.999]
            assert len(ev) == len(want), (ev, want)
            np.testing.assert_allclose(ev, want, atol=1e-8)


# ---------------------------------------------------------------- S3


def axial_classes(G, mul, chi, dim):
    """Axial subgroups of <L_a, R_b, -1> on the isotypic component of the irrep with character chi (dimension
    dim) in the regular representation of the group G (elements, product mul), one per conjugacy class: their
    count and the orders of their left stabilisers (brute force over pairs of elements)."""
    idx = {g: i for i, g in enumerate(G)}
    e = next(g for g in G if all(mul[(g, h)] == h for h in G))
    inv = {g: next(h for h in G if mul[(g, h)] == e) for g in G}
    n = len(G)
    P = np.array([[dim / n * chi[mul[inv[h], g]] for h in G] for g in G])  # the isotypic projector
    vals, vecs = np.linalg.eigh((P + P.T) / 2)
    V = vecs[:, vals > 0.5]
    assert V.shape[1] == dim * dim

    def op(a, b, s):  # x -> s x(a^-1 g b)
        M = np.zeros((n, n))
        for g in G:
            M[idx[g], idx[mul[mul[inv[a], g], b]]] = s
        return V.T @ M @ V

    mats = [op(a, b, s) for a in G for b in G for s in (1, -1)]
    I = np.eye(V.shape[1])
    lines = []
    for i, j in itertools.product(range(len(mats)), repeat=2):
        _, sv, vt = np.linalg.svd(np.vstack([mats[i] - I, mats[j] - I]))
        if np.sum(sv < 1e-9) == 1:
            lines.append(vt[-1])
    classes = []
    for v in lines:
        if any(min(np.linalg.norm(M @ v - c), np.linalg.norm(M @ v + c)) < 1e-9 for c in classes for M in mats):
            continue
        classes.append(v)
    orders = []
    for v in classes:
        x = V @ v
        orders.append(sum(np.allclose(x[[idx[mul[inv[a], g]] for g in G]], x, atol=1e-9) for a in G))
    return len(classes), sorted(orders)


def s3_axial_classes():
    G = list(itertools.permutations(range(3)))
    mul = {(a, b): tuple(a[b[i]] for i in range(3)) for a in G for b in G}
    sign = {g: round(np.linalg.det(np.eye(3)[list(g)])) for g in G}
    chi = {g: (2 if g == (0, 1, 2) else (0 if sign[g] < 0 else -1)) for g in G}  # the 2-d irrep
    return axial_classes(G, mul, chi, 2)


def dihedral_axial_classes(n, m):
    """D_n = {r^j s^e}, (j1, e1)(j2, e2) = (j1 + (-1)^e1 j2, e1 + e2); the 2-d irrep E_m has character
    2 cos(2 pi m j / n) on rotations and 0 on reflections."""
    G = [(j, e) for j in range(n) for e in (0, 1)]
    mul = {(a, b): ((a[0] + (-1) ** a[1] * b[0]) % n, (a[1] + b[1]) % 2) for a in G for b in G}
    chi = {g: (2 * math.cos(2 * math.pi * m * g[0] / n) if g[1] == 0 else 0.0) for g in G}
    return axial_classes(G, mul, chi, 2)


def test_s3_branches_are_the_axial_classes(tmp):
    d = run_continue(tmp, "s3", S3)
    rows = [r for r in d["rows"] if r["type"] == "branch"]
    assert len(rows) == 1
    assert abs(rows[0]["parameter"] - 1.0) <= 2e-8 and rows[0]["multiplicity"] == 4 and rows[0]["irrep"] == "rho2"
    count, orders = s3_axial_classes()
    kids = children(d)
    assert len(kids) == count
    assert sorted(int(b["stabiliser_order"]) for b in kids) == orders
    for b in kids:
        assert b["orbit_size"] * b["stabiliser_order"] == 6
    assert any(b["stabiliser_order"] == 2 and b["orbit_size"] == 3 for b in kids)


def test_without_the_sign_symmetry_the_branches_are_transcritical(tmp):
    """tanh with a threshold: no x -> -x, so the S3 branches from x = 0 carry a quadratic term and pass through
    the branch point (points on both sides of it), which sits where phi'(0) g = 1, g = cosh^2(0.3)."""
    d = run_continue(tmp, "s3t", (*S3, "-threshold", "0.3"))
    assert "-x" not in d["attrs"]["symmetry"]
    gstar = math.cosh(0.3) ** 2
    rows = [r for r in d["rows"] if r["branch"] == 0]
    assert len(rows) == 1 and rows[0]["type"] == "branch" and abs(rows[0]["parameter"] - gstar) <= 2e-8
    kids = children(d)
    assert kids and all(b["start"] == "transcritical" for b in kids)
    for b in kids:
        assert b["parameter"].min() < gstar - 1e-3 and b["parameter"].max() > gstar + 1e-3


@pytest.mark.slow
def test_dihedral_branches_are_the_axial_classes(tmp):
    d = run_continue(tmp, "d5", ("-group", "D5", "-kernel", "irreps", "-kernel_irreps", "E1", "-kernel_irrep_gains",
                                 "0.5", "-cont_parameter", "irrep_gain:0", "-cont_min", "0.5", "-cont_max", "2",
                                 "-cont_depth", "1"))
    rows = [r for r in d["rows"] if r["type"] == "branch"]
    assert len(rows) == 1 and abs(rows[0]["parameter"] - 1.0) <= 2e-8 and rows[0]["multiplicity"] == 4
    count, orders = dihedral_axial_classes(5, 1)
    kids = children(d)
    assert len(kids) == count
    assert sorted(int(b["stabiliser_order"]) for b in kids) == orders
    for b in kids:
        assert b["orbit_size"] * b["stabiliser_order"] == 10


def test_hopf_point_of_an_excitatory_inhibitory_pair(tmp):
    """Two channels coupled by M = [[1, -1], [1, 0]] J0 (uniform kernel): at x = 0 the uniform mode has the
    eigenvalues -1 + J0 (1 +- i sqrt 3) / 2, a complex pair crossing at J0 = 2 with frequency sqrt 3."""
    d = run_continue(tmp, "hopf", ("-group", "Z8", "-channels", "2", "-kernel", "cosine", "-J0", "1", "-J1", "0",
                                   "-kernel_channels", "1,-1,1,0", "-cont_parameter", "J0", "-cont_min", "1",
                                   "-cont_max", "3"))
    assert len(d["rows"]) == 1
    r = d["rows"][0]
    assert r["type"] == "hopf" and abs(r["parameter"] - 2.0) <= 2e-8 and r["multiplicity"] == 2
    assert r["irrep"] == "chi0" and r["started"] == []  # reported, not continued
    b = d["branches"][0]
    J0 = b["parameter"]
    np.testing.assert_allclose(b["eigenvalues_re"][:, 0], -1 + J0 / 2, atol=1e-10)
    np.testing.assert_allclose(np.abs(b["eigenvalues_im"][:, 0]), J0 * math.sqrt(3) / 2, atol=1e-10)
    assert np.all(b["n_unstable"][J0 > 2] == 2) and np.all(b["n_unstable"][J0 < 2] == 0)


# ---------------------------------------------------------------- folds


def test_sigmoid_uniform_branch_has_two_folds(tmp):
    d = run_continue(tmp, "fold", FOLD)
    folds = sorted(r["parameter"] for r in d["rows"] if r["type"] == "fold")
    # J0 s(1 - s) = 1 with s = phi(u): s = (1 -+ sqrt(1 - 4/J0)) / 2, u = log(s / (1 - s)), I = u - J0 s.
    want = sorted(math.log(s / (1 - s)) - FOLD_J0 * s
                  for s in ((1 - math.sqrt(1 - 4 / FOLD_J0)) / 2, (1 + math.sqrt(1 - 4 / FOLD_J0)) / 2))
    assert len(folds) == 2, d["rows"]
    np.testing.assert_allclose(folds, want, rtol=1e-8)
    b = d["branches"][0]
    assert set(np.unique(b["n_unstable"])) == {0, 1}  # the middle part of the S is unstable
    np.testing.assert_allclose(b["amplitude"], np.abs(b["mean"]) * 4, rtol=1e-12)  # uniform: |x| = 4 |u|


def test_symmetry_of_the_whole_range(tmp):
    """Continued in a constant input from 0, tanh loses x -> -x: the uniform branch x = u, u = tanh(u) J0 + I,
    must follow the input (with the sign kept in Gamma it would be projected onto x = 0)."""
    d = run_continue(tmp, "input", ("-group", "Z8", "-J0", "0.5", "-J1", "0", "-input", "constant",
                                    "-input_amplitude", "0", "-cont_parameter", "input_amplitude",
                                    "-cont_min", "-1", "-cont_max", "1"))
    b = d["branches"][0]
    assert "-x" not in d["attrs"]["symmetry"]
    assert b["parameter"].min() <= -1 + 1e-12 and b["parameter"].max() >= 1 - 1e-12
    u = b["mean"]
    np.testing.assert_allclose(u, 0.5 * np.tanh(u) + b["parameter"], atol=1e-9)


def test_log_view_names_the_tracer_phases(tmp, ring):
    """-log_view lists eqrnn's own phases with their counts: one switch per new branch point (the ring's one, at
    J1 = 2), a corrector solve and a spectrum for every point written, at least."""
    log = tmp / "ring_log.txt"
    run_continue(tmp, "ring_log", (*RING, "-log_view", f":{log}"), ranks=2)
    counts = {}
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) > 2 and (parts[0].startswith("Cont") or parts[0].startswith("Sym")):
            counts[parts[0]] = int(parts[1])
    new_points = sum(1 for r in ring["rows"] if r["type"] == "branch")
    points = sum(len(b["parameter"]) for b in ring["branches"])
    assert new_points == 1
    assert counts.get("ContSwitch") == new_points
    assert counts.get("SymRepresentation") == new_points  # depth 1: only branch 0's point is switched
    assert counts.get("ContCorrect", 0) >= points and counts.get("ContSpectrum", 0) >= points
    for phase in ("ContTangent", "ContCharacter", "ContSummarise", "ContRecord", "SymApply", "SymCorrelation"):
        assert counts.get(phase, 0) > 0, phase


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("ranks", [1, 2])
@pytest.mark.parametrize("args,fragment", [
    (("-cont_parameter", "J3"), "-cont_parameter J3"),
    (("-cont_min", "2", "-cont_max", "2"), "the range is empty"),
    (("-cont_ds", "0"), "-cont_ds"),
    (("-cont_ds", "-0.1"), "-cont_ds"),
    (("-cont_min", "2", "-cont_max", "3"), "outside -cont_min"),
    (("-cont_max", "nan"), "-cont_max"),
])
def test_bad_options_one_error_line(tmp, ranks, args, fragment):
    base = ["-group", "Z16", "-J1", "1.5", "-cont_min", "1", "-cont_max", "3"]
    proc = eqrnn("continue", *base, *args, "-output", tmp / "bad.h5", ranks=ranks, check=False, timeout=120)
    assert_one_line_error(proc, fragment)


# ---------------------------------------------------------------- restart


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f["continuation"].visititems(lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
        attrs = {k: str(v) for k, v in f["continuation"].attrs.items() if k != "wall_seconds"}
    return out, attrs


@pytest.mark.slow
@pytest.mark.parametrize("resume_ranks", [1, 2])
def test_restart_gives_the_same_diagram(tmp, resume_ranks):
    ref = tmp / "restart_ref.h5"
    eqrnn("continue", *TORUS, "-quiet", "-output", ref, timeout=300)
    out = tmp / f"restart_{resume_ranks}.h5"
    stopped = eqrnn("continue", *TORUS, "-quiet", "-output", out, "-checkpoint_branches", "1",
                    "-stop_after_checkpoints", "2", check=False,
                    timeout=300)
    assert stopped.returncode == 85, stopped.stderr
    assert (tmp / f"restart_{resume_ranks}.h5.ckpt.h5").is_file()
    eqrnn("continue", *TORUS, "-quiet", "-output", out, "-checkpoint_branches", "1", "-restart", "auto",
          ranks=resume_ranks, timeout=300)
    (a, aa), (b, ba) = datasets(ref), datasets(out)
    assert aa == ba and a.keys() == b.keys()
    for k in a:
        if a[k].dtype.kind == "f":
            if resume_ranks == 1:  # bitwise on the same rank count
                np.testing.assert_array_equal(a[k], b[k], err_msg=k)
            else:
                np.testing.assert_allclose(a[k], b[k], atol=1e-9, rtol=0, err_msg=k)
        else:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


# ---------------------------------------------------------------- the exact reduced model


@pytest.mark.parametrize("name,args,irreps", [("ring", RING, "chi1"), ("torus", TORUS, "chi1:chi0,chi0:chi1")])
def test_reduced_model_gives_the_same_diagram(tmp, name, args, irreps):
    """-cont_model reduced (dense, R = 2 or 4 coordinates, LAPACK spectra) against the matrix-free full network
    (Newton-Krylov, SLEPc): the same branch points, branches, and at the range's end (both land on -cont_max)
    the same amplitude and the same eigenvalues apart from the N - R at -1."""
    full = run_continue(tmp, name + "_full", args)
    red = run_continue(tmp, name + "_reduced", (*args, "-cont_model", "reduced", "-cont_irreps", irreps))
    assert red["attrs"]["model"] == "reduced" and full["attrs"]["model"] == "full"
    assert [r["type"] for r in red["rows"]] == [r["type"] for r in full["rows"]]
    for a, b in zip(full["rows"], red["rows"]):
        assert abs(a["parameter"] - b["parameter"]) <= 1e-9 and a["multiplicity"] == b["multiplicity"]
    assert len(full["branches"]) == len(red["branches"])
    for a, b in zip(full["branches"], red["branches"]):
        assert (a["stabiliser"], a["isotropy_order"], a["start"]) == (b["stabiliser"], b["isotropy_order"], b["start"])
        end = 2.6 if name == "torus" else 3.0
        if a["start"] != "trivial":  # a trivial branch ends on -cont_min first, then on -cont_max
            assert a["parameter"][-1] == b["parameter"][-1] == end
        assert abs(a["amplitude"][-1] - b["amplitude"][-1]) <= 1e-9 * max(1, a["amplitude"][-1])
        ev_full = a["eigenvalues_re"][-1]
        ev_full = np.sort(ev_full[np.isfinite(ev_full) & (ev_full > -0.999)])
        ev_red = b["eigenvalues_re"][-1]
        ev_red = np.sort(ev_red[np.isfinite(ev_red) & (ev_red > -0.999)])
        np.testing.assert_allclose(ev_full, ev_red, atol=1e-9)
        np.testing.assert_array_equal(a["n_unstable"][-1], b["n_unstable"][-1])


def test_reduced_model_needs_no_input(tmp):
    proc = eqrnn("continue", *RING, "-cont_model", "reduced", "-cont_irreps", "chi1", "-input", "constant",
                 "-input_amplitude", "0.1", "-output", tmp / "bad.h5", check=False, timeout=120)
    assert_one_line_error(proc, "reduce")
