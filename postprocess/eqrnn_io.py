"""Reading eqrnn HDF5 files and reporting problems with them, shared by the postprocess scripts.

Not a script.  Every script reports a problem with its input or output path as one line on stderr,
"PROG: error: ...", with exit status 2: InputError carries the line, fail() prints it and exits, OneLineParser
does the same for argparse's own errors.  The readers raise InputError for what a user can get wrong (a missing,
foreign, damaged or half-written file, a file of another command); the scripts turn h5py's exceptions for
unexpected content into the same one-line message.

h5py is imported inside the functions that need it, so that every script's --help works without it.
"""

import argparse
import math
import os
import re
import sys

import numpy as np

# Non-abelian factors (and several channels) put a last state_shape axis of finite parts x channels, q C + c,
# after the angle axes: not an angle (src/groups: D<n>, S<n>, A<n>, Q8, P from generators).
COMPONENT_FACTORS = re.compile(r"(^|x)(D\d|S\d|A\d|Q8|P)")
# /fixed_points/fp_<i> attributes every fixed-point figure and table needs
MANIFOLD_ATTRIBUTES = ("stabiliser", "orbit_size", "classification")
NOT_COMPUTED = "not computed"  # the classification eqrnn writes when no spectrum was computed


# ----------------------------------------------------------------------------- errors


class InputError(Exception):
    """A problem with the user's input that deserves a one-line message, not a traceback."""


def error_line(prog, reason):
    """'PROG: error: reason' on one line: HDF5 messages can span several."""
    one_line = " ".join(str(reason).splitlines())
    return f"{prog}: error: {one_line}"


def fail(prog, reason):
    """Report like argparse's own errors (prog: error: ...) but on one line only, and exit with status 2."""
    print(error_line(prog, reason), file=sys.stderr)
    sys.exit(2)


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the usage before its error line; the contract here is one line."""

    def error(self, message):
        fail(self.prog, message)


def check_output_directory(path):
    """Before any reading, so that a typo in -o costs nothing and nothing is written on failure."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(f"output directory does not exist: {folder}")


# ----------------------------------------------------------------------------- files and attributes


def as_str(value):
    """h5py returns variable-length strings as str, fixed-length ones as bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)


def open_hdf5(path):
    """Open an HDF5 file for reading, with a one-line InputError for a missing, foreign or damaged file."""
    import h5py

    if not os.path.isfile(path):
        raise InputError(f"no such file: {path}")
    if not h5py.is_hdf5(path):
        raise InputError(f"not an HDF5 file: {path}")
    try:
        return h5py.File(path, "r")
    except OSError as e:  # a damaged or truncated file: one line, not a traceback
        raise InputError(f"cannot open {path}: {e}") from None


def parse_group(spec):
    """'Z64xZ48' -> (64, 48): the factor orders, in storage order (last fastest)."""
    factors = spec.split("x")
    matches = [re.fullmatch(r"Z(\d+)", f.strip()) for f in factors]
    if not all(matches) or any(int(m.group(1)) < 1 for m in matches):
        raise InputError(f"cannot parse group '{spec}' (expected Z<n> factors joined by 'x')")
    return tuple(int(m.group(1)) for m in matches)


def parse_shape(text):
    """'64x4' -> (64, 4): the state_shape attribute eqrnn writes for every group."""
    parts = text.split("x")
    if not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        raise InputError(f"cannot parse state_shape '{text}'")
    return tuple(int(p) for p in parts)


def open_result(path):
    """Open an eqrnn HDF5 file after the checks every script needs; returns (h5 file, group spec, group shape)."""
    h5 = open_hdf5(path)
    if "group" not in h5.attrs:
        h5.close()
        raise InputError(f"{path}: missing root attribute 'group'")
    group = as_str(h5.attrs["group"])
    try:
        # state_shape (any group: axes, then finite parts x channels); older files: the factor orders.
        shape = parse_shape(as_str(h5.attrs["state_shape"])) if "state_shape" in h5.attrs else parse_group(group)
    except InputError:
        h5.close()
        raise
    return h5, group, shape


def has_component_axis(group, channels):
    """Is the last state_shape axis finite parts x channels (q C + c) rather than an angle?"""
    return bool(COMPONENT_FACTORS.search(group)) or channels > 1


def string_parameters(h5):
    """/parameters as strings (what titles and labels show); empty for a file without it."""
    return {k: as_str(v) for k, v in h5["parameters"].attrs.items()} if "parameters" in h5 else {}


def read_dataset(h5, path):
    if path not in h5 or not hasattr(h5[path], "shape"):
        raise InputError(f"{h5.filename}: missing dataset /{path}")
    return np.asarray(h5[path][()], dtype=float)


def array_attribute(attrs, name):
    """A float array attribute, empty when absent; eqrnn stores empty arrays with a NULL
    dataspace, which h5py hands back as h5py.Empty rather than as a zero-length array."""
    import h5py

    value = attrs.get(name)
    if value is None or isinstance(value, h5py.Empty):
        return np.zeros(0)
    return np.atleast_1d(np.asarray(value, dtype=float))


# ----------------------------------------------------------------------------- fixed points


def read_manifold(fixed_points, i, n):
    """/fixed_points/fp_<i> of a group of order n, validated: its state, classification and spectrum."""
    where = f"{fixed_points.file.filename}: /fixed_points/fp_{i}"
    name = f"fp_{i}"
    if name not in fixed_points or "x" not in fixed_points[name]:
        raise InputError(f"{where}/x is missing (count = {fixed_points.attrs['count']})")
    group = fixed_points[name]
    x = np.asarray(group["x"][()], dtype=float)
    if x.shape != (n,):
        raise InputError(f"{where}/x has shape {x.shape} but the group has order {n}")
    missing = [a for a in MANIFOLD_ATTRIBUTES if a not in group.attrs]
    if missing:
        raise InputError(f"{where} lacks attribute(s) {', '.join(missing)}")
    real = array_attribute(group.attrs, "eigenvalues_real")
    imag = array_attribute(group.attrs, "eigenvalues_imag")
    if real.shape != imag.shape:
        raise InputError(f"{where}: {len(real)} eigenvalues_real but {len(imag)} eigenvalues_imag")
    return dict(
        index=i,
        x=x,
        stabiliser=as_str(group.attrs["stabiliser"]),
        orbit_size=int(group.attrs["orbit_size"]),
        classification=as_str(group.attrs["classification"]),
        n_unstable=int(group.attrs.get("n_unstable", 0)),
        n_marginal=int(group.attrs.get("n_marginal", 0)),
        eigenvalues=real + 1j * imag,
        family=optional_int(group.attrs, "family"),
        # the census's grouping under the network's whole symmetry group (None in older files and for stability)
        symmetry_class=optional_int(group.attrs, "symmetry_class"),
        lattice_orbit=optional_int(group.attrs, "lattice_orbit"),
        isotropy=as_str(group.attrs["isotropy"]) if "isotropy" in group.attrs else None,
        isotropy_order=optional_int(group.attrs, "isotropy_order"),
    )


def optional_int(attrs, name):
    """An integer attribute, None when absent."""
    return int(attrs[name]) if name in attrs else None


def load_fixed_points(path):
    """Read and validate /fixed_points (eqrnn fixedpoints or stability); raise InputError on anything unexpected."""
    import h5py

    h5, group, shape = open_result(path)
    with h5:
        n = math.prod(shape)
        if "N" in h5.attrs and int(h5.attrs["N"]) != n:
            raise InputError(f"{path}: attribute N = {int(h5.attrs['N'])} but the group has order {n}")
        if not isinstance(h5.get("fixed_points"), h5py.Group):
            raise InputError(f"{path}: no /fixed_points group (write one with eqrnn fixedpoints)")
        fixed_points = h5["fixed_points"]
        if "count" not in fixed_points.attrs:
            raise InputError(f"{path}: /fixed_points lacks attribute 'count'")
        count = int(fixed_points.attrs["count"])
        if count < 1:
            raise InputError(f"{path}: /fixed_points holds no manifolds (count = {count})")
        manifolds = [read_manifold(fixed_points, i, n) for i in range(count)]
        params = string_parameters(h5)
        # Gamma's description and order ("Z32 x| {e, -x, ...} (order 128)"); None in older files and for stability
        symmetry = as_str(fixed_points.attrs["symmetry"]) if "symmetry" in fixed_points.attrs else None
    return dict(path=path, group=group, shape=shape, params=params, manifolds=manifolds, symmetry=symmetry)
