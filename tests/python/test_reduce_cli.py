"""End-to-end tests of `eqrnn group` and `eqrnn reduce`, and of postprocess/plot_reduced.py.

The expectations come from group theory and from the model x' = -x + W tanh(x), not from earlier output:
irrep dimensions and character orthogonality, orbit-stabiliser, the spectrum at x = 0, the fixed-point equation
and the Jacobian re-checked in numpy with S3 built independently from its generators, the x -> -x symmetry of
tanh, and rank-count invariance.
"""
import itertools
import re

import h5py
import numpy as np
import pytest

from conftest import ROOT, assert_one_line_error, assert_png, assert_script_error, eqrnn, run_script

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
    maps = translations(product)
    for o in s3["orbits"]:
        size, stab = int(o["orbit_size"]), int(o["stabiliser_order"])
        assert size in (1, 3, 6) and size * stab == 6
        if stab == 2:
            assert size == 3
        # recount the stabiliser with S3 built here
        assert sum(np.allclose(o["x"][m], o["x"], atol=1e-8) for m in maps) == stab


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


# ---------------------------------------------------------------- rank invariance

@pytest.mark.slow
def test_reduce_is_the_same_on_1_and_3_ranks(tmp_path):
    args = ("reduce", "-group", "D5xZ8", "-kernel", "irreps", "-kernel_irreps", "E1:chi1", "-kernel_irrep_gains",
            "4", "-input", "none", "-reduce_starts", "20")
    keys = []
    for ranks in (1, 3):
        path = tmp_path / f"np{ranks}.h5"
        eqrnn(*args, "-output", path, ranks=ranks)
        with h5py.File(path, "r") as f:
            r = f["reduced"]
            ms = [r[f"fp_{i}"] for i in range(int(r.attrs["count"]))]
            assert all(int(m.attrs["verified"]) == 1 for m in ms)
            assert all(int(m.attrs["orbit_size"]) * int(m.attrs["stabiliser_order"]) == 80 for m in ms)
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
