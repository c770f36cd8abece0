"""Tests of postprocess/plot_fixed_points.py and postprocess/plot_spectrum.py on real
eqrnn fixedpoints output.

The scripts are run as subprocesses, as users run them (conftest.run_script).  Input
files come from the eqrnn binary (EQRNN_BIN, default build/eqrnn) so that the tests follow
the real file layout, not a hand-made imitation; the broken inputs are real files with one
thing taken away.

    /usr/bin/python3 -m pytest -q tests/python/test_fixed_point_plots.py
"""

import shutil
import sys

import h5py
import numpy as np
import pytest

from conftest import POSTPROCESS, assert_plot_ok, assert_script_error, eqrnn_output, run_script

SCRIPTS = ("plot_fixed_points", "plot_spectrum")
MAX_PANELS = 12  # plot_fixed_points.MAX_PANELS
MIN_SIDE = 200  # pixels: even a one-panel figure here is larger

# (group, options) of each census; all take about a second or less
CENSUSES = {
    "torus": ("Z16xZ16", ["-J1", "2.2", "-fp_stability", "-fp_starts", "6"]),  # zero, 2 stripes, mixed
    "ring": ("Z64", ["-J1", "3", "-fp_stability", "-fp_starts", "2"]),  # zero state and bump(s)
    "unanalysed": ("Z64", ["-J1", "3", "-fp_starts", "2"]),  # no spectrum: "not computed"
    "three": ("Z6xZ5xZ4", ["-J1", "3", "-fp_stability", "-fp_starts", "2"]),  # ~10 manifolds
    "many": ("Z6xZ5xZ4", ["-J1", "3", "-fp_stability", "-fp_starts", "8"]),  # more than MAX_PANELS
    "scalar": ("Z1", ["-J1", "3", "-fp_stability", "-fp_starts", "2"]),  # group of order 1
}
MPI_CENSUSES = {"three"}  # the slab-decomposed path must write the same layout
SLOW_FIXTURES = {"h5files"}  # the censuses take about 3 s together: their tests are slow (conftest)


@pytest.fixture(scope="module")
def h5files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eqrnn_fixedpoints")
    files = {name: eqrnn_output(tmp / f"{name}.h5", "fixedpoints", "-group", group, *options,
                                ranks=2 if name in MPI_CENSUSES else 1, cwd=tmp)
             for name, (group, options) in CENSUSES.items()}
    # a real eqrnn file that has no /fixed_points
    files["simulation"] = eqrnn_output(tmp / "simulation.h5", "simulate", "-group", "Z8", "-t_final", "1", cwd=tmp)
    return files


def count(path):
    with h5py.File(path, "r") as h5:
        return int(h5["fixed_points"].attrs["count"])


def plot(script, *args):
    return run_script(f"{script}.py", *args)


def assert_figure(run, out):
    return assert_plot_ok(run, out, MIN_SIDE)


def coloured_pixels(image):
    """Pixels that are neither white, black nor grey: markers, lines and image cells."""
    return int(np.count_nonzero(image.max(axis=-1) - image.min(axis=-1) > 0.2))


def symmetry_classes(path):
    with h5py.File(path, "r") as h5:
        return [int(h5[f"fixed_points/fp_{i}"].attrs["symmetry_class"]) for i in range(count(path))]


def legacy_copy(path, out):
    """The census as an older eqrnn wrote it: no symmetry_class, lattice_orbit, isotropy on the manifolds."""
    shutil.copyfile(path, out)
    with h5py.File(out, "r+") as h5:
        for i in range(int(h5["fixed_points"].attrs["count"])):
            for name in ("symmetry_class", "lattice_orbit", "isotropy", "isotropy_order"):
                del h5[f"fixed_points/fp_{i}"].attrs[name]
        for name in ("symmetry_classes", "lattice_orbits", "symmetry"):
            del h5["fixed_points"].attrs[name]
    return out


def assert_error(run, script):
    """The script's one-line error (conftest.assert_script_error)."""
    assert_script_error(run, f"{script}.py")


# ----------------------------------------------------------------------------- the input files


def test_eqrnn_files_have_the_expected_layout(h5files):
    # guards the assumptions the scripts rely on, so a layout change fails here first
    # zero, two stripes and the mixed state: 4 families; the lattice may split the mixed one into a few orbits
    assert 4 <= count(h5files["torus"]) <= 7
    with h5py.File(h5files["torus"], "r") as h5:
        families = {int(h5[f"fixed_points/fp_{i}"].attrs["family"]) for i in range(count(h5files["torus"]))}
    assert len(families) == 4
    # zero state plus the bump orbit(s): site- and bond-centred bumps are distinct orbits on Z64
    assert 2 <= count(h5files["ring"]) < 4, "the panel test needs fewer ring panels than columns"
    assert count(h5files["many"]) > MAX_PANELS, "the cap test needs more manifolds than panels"
    assert 8 < count(h5files["three"]) <= MAX_PANELS, "the cap test compares with a 3-row grid"
    with h5py.File(h5files["torus"], "r") as h5:
        n = int(h5.attrs["N"])
        assert (n, h5.attrs["group"]) == (256, "Z16xZ16")
        for i in range(count(h5files["torus"])):
            fp = h5[f"fixed_points/fp_{i}"]
            assert fp["x"].shape == (n,)
            assert fp.attrs["classification"] in ("stable", "saddle", "unknown")
            assert len(fp.attrs["eigenvalues_real"]) == len(fp.attrs["eigenvalues_imag"]) > 0
        assert h5["fixed_points/fp_0"].attrs["stabiliser"].startswith("G")  # the zero state
    with h5py.File(h5files["unanalysed"], "r") as h5:
        attrs = h5["fixed_points/fp_1"].attrs
        assert attrs["classification"] == "not computed"
        # empty attributes have a NULL dataspace, which h5py returns as h5py.Empty
        assert isinstance(attrs["eigenvalues_real"], h5py.Empty)


# ----------------------------------------------------------------------------- figures


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("name", CENSUSES)
def test_plot_writes_png(h5files, outdir, script, name):
    out = outdir / f"{script}_{name}.png"
    assert_figure(plot(script, h5files[name], "-o", out), out)


@pytest.mark.parametrize("script", SCRIPTS)
def test_title_option(h5files, outdir, script):
    default, titled = outdir / "default.png", outdir / "titled.png"
    assert_figure(plot(script, h5files["ring"], "-o", default), default)
    assert_figure(plot(script, h5files["ring"], "-o", titled, "--title", "bump census"), titled)
    assert default.read_bytes() != titled.read_bytes()


def test_one_panel_per_class(h5files, outdir):
    images = {}
    for name in ("ring", "torus", "three"):
        out = outdir / f"{name}.png"
        images[name] = assert_figure(plot("plot_fixed_points", h5files[name], "-o", out), out)
    # 2 panels (zero, bump) in one row against 3 (zero, stripes, mixed); 1 row against 2 (8 classes)
    assert len(set(symmetry_classes(h5files["ring"]))) == 2 and len(set(symmetry_classes(h5files["torus"]))) == 3
    assert 4 < len(set(symmetry_classes(h5files["three"]))) <= 8
    assert images["ring"].shape[1] < 0.9 * images["torus"].shape[1]
    assert images["three"].shape[0] > 1.5 * images["ring"].shape[0]
    # the torus's 4-7 manifolds make 3 panels, one row: less than the 2 rows of panels per manifold
    legacy = outdir / "torus_legacy.png"
    old = assert_figure(plot("plot_fixed_points", legacy_copy(h5files["torus"], outdir / "legacy.h5"), "-o", legacy),
                        legacy)
    assert old.shape[0] > 1.5 * images["torus"].shape[0]


def test_one_panel_per_manifold_without_classes(h5files, outdir):
    # files of an older eqrnn (and of eqrnn stability) have no symmetry_class: the old layout, one panel each
    images = {}
    for name in ("ring", "three"):
        out = outdir / f"{name}_legacy.png"
        images[name] = assert_figure(
            plot("plot_fixed_points", legacy_copy(h5files[name], outdir / f"{name}_legacy.h5"), "-o", out), out)
    # 2-3 panels in one row against 3 rows (9-12 manifolds)
    assert images["three"].shape[0] > 2 * images["ring"].shape[0]


def test_class_captions(h5files):
    """The panels' grouping and captions, from the script's own functions on the real files: the classes, their
    G-orbit and lattice-orbit counts, and the representative (largest isotropy subgroup in Γ)."""
    sys.path.insert(0, str(POSTPROCESS))
    try:
        import plot_fixed_points as script
        from eqrnn_io import load_fixed_points
    finally:
        sys.path.remove(str(POSTPROCESS))
    data = load_fixed_points(h5files["torus"])
    assert data["symmetry"].startswith("Z16xZ16 x| {e, ") and data["symmetry"].endswith("(order 4096)")
    classes = script.symmetry_classes(data["manifolds"])
    assert [c["index"] for c in classes] == [0, 1, 2]
    assert sum(len(c["members"]) for c in classes) == len(data["manifolds"])
    zero, stripes, mixed = classes
    assert [m["index"] for m in zero["members"]] == [0] and zero["representative"]["isotropy_order"] == 4096
    # stripes along either axis: one lattice orbit (related by the swap), two families
    assert len(stripes["members"]) >= 2 and len({m["family"] for m in stripes["members"]}) == 2
    assert {m["stabiliser"] for m in stripes["members"]} == {"Z16 x Z1", "Z1 x Z16"}
    rep = mixed["representative"]
    assert rep["isotropy_order"] == max(m["isotropy_order"] for m in mixed["members"]) == 16
    title = script.class_title(mixed)
    n, k = len(mixed["members"]), mixed["lattice_orbits"]
    assert f"class 2 (fp_{rep['index']}): saddle, 1 unstable, 2 marginal" in title
    assert f"{n} G-orbit{'s' * (n != 1)} in {k} lattice orbit{'s' * (k != 1)}" in title
    assert "stabiliser {e}, isotropy order 16" in title
    # the ring: x = 0 and the bump, whose lattice copies are one class
    ring = script.symmetry_classes(load_fixed_points(h5files["ring"])["manifolds"])
    assert len(ring) == 2 and ring[1]["representative"]["isotropy_order"] == 4  # reflection, x -> -x with L(32)
    # no classes: None (the per-manifold layout)
    for m in data["manifolds"]:
        m["symmetry_class"] = None
    assert script.symmetry_classes(data["manifolds"]) is None


def test_panels_are_capped(h5files, outdir):
    # more than MAX_PANELS classes: each manifold of the "many" census made its own class
    classes = outdir / "many_classes.h5"
    shutil.copyfile(h5files["many"], classes)
    with h5py.File(classes, "r+") as h5:
        for i in range(count(classes)):
            h5[f"fixed_points/fp_{i}"].attrs["symmetry_class"] = i
            h5[f"fixed_points/fp_{i}"].attrs["lattice_orbit"] = i
    for many_file, three_file, tag in ((legacy_copy(h5files["many"], outdir / "many_legacy.h5"),
                                        legacy_copy(h5files["three"], outdir / "three_legacy.h5"), "manifolds"),
                                       (classes, legacy_copy(h5files["three"], outdir / "three_legacy.h5"), "classes")):
        capped, full = outdir / f"many_{tag}.png", outdir / f"three_{tag}.png"
        many = assert_figure(plot("plot_fixed_points", many_file, "-o", capped), capped)
        three = assert_figure(plot("plot_fixed_points", three_file, "-o", full), full)
        # more than 12 panels still give 3 rows of 4, not 4 rows; the extra title line
        # ("... left out") and the longer class captions make the capped figure a little taller, a 4th row would add
        # ~400 px
        assert many.shape[1] == three.shape[1], tag
        assert abs(many.shape[0] - three.shape[0]) < 0.15 * three.shape[0], tag


def test_spectrum_without_eigenvalues_draws_no_markers(h5files, outdir):
    analysed, unanalysed = outdir / "analysed.png", outdir / "unanalysed.png"
    with_markers = assert_figure(plot("plot_spectrum", h5files["ring"], "-o", analysed), analysed)
    without = assert_figure(plot("plot_spectrum", h5files["unanalysed"], "-o", unanalysed), unanalysed)
    # the eigenvalue markers are the only colour in a spectrum figure
    assert coloured_pixels(with_markers) > 200
    assert coloured_pixels(without) == 0


# ----------------------------------------------------------------------------- errors


@pytest.fixture
def damaged(h5files, outdir):
    """A copy of a real census to break one thing in."""
    copy = outdir / "damaged.h5"
    shutil.copyfile(h5files["ring"], copy)
    return copy


@pytest.mark.parametrize("script", SCRIPTS)
def test_missing_file(outdir, script):
    assert_error(plot(script, outdir / "nonexistent.h5", "-o", outdir / "x.png"), script)


@pytest.mark.parametrize("script", SCRIPTS)
def test_text_file_named_h5(outdir, script):
    fake = outdir / "fake.h5"
    fake.write_text("not an HDF5 file\n")
    assert_error(plot(script, fake, "-o", outdir / "x.png"), script)


@pytest.mark.parametrize("script", SCRIPTS)
def test_file_without_fixed_points(h5files, outdir, script):
    run = plot(script, h5files["simulation"], "-o", outdir / "x.png")
    assert_error(run, script)
    assert "/fixed_points" in run.stderr
    assert not (outdir / "x.png").exists()


@pytest.mark.parametrize("script", SCRIPTS)
def test_missing_manifold(damaged, outdir, script):
    with h5py.File(damaged, "r+") as h5:
        del h5["fixed_points/fp_1"]  # count still says 2
    run = plot(script, damaged, "-o", outdir / "x.png")
    assert_error(run, script)
    assert "fp_1" in run.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_empty_census(damaged, outdir, script):
    with h5py.File(damaged, "r+") as h5:
        h5["fixed_points"].attrs["count"] = 0
    assert_error(plot(script, damaged, "-o", outdir / "x.png"), script)


def test_state_of_wrong_length(damaged, outdir):
    with h5py.File(damaged, "r+") as h5:
        del h5["fixed_points/fp_0/x"]
        h5["fixed_points/fp_0/x"] = np.zeros(63)
    assert_error(plot("plot_fixed_points", damaged, "-o", outdir / "x.png"), "plot_fixed_points")


def test_eigenvalue_arrays_of_different_length(damaged, outdir):
    with h5py.File(damaged, "r+") as h5:
        h5["fixed_points/fp_1"].attrs["eigenvalues_imag"] = np.zeros(3)
    assert_error(plot("plot_spectrum", damaged, "-o", outdir / "x.png"), "plot_spectrum")


@pytest.mark.parametrize("script", SCRIPTS)
def test_missing_output_directory(h5files, outdir, script):
    out = outdir / "no" / "such" / "dir" / "x.png"
    assert_error(plot(script, h5files["ring"], "-o", out), script)
    assert not out.exists()


@pytest.mark.parametrize("script", SCRIPTS)
def test_missing_output_option(h5files, script):
    assert_error(plot(script, h5files["ring"]), script)
