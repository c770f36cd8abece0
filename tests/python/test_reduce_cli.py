"""End-to-end tests of `eqrnn group` and `eqrnn reduce`, and of postprocess/plot_reduced.py.

The expectations come from group theory and from the model x' = -x + W tanh(x), not from earlier output:
irrep dimensions and character orthogonality, orbit-stabiliser, the spectrum at x = 0, the fixed-point equation
and the Jacobian re-checked in numpy with S3 built independently from its generators, the x -> -x symmetry of
tanh, and rank-count invariance. On Z64 and D5 x Z8 every orbit's stabiliser is counted by brute force over G with
the left translations written out in numpy, and its full residual recomputed with J from the kernel's formula.
"""
import itertools
import re

import h5py
import numpy as np
import pytest

from conftest import (ROOT, abelian_convolution, assert_one_line_error, assert_png, assert_script_error, eqrnn,
                      group_convolution, run_script, stabiliser_by_translation, translation_maps)

# S3 with the kernel 4 * (projector on the 2-d irrep): x = 0 has eigenvalue -1 + 4 on the irrep.
S3_GAIN = 4.0
S3_ARGS = ("-group", "S3", "-kernel", "irreps", "-kernel_irreps", "rho2", "-kernel_irrep_gains", str(S3_GAIN),
           "-input", "none")
S3_STARTS = "1000"  # the census is closed under x -> -x from about 500 starts on; takes ~0.2 s


# ---------------------------------------------------------------- eqrnn group

def group_info(*args):
    proc = eqrnn("group", *args)
    out = proc.stdout
    head = re.search(r"^group (\S+): order (\d+), .*?(\d+) conjugacy classes", out, re.M)
    assert head, out
    factors = {}
    for m in re.finditer(r"^factor (\S+): order (\d+), (\d+) conjugacy classes, (\d+) irreps of dimensions (.*)$",
                         out, re.M):
        dims = [int(d) for d in re.findall(r"\((\d+)\)", m.group(5))]
        factors[m.group(1)] = dict(order=int(m.group(2)), classes=int(m.group(3)), irreps=int(m.group(4)),
                                   dims=dims)
    return dict(order=int(head.group(2)), classes=int(head.group(3)), factors=factors, text=out)


def character_table(text):
    """The first printed table as (class sizes, rows of characters, printed dimensions); real tables only."""
    sizes = None
    rows, dims = [], []
    for line in text.splitlines():
        if line.startswith("size") and sizes is None:
            sizes = np.array([int(t) for t in line.split()[1:]])
        m = re.match(r"\S+ \(d=(\d+)\)\s+(.*)$", line)  # row label: the irrep label (rho2, E1, chi3)
        if m and sizes is not None:
            values = m.group(2).split()
            if len(values) != len(sizes):
                break  # next factor's table
            if any("i" in v for v in values):
                raise AssertionError(f"complex character in {line!r}; this helper reads real tables only")
            dims.append(int(m.group(1)))
            rows.append([float(v) for v in values])
        elif rows and not m:
            break
    return sizes, np.array(rows), dims


@pytest.mark.parametrize("group,order,dims", [
    ("S4", 24, [1, 1, 2, 3, 3]),
    ("A5", 60, [1, 3, 3, 4, 5]),
    ("Q8", 8, [1, 1, 1, 1, 2]),
])
def test_group_irreps_and_character_orthogonality(group, order, dims):
    info = group_info("-group", group)
    assert info["order"] == order
    assert info["classes"] == len(dims)  # number of irreps = number of conjugacy classes
    f = info["factors"][group]
    assert sorted(f["dims"]) == dims and f["order"] == order and f["irreps"] == len(dims)
    sizes, chi, printed = character_table(info["text"])
    assert chi.shape == (len(dims), len(dims))
    assert sizes.sum() == order  # the classes partition the group
    assert sum(d * d for d in printed) == order  # sum d^2 = |G|
    np.testing.assert_allclose(chi[:, 0], printed)  # chi(e) = dimension
    # row orthogonality: sum_c |c| chi_i(c) chi_j(c) = |G| delta_ij (tables printed to 4 decimals)
    np.testing.assert_allclose((chi * sizes) @ chi.T, order * np.eye(len(dims)), atol=1e-2 * order)


def test_product_group_prints_both_factors():
    info = group_info("-group", "D6xZ8")
    assert info["order"] == 96
    d6, z8 = info["factors"]["D6"], info["factors"]["Z8"]
    assert d6["order"] == 12 and sorted(d6["dims"]) == [1, 1, 1, 1, 2, 2]
    assert z8["order"] == 8 and z8["dims"] == [1] * 8
    assert info["classes"] == d6["classes"] * z8["classes"] == 48


def test_permutation_group_from_generators():
    # <(1 2)(3 4), (1 3)> is the dihedral group of the square: order 8, irreps 1,1,1,1,2
    info = group_info("-group", "P", "-group_generators", "(1 2)(3 4), (1 3)")
    assert info["order"] == 8 and info["classes"] == 5
    assert sorted(info["factors"]["P"]["dims"]) == [1, 1, 1, 1, 2]


# ---------------------------------------------------------------- bad input

RHO2 = ("-kernel", "irreps", "-kernel_irreps", "rho2", "-kernel_irrep_gains", "4", "-input", "none")
BAD = [
    (["group", "-group", "Y3"], "unknown factor"),
    (["group", "-group", "S9"], "too large"),
    (["group", "-group", "P"], "needs -group_generators"),
    (["group", "-group", "P", "-group_generators", "(1 2"], "unbalanced"),
    (["group", "-group", "P", "-group_generators", "(1 1)"], "repeated"),
    (["reduce", "-group", "S3", "-kernel", "irreps", "-kernel_irreps", "rho9", "-kernel_irrep_gains", "4",
      "-input", "none"], "rho9"),
    (["reduce", "-group", "S3", "-kernel", "irreps", "-kernel_irreps", "rho2", "-kernel_irrep_gains", "4,5",
      "-input", "none"], "-kernel_irrep_gains"),
    (["reduce", "-group", "S3", "-kernel", "irreps", "-kernel_irreps", "rho2", "-kernel_irrep_gains", "4",
      "-input", "bump"], "-input none"),
    (["reduce", "-group", "S3", "-kernel", "class", "-kernel_class_values", "1,2", "-input", "none"],
     "-kernel_class_values"),
    (["reduce", "-group", "S3", *RHO2, "-channels", "0"], "-channels"),
    (["reduce", "-group", "S3", *RHO2, "-channels", "2", "-kernel_channels", "1,2,3"], "-kernel_channels"),
    (["reduce", "-group", "S3", "-kernel", "irreps", "-kernel_irreps", "rho2", "-kernel_irrep_gains", "nan",
      "-input", "none"], "not a finite number"),
]


@pytest.mark.parametrize("args,fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input(tmp_path, args, fragment):
    proc = eqrnn(*args, "-output", tmp_path / "o.h5", cwd=tmp_path, check=False)
    assert_one_line_error(proc, fragment)
    assert not (tmp_path / "o.h5").exists() or args[0] == "group"


# ---------------------------------------------------------------- eqrnn reduce on S3

def s3_cayley():
    """S3 closed from (1 2) and (1 2 3) breadth-first, as eqrnn numbers its elements; product[a, b] = a*b."""
    gens = [(1, 0, 2), (1, 2, 0)]
    perms, index = [(0, 1, 2)], {(0, 1, 2): 0}
    for p in perms:  # grows while iterating: breadth-first
        for g in gens:
            q = tuple(p[g[x]] for x in range(3))
            if q not in index:
                index[q] = len(perms)
                perms.append(q)
    product = np.array([[index[tuple(a[b[x]] for x in range(3))] for b in perms] for a in perms])
    return perms, product


def translations(product):
    """Index maps of the left translations: (L_a x)(g) = x(a^-1 g), as x[maps[a]]."""
    n = len(product)
    inverse = [int(np.flatnonzero(product[a] == 0)[0]) for a in range(n)]
    return [product[inverse[a]] for a in range(n)]


def rho2_projector(perms, product):
    """Projector on the isotypic component of the 2-d irrep: P = (d/|G|) sum_g chi(g^-1) L_g;
    chi = 2 at e, 0 on transpositions, -1 on 3-cycles (chi is real and a class function)."""
    n = len(perms)
    chi = [2 if p == (0, 1, 2) else (0 if sum(p[x] == x for x in range(3)) == 1 else -1) for p in perms]
    P = np.zeros((n, n))
    for g in range(n):
        for h in range(n):  # (L_g x)(h) = x(g^-1 h), i.e. row h, column g^-1 h
            gi = int(np.flatnonzero(product[g] == 0)[0])
            P[h, product[gi, h]] += 2 / n * chi[gi]
    return P


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    path = tmp_path_factory.mktemp("reduce") / "s3.h5"
    eqrnn("reduce", *S3_ARGS, "-reduce_starts", S3_STARTS, "-output", path)
    with h5py.File(path, "r") as f:
        r = f["reduced"]
        orbits = [dict(x=r[f"fp_{i}/x"][:], **{k: v for k, v in r[f"fp_{i}"].attrs.items()})
                  for i in range(int(r.attrs["count"]))]
        top = dict(r.attrs)
    return dict(path=path, top=top, orbits=orbits)


def test_s3_every_orbit_is_verified_on_the_full_network(s3):
    assert len(s3["orbits"]) >= 4
    assert int(s3["top"]["dimension"]) == 4  # rho2 (d = 2) occurs twice in the regular representation
    for o in s3["orbits"]:
        assert int(o["verified"]) == 1
        assert o["residual_full"] < 1e-10
        assert o["spectrum_mismatch"] < 1e-6
        assert o["classification"] == ("stable" if max(o["eigenvalues_real"]) < 0 else "saddle")
        assert list(o["eigenvalues_real"]) == sorted(o["eigenvalues_real"], reverse=True)


def test_s3_orbit_stabiliser(s3):
    perms, product = s3_cayley()
    maps = np.array(translations(product))
    with h5py.File(s3["path"], "r") as f:
        tol = float(f["parameters"].attrs["reduce_symmetry_tol"])
    for o in s3["orbits"]:
        size, stab = int(o["orbit_size"]), int(o["stabiliser_order"])
        assert size in (1, 3, 6) and size * stab == 6
        if stab == 2:
            assert size == 3
        # recount the stabiliser with S3 built here, at the file's tolerance, and compare the elements
        H, dist = stabiliser_by_translation(o["x"], maps, tol)
        assert np.all((dist <= 1e-3 * tol) | (dist > 1e3 * tol)), np.sort(dist)[:3]
        assert len(H) == stab and H == {int(e) for e in o["stabiliser_elements"]}


def test_s3_fixed_points_and_spectra_recomputed_in_numpy(s3):
    perms, product = s3_cayley()
    W = S3_GAIN * rho2_projector(perms, product)
    np.testing.assert_allclose(W @ W, S3_GAIN * W, atol=1e-12)  # W/gain is a projector ...
    assert np.isclose(np.trace(W) / S3_GAIN, 4)  # ... of rank d^2 = 4
    for o in s3["orbits"]:
        x = o["x"]
        np.testing.assert_allclose(-x + W @ np.tanh(x), 0, atol=1e-9)
        jac = -np.eye(6) + W * (1 - np.tanh(x) ** 2)  # column j scaled by tanh'(x_j)
        full = np.sort(np.linalg.eigvals(jac).real)[::-1]
        reduced = np.asarray(o["eigenvalues_real"])
        # the reduced spectrum is the full one without the -1 of the 2 directions off the irrep
        np.testing.assert_allclose(np.sort(np.r_[reduced, -1, -1])[::-1], full, atol=1e-8)


def test_s3_zero_state(s3):
    zero = [o for o in s3["orbits"] if np.abs(o["x"]).max() == 0]
    assert len(zero) == 1
    z = zero[0]
    assert int(z["orbit_size"]) == 1 and int(z["stabiliser_order"]) == 6
    # J = -1 + W tanh'(0) = -1 + gain on the irrep
    np.testing.assert_allclose(z["eigenvalues_real"], [-1 + S3_GAIN] * 4, atol=1e-10)
    np.testing.assert_allclose(z["eigenvalues_imag"], 0, atol=1e-10)
    assert z["classification"] == "saddle" and int(z["n_unstable"]) == 4


def test_s3_orbits_are_distinct_and_closed_under_negation(s3):
    # tanh is odd, so -x is a fixed point whenever x is, with the same spectrum (tanh' is even)
    maps = translations(s3_cayley()[1])
    xs = [o["x"] for o in s3["orbits"]]

    def matches(x, y):
        return any(np.allclose(y[m], x, atol=1e-7) for m in maps)

    for i, j in itertools.combinations(range(len(xs)), 2):
        assert not matches(xs[i], xs[j]), f"fp_{i} and fp_{j} are the same orbit"
    for i, x in enumerate(xs):
        partners = [j for j, y in enumerate(xs) if matches(-x, y)]
        assert len(partners) == 1, f"-fp_{i} matches orbits {partners}"
        p = s3["orbits"][partners[0]]
        assert int(p["orbit_size"]) == int(s3["orbits"][i]["orbit_size"])
        np.testing.assert_allclose(p["eigenvalues_real"], s3["orbits"][i]["eigenvalues_real"], atol=1e-8)


# ---------------------------------------------------------------- stabilisers and residuals recomputed

def check_orbits_with_numpy(f, apply_J):
    """Every orbit of a reduce run (tanh, no input): the stabiliser counted by brute force over G with the left
    translations written out in numpy (|L_a x - x| <= reduce_symmetry_tol max(1, |x|)), against its order, its
    elements and the orbit size; the full residual |-x + J tanh(x)| / max(1, |x|) with J applied by apply_J
    (from the kernel's formula), against residual_full and the verified flag. Returns the orbits' states."""
    r, p = f["reduced"], f["parameters"].attrs
    assert (p["phi"], p["gain"], p["threshold"], p["input"], p["tau"]) == ("tanh", 1.0, 0.0, "none", 1.0)
    maps, tol = translation_maps(f.attrs["group"]), float(p["reduce_symmetry_tol"])
    xs = []
    for i in range(int(r.attrs["count"])):
        o = r[f"fp_{i}"]
        x = o["x"][:]
        H, dist = stabiliser_by_translation(x, maps, tol)
        assert np.all((dist <= 1e-3 * tol) | (dist > 1e3 * tol)), np.sort(dist)[:4]  # no borderline element
        assert len(H) == int(o.attrs["stabiliser_order"]), (i, sorted(H))
        assert H == {int(e) for e in o.attrs["stabiliser_elements"]}, i
        assert int(o.attrs["orbit_size"]) * len(H) == len(maps)
        res = np.linalg.norm(-x + apply_J(np.tanh(x))) / max(1.0, np.linalg.norm(x))
        assert abs(res - o.attrs["residual_full"]) < 1e-13, (i, res, o.attrs["residual_full"])
        # verified = 1 only where the recomputed residual passes; here every orbit must pass
        assert res < 1e-10 and int(o.attrs["verified"]) == 1, (i, res)
        xs.append(x)
    return xs


def test_ring_irreps_kernel_orbits_recomputed(tmp_path):
    # Z64 with w(g) = 2 * 3 * cos(2 pi g / 64) (the irreps kernel on chi1 with gain 3, c_k = 2 for the complex
    # chi1, d_k = 1): J multiplies cos and sin by 3 and kills the rest.
    path = tmp_path / "ring.h5"
    eqrnn("reduce", "-group", "Z64", "-kernel", "irreps", "-kernel_irreps", "chi1", "-kernel_irrep_gains", "3",
          "-input", "none", "-output", path)
    theta = 2 * np.pi * np.arange(64) / 64
    w = 2 * 3 * np.cos(theta)
    with h5py.File(path, "r") as f:
        assert f.attrs["state_shape"] == "64" and int(f["reduced"].attrs["dimension"]) == 2
        xs = check_orbits_with_numpy(f, lambda r: abelian_convolution(w, r, (64,)))
        families = [int(f[f"reduced/fp_{i}"].attrs["family"]) for i in range(len(xs))]
        orders = [int(f[f"reduced/fp_{i}"].attrs["stabiliser_order"]) for i in range(len(xs))]
    # x = 0 (stabiliser G) first, then lattice orbits of the bump ring x = A cos(theta - phi): each lies in
    # V_K = span{cos, sin} (the lift B a), has the trivial stabiliser of Z64 and the same amplitude; docs/commands.md:
    # "the ring Z64 with chi1 gives 2 families, x = 0 and the bump ring"
    assert np.abs(xs[0]).max() == 0 and orders[0] == 64
    basis = np.stack([np.cos(theta), np.sin(theta)], axis=1) / np.sqrt(32)
    assert len(xs) >= 3
    for x in xs[1:]:
        assert np.linalg.norm(x - basis @ (basis.T @ x)) < 1e-12 * np.linalg.norm(x)
        assert abs(np.linalg.norm(x) - np.linalg.norm(xs[1])) < 1e-9 * np.linalg.norm(x)
    assert orders[1:] == [1] * (len(xs) - 1)
    assert families[0] != families[1] and set(families[1:]) == {families[1]}
    assert len(set(families)) == 2


def d5xz8_kernel():
    """w on D5 x Z8 for the irreps kernel E1:chi1 with gain 4 (docs/mathematics.md section 4): w(g) =
    c_k d_k Re tr(4 rho(g)) = 2 * 2 * 4 * chi_E1(r^j s^e) cos(2 pi k / 8), chi_E1(r^j) = 2 cos(2 pi j / 5),
    chi_E1(r^j s) = 0; element (r^j s^e, k) at index (8 j + k) 2 + e."""
    j, k, e = np.meshgrid(np.arange(5), np.arange(8), np.arange(2), indexing="ij")
    return (16 * np.where(e == 0, 2 * np.cos(2 * np.pi * j / 5), 0.0) * np.cos(2 * np.pi * k / 8)).ravel()


# ---------------------------------------------------------------- rank invariance

@pytest.mark.slow
def test_reduce_is_the_same_on_1_and_3_ranks(tmp_path):
    args = ("reduce", "-group", "D5xZ8", "-kernel", "irreps", "-kernel_irreps", "E1:chi1", "-kernel_irrep_gains",
            "4", "-input", "none", "-reduce_starts", "20")
    maps = translation_maps("D5xZ8")
    J = group_convolution(maps, d5xz8_kernel())  # dense, from the group law written out in numpy
    # J / 4 is the projector on the isotypic component of E1:chi1 and its conjugate: rank 2 * 2^2 = 8
    np.testing.assert_allclose(J @ J, 4 * J, atol=1e-12)
    assert np.isclose(np.trace(J) / 4, 8)
    keys = []
    for ranks in (1, 3):
        path = tmp_path / f"np{ranks}.h5"
        eqrnn(*args, "-output", path, ranks=ranks)
        with h5py.File(path, "r") as f:
            assert f.attrs["state_shape"] == "5x8x2" and int(f["reduced"].attrs["dimension"]) == 8
            xs = check_orbits_with_numpy(f, lambda r: J @ r)
            r = f["reduced"]
            ms = [r[f"fp_{i}"] for i in range(len(xs))]
            keys.append(sorted((round(float(np.linalg.norm(m["x"][:])), 6), int(m.attrs["orbit_size"]))
                               for m in ms))
    assert len(keys[0]) >= 2 and keys[0] == keys[1]


# ---------------------------------------------------------------- plot_reduced.py

def plot(*args):
    return run_script("plot_reduced.py", *args)


@pytest.mark.slow
def test_plot_reduced_writes_a_png_and_a_table(s3, tmp_path):
    fig = tmp_path / "fig.png"
    proc = plot(s3["path"], "-o", fig)
    assert proc.returncode == 0, proc.stderr
    assert fig.stat().st_size > 1000
    assert_png(fig)
    # one table row per orbit, starting with its index
    rows = [line for line in proc.stdout.splitlines() if re.match(r"^\d+\s", line)]
    assert len(rows) == len(s3["orbits"])


@pytest.mark.parametrize("kind", ["missing", "not_hdf5", "no_reduced"])
def test_plot_reduced_bad_input(tmp_path, kind):
    path = tmp_path / f"{kind}.h5"
    if kind == "not_hdf5":
        path.write_text("not hdf5\n")
    elif kind == "no_reduced":
        eqrnn("simulate", "-group", "Z8", "-t_final", "1", "-quiet", "-output", path)
    assert_script_error(plot(path, "-o", tmp_path / "fig.png"), "plot_reduced.py")
    assert not (tmp_path / "fig.png").exists()


@pytest.mark.slow
def test_example_decks_run(tmp_path):
    # input/dihedral.yaml: D64 with two channels, 2 x 128 neurons, on 2 ranks; the state stays finite and the
    # parameters recorded are the deck's.
    out = tmp_path / "dihedral.h5"
    eqrnn("simulate", "-options_file_yaml", ROOT / "input" / "dihedral.yaml", "-t_final", 5, "-quiet",
          "-output", out, ranks=2)
    with h5py.File(out, "r") as f:
        x = f["/final/x"][...]
        assert x.size == 2 * 128 and np.all(np.isfinite(x))
        assert int(f["/parameters"].attrs["channels"]) == 2
        # state_shape: the 64 rotations, then 2 finite parts (e, s) x 2 channels; N counts neurons.
        assert f.attrs["state_shape"] in ("64x4", b"64x4") and int(f.attrs["N"]) == 256
    png = tmp_path / "dihedral.png"
    proc = run_script("plot_activity.py", out, "-o", png)
    assert proc.returncode == 0, proc.stderr
    assert png.stat().st_size > 1000
    # input/s4_reduce.yaml: the 9-dimensional reduced model on S4's rho3; every orbit verified, and an orbit
    # and its stabiliser always multiply to |S4| = 24.
    out = tmp_path / "s4.h5"
    eqrnn("reduce", "-options_file_yaml", ROOT / "input" / "s4_reduce.yaml", "-reduce_starts", 40, "-output", out)
    with h5py.File(out, "r") as f:
        assert int(f["/reduced"].attrs["dimension"]) == 9
        fps = [f["/reduced"][k] for k in f["/reduced"] if k.startswith("fp_")]
        assert fps
        for g in fps:
            assert int(g.attrs["verified"]) == 1
            assert int(g.attrs["orbit_size"]) * int(g.attrs["stabiliser_order"]) == 24
        assert 1 <= int(f["/reduced"].attrs["families"]) <= len(fps)
