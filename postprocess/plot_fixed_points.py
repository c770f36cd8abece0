#!/usr/bin/python3
"""Plot the fixed-point manifolds stored by eqrnn fixedpoints (or eqrnn stability).

    plot_fixed_points.py FILE.h5 -o FIG.png [--title STR]

Each manifold is one orbit of fixed points; its panel shows the representative state
/fixed_points/fp_<i>/x on the group, titled with the classification (unstable and
marginal counts once a spectrum was computed), the stabiliser and the orbit size.
The picture depends on how many factors of the group have order > 1, as in
plot_activity.py:
  0 (group of order 1)  the single neuron's value as a bar
  1 (ring)              x over the neuron angle, same y-scale in every panel
  2 (torus)             an image, same colour scale in every panel
  3 or more             the same image for the 2-D slice through the first two
                        non-trivial axes with all other coordinates at 0

At most MAX_PANELS manifolds are drawn (in file order); the title says how many were
left out.  Problems with the input or the output path are reported as one line on
stderr with exit status 2.  load_fixed_points() is shared with plot_spectrum.py.
"""

import argparse
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from plot_activity import (  # noqa: E402  (same group conventions and colour choices)
    open_result,
    COLORBAR_LABEL,
    InputError,
    angles,
    as_str,
    colour_scale,
    default_title,
    pixel_extent,
    set_angle_ticks,
)

PROG = "plot_fixed_points.py"
MAX_PANELS = 12
MAX_COLUMNS = 4
REQUIRED_ATTRIBUTES = ("stabiliser", "orbit_size", "classification")
NOT_COMPUTED = "not computed"


def fail(reason, prog=PROG):
    """Report like argparse's own errors (prog: error: ...) but on one line only."""
    one_line = " ".join(str(reason).splitlines())  # HDF5 messages can span lines
    print(f"{prog}: error: {one_line}", file=sys.stderr)
    sys.exit(2)


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the usage before its error line; the contract here is one line."""

    def error(self, message):
        fail(message, self.prog)


def parse_args(argv, prog=PROG, description="Plot the fixed-point manifolds found by eqrnn fixedpoints."):
    """The command line of this script and of plot_spectrum.py, which differ only in name."""
    parser = OneLineParser(prog=prog, description=description)
    parser.add_argument("file", help="eqrnn HDF5 output (with /fixed_points)")
    parser.add_argument("-o", "--output", required=True, help="figure to write (format from extension)")
    parser.add_argument("--title", help="figure title (default: file name, group and parameters)")
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- reading


def array_attribute(attrs, name):
    """A float array attribute, empty when absent; eqrnn stores empty arrays with a NULL
    dataspace, which h5py hands back as h5py.Empty rather than as a zero-length array."""
    import h5py

    value = attrs.get(name)
    if value is None or isinstance(value, h5py.Empty):
        return np.zeros(0)
    return np.atleast_1d(np.asarray(value, dtype=float))


def read_manifold(fixed_points, i, n):
    where = f"{fixed_points.file.filename}: /fixed_points/fp_{i}"
    name = f"fp_{i}"
    if name not in fixed_points or "x" not in fixed_points[name]:
        raise InputError(f"{where}/x is missing (count = {fixed_points.attrs['count']})")
    group = fixed_points[name]
    x = np.asarray(group["x"][()], dtype=float)
    if x.shape != (n,):
        raise InputError(f"{where}/x has shape {x.shape} but the group has order {n}")
    missing = [a for a in REQUIRED_ATTRIBUTES if a not in group.attrs]
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
    )


def load_fixed_points(path):
    """Read and validate /fixed_points; raise InputError on anything unexpected."""
    import h5py  # imported here so that '--help' works without h5py

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
        params = {k: as_str(v) for k, v in h5["parameters"].attrs.items()} if "parameters" in h5 else {}
    return dict(path=path, group=group, shape=shape, params=params, manifolds=manifolds)


# ----------------------------------------------------------------------------- labels


def status(manifold):
    """'saddle, 4 unstable, 0 marginal'; without a spectrum the counts are meaningless zeros."""
    if manifold["classification"] == NOT_COMPUTED:
        return NOT_COMPUTED
    parts = [manifold["classification"]]
    if manifold["n_unstable"] > 0:
        parts.append(f"{manifold['n_unstable']} unstable")
    parts.append(f"{manifold['n_marginal']} marginal")
    return ", ".join(parts)


def panel_title(manifold):
    return (f"fp_{manifold['index']}: {status(manifold)}\n"
            f"stabiliser {manifold['stabiliser']}, orbit {manifold['orbit_size']}")


# ----------------------------------------------------------------------------- figures


def panel_grid(count, image_panels):
    """A row of up to MAX_COLUMNS panels per line; the unused cells are removed."""
    columns = min(count, MAX_COLUMNS)
    rows = math.ceil(count / columns)
    width = 3.4 * columns + (1.2 if image_panels else 0.4)  # room for the shared colorbar
    fig, grid = plt.subplots(rows, columns, figsize=(width, 3.3 * rows + 0.8), layout="constrained",
                             squeeze=False)
    axes = list(grid.flat)
    for ax in axes[count:]:
        ax.remove()
    return fig, axes[:count]


def draw_scalars(axes, shown):
    """Group of order 1: one neuron, so a bar of its value (shared scale across panels);
    the marker and the printed value keep the zero state visible."""
    values = [m["x"][0] for m in shown]
    limit = 1.2 * max(abs(v) for v in values) or 1.0
    for ax, m, value in zip(axes, shown, values):
        ax.bar([0], [value], width=0.5, color="C0", alpha=0.6)
        ax.plot([0], [value], marker="o", color="C0")
        ax.annotate(f"x = {value:.4g}", (0, value), xytext=(8, 0), textcoords="offset points",
                    va="center")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlim(-1, 1)
        ax.set_ylim(-limit, limit)
        ax.set_xticks([])
        ax.set_ylabel(COLORBAR_LABEL)
        ax.set_title(panel_title(m), fontsize="small")
    return ""


def draw_rings(axes, shown):
    """x over the neuron angle; one y-scale for all panels so amplitudes compare by eye."""
    n = len(shown[0]["x"])  # trivial factors add no neurons
    theta = angles(n)
    values = np.stack([m["x"] for m in shown])
    pad = 0.05 * max(np.ptp(values), 1e-3)
    for ax, m in zip(axes, shown):
        ax.plot(theta, m["x"], marker="." if n <= 64 else None)
        ax.set_ylim(values.min() - pad, values.max() + pad)
        ax.set_xlabel("neuron angle θ")
        ax.set_ylabel(COLORBAR_LABEL)
        set_angle_ticks(ax.set_xticks)
        ax.set_title(panel_title(m), fontsize="small")
    return ""


def draw_images(fig, axes, shown, shape, plane):
    """Images on the plane of group axes `plane`, with one colour scale for all panels."""
    index = tuple(slice(None) if a in plane else 0 for a in range(len(shape)))
    images = [m["x"].reshape(shape)[index] for m in shown]
    scale = colour_scale(np.stack(images))
    for ax, m, image in zip(axes, shown, images):
        drawn = ax.imshow(image, origin="lower", extent=pixel_extent(image.shape), **scale)
        ax.set_xlabel(f"θ{plane[1] + 1} (Z{shape[plane[1]]})")
        ax.set_ylabel(f"θ{plane[0] + 1} (Z{shape[plane[0]]})")
        set_angle_ticks(ax.set_xticks)
        set_angle_ticks(ax.set_yticks)
        ax.set_title(panel_title(m), fontsize="small")
    fig.colorbar(drawn, ax=axes, label=COLORBAR_LABEL, shrink=0.9)
    if len(shape) - shape.count(1) > 2:
        rest = ", ".join(f"θ{a + 1}" for a in range(len(shape)) if a not in plane and shape[a] > 1)
        return f"2-D slice θ{plane[0] + 1}×θ{plane[1] + 1} at {rest} = 0"
    return ""


def make_figure(data):
    """One panel per manifold (at most MAX_PANELS); returns the figure and its notes."""
    manifolds = data["manifolds"]
    shown = manifolds[:MAX_PANELS]
    plane = [a for a, n in enumerate(data["shape"]) if n > 1][:2]
    fig, axes = panel_grid(len(shown), image_panels=len(plane) == 2)
    if not plane:
        note = draw_scalars(axes, shown)
    elif len(plane) == 1:
        note = draw_rings(axes, shown)
    else:
        note = draw_images(fig, axes, shown, data["shape"], plane)
    notes = [note] if note else []
    left_out = len(manifolds) - len(shown)
    if left_out:
        notes.append(f"first {len(shown)} of {len(manifolds)} manifolds shown, {left_out} left out")
    return fig, notes


def figure_title(custom, data, what):
    return custom if custom is not None else f"{default_title(data)} — {what}"


def save(fig, title, notes, output):
    """The notes (slice, left-out panels) are kept with a custom title too: the figure is
    misleading without them."""
    fig.suptitle(title + "".join(f"\n{note}" for note in notes))
    try:
        fig.savefig(output, dpi=120, bbox_inches="tight")
    except (OSError, ValueError) as e:  # unwritable path, unknown format
        raise InputError(f"cannot write {output}: {e}")


def read_input(args):
    """Check the output directory first (cheap, and nothing is written on failure), then load."""
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise InputError(f"output directory does not exist: {out_dir}")
    try:
        return load_fixed_points(args.file)
    except (OSError, KeyError, ValueError, TypeError) as e:  # corrupt or unexpected HDF5 content
        raise InputError(f"cannot read {args.file}: {e}")


# ----------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(argv)
    try:
        data = read_input(args)
        fig, notes = make_figure(data)
        count = len(data["manifolds"])
        save(fig, figure_title(args.title, data, f"{count} fixed-point manifold{'s' * (count != 1)}"),
             notes, args.output)
    except InputError as e:
        fail(e)
    print(args.output)


if __name__ == "__main__":
    main()
