#!/usr/bin/python3
"""Plot the activity stored in an eqrnn simulation file.

    plot_activity.py FILE.h5 -o FIG.png [--times t1,t2,...] [--title STR]

The figure depends on how many factors of the group have order > 1:
  0 (group of order 1)  x(t) as a line plot
  1 (ring)              time x neuron-angle heatmap plus a panel of profiles
  2 (torus)             activity images at a few sample times, shared colour scale
  3 or more             the same images for the 2-D slice through the first two
                        non-trivial axes with all other coordinates at 0

--times picks the samples nearest to the given times: the snapshots on a torus,
the profiles drawn next to a ring's heatmap.  Problems with the input or the
output path are reported as one line on stderr with exit status 2.
"""

import argparse
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PROG = "plot_activity.py"
COLORBAR_LABEL = "activity x"
DEFAULT_SNAPSHOTS = 4


class InputError(Exception):
    """A problem with the user's input that deserves a one-line message, not a traceback."""


def fail(reason):
    """Report like argparse's own errors (prog: error: ...) but on one line only."""
    one_line = " ".join(str(reason).splitlines())  # HDF5 messages can span lines
    print(f"{PROG}: error: {one_line}", file=sys.stderr)
    sys.exit(2)


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the usage before its error line; the contract here is one line."""

    def error(self, message):
        fail(message)


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description="Plot the activity of an eqrnn simulation.")
    parser.add_argument("file", help="eqrnn HDF5 output (with /trajectory/t and /trajectory/x)")
    parser.add_argument("-o", "--output", required=True, help="figure to write (format from extension)")
    parser.add_argument("--times", type=parse_times, help="comma-separated times, e.g. 0,2.5,10")
    parser.add_argument("--title", help="figure title (default: file name, group and parameters)")
    return parser.parse_args(argv)


def parse_times(text):
    try:
        times = [float(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got '{text}'")
    if not times or not all(math.isfinite(t) for t in times):
        raise argparse.ArgumentTypeError(f"expected comma-separated finite numbers, got '{text}'")
    return times


# ----------------------------------------------------------------------------- reading


def as_str(value):
    """h5py returns variable-length strings as str, fixed-length ones as bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)


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


def read_dataset(h5, path):
    if path not in h5 or not hasattr(h5[path], "shape"):
        raise InputError(f"{h5.filename}: missing dataset /{path}")
    return np.asarray(h5[path][()], dtype=float)


def open_hdf5(path):
    """Open an HDF5 file for reading, with a one-line InputError for a missing, foreign or damaged file."""
    import h5py  # imported here so that '--help' works without h5py

    if not os.path.isfile(path):
        raise InputError(f"no such file: {path}")
    if not h5py.is_hdf5(path):
        raise InputError(f"not an HDF5 file: {path}")
    try:
        return h5py.File(path, "r")
    except OSError as e:  # a damaged or truncated file: one line, not a traceback
        raise InputError(f"cannot open {path}: {e}") from None


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


def load(path):
    """Read and validate everything the plots need; raise InputError on anything unexpected."""
    h5, group, shape = open_result(path)
    with h5:
        t = read_dataset(h5, "trajectory/t")
        x = read_dataset(h5, "trajectory/x")
        final = read_dataset(h5, "final/x") if "final/x" in h5 else None
        count = h5["trajectory"].attrs.get("count")
        params = {k: as_str(v) for k, v in h5["parameters"].attrs.items()} if "parameters" in h5 else {}
        n_attr = int(h5.attrs["N"]) if "N" in h5.attrs else None
    t, x = trim_to_count(t, x, count)
    check_shapes(path, shape, n_attr, t, x)
    if final is None or final.shape != (x.shape[1],):
        final = x[-1]  # /final is optional for plotting; the last sample is the next best thing
    # The last dimension of state_shape holds the finite parts x channels (q C + c) for a non-abelian group or
    # several channels: not an angle.
    components = None
    if re.search(r"(^|x)(D\d|S\d|A\d|Q8|P)", group) or int(params.get("channels", 1)) > 1:
        components = len(shape) - 1
    return dict(path=path, group=group, shape=shape, t=t, x=x, final=final, params=params, components=components)


def trim_to_count(t, x, count):
    """The trajectory datasets are extendible; 'count' says how many rows are valid."""
    if count is not None and 0 <= int(count) <= min(len(t), len(x)):
        return t[: int(count)], x[: int(count)]
    return t, x


def check_shapes(path, shape, n_attr, t, x):
    n = math.prod(shape)
    if x.ndim != 2 or t.ndim != 1:
        raise InputError(f"{path}: expected /trajectory/t of shape (T,) and /trajectory/x of shape (T, N)")
    if n_attr is not None and n_attr != n:
        raise InputError(f"{path}: attribute N = {n_attr} but the group has order {n}")
    if x.shape[1] != n:
        raise InputError(f"{path}: /trajectory/x has {x.shape[1]} columns but N = {n}")
    if len(t) != len(x):
        raise InputError(f"{path}: /trajectory/t has {len(t)} samples but /trajectory/x has {len(x)}")
    if len(t) == 0:
        raise InputError(f"{path}: the trajectory has no samples")


# ----------------------------------------------------------------------------- helpers


def pick_samples(t, times):
    """Indices of the samples nearest to `times` (in the given order, without repeats);
    by default DEFAULT_SNAPSHOTS evenly spaced samples including the first and last."""
    if times is None:
        count = min(DEFAULT_SNAPSHOTS, len(t))
        return list(dict.fromkeys(np.linspace(0, len(t) - 1, count).round().astype(int).tolist()))
    return list(dict.fromkeys(int(np.argmin(np.abs(t - s))) for s in times))


def colour_scale(values):
    """Signed activity (tanh) reads best on a diverging map centred at 0; one-signed
    activity (relu, sigmoid) on a sequential one."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if lo < 0 < hi:
        m = max(-lo, hi)
        return dict(cmap="RdBu_r", vmin=-m, vmax=m)
    return dict(cmap="viridis", vmin=lo, vmax=hi)


def cell_edges(centres, spacing):
    """Edges of the cells around sample centres; the last save of a run can be off the
    regular grid (t_final not a multiple of save_interval), so use midpoints."""
    if len(centres) == 1:
        return np.array([centres[0] - spacing / 2, centres[0] + spacing / 2])
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def angles(n):
    """Neuron k of Z_n sits at angle 2 pi k / n."""
    return 2 * np.pi * np.arange(n) / n


def pixel_extent(shape):
    """imshow extent that puts pixel (i, j) at angles (2 pi i / n0, 2 pi j / n1), like the ring."""
    (h0, h1) = (np.pi / n for n in shape)
    return [-h1, 2 * np.pi - h1, -h0, 2 * np.pi - h0]


def set_angle_ticks(axis_setter):
    # no tick at 2π: it is the same neuron as 0 and lies outside the plotted cells
    axis_setter(np.pi * np.arange(4) / 2, ["0", "π/2", "π", "3π/2"])


def default_title(data):
    p = data["params"]
    extras = ", ".join(f"{k}={p[k]}" for k in ("phi", "J1", "kernel") if k in p)
    return f"{os.path.basename(data['path'])}: {data['group']}" + (f" ({extras})" if extras else "")


# ----------------------------------------------------------------------------- figures


def plot_scalar(data):
    """Group of order 1 (or a 1-neuron slice): the single activity over time."""
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    ax.plot(data["t"], data["x"][:, 0], marker="o" if len(data["t"]) < 30 else None)
    ax.set_xlabel("time t")
    ax.set_ylabel(COLORBAR_LABEL)
    return fig, ""


def plot_ring(data, times):
    """Heatmap of the ring activity over time, with selected profiles beside it."""
    t, x = data["t"], data["x"]
    n = x.shape[1]  # trivial factors add no neurons
    if len(t) == 1:  # a heatmap of one row says nothing a profile does not
        return plot_profiles(data, [0]), " (single sample)"
    fig, (ax, side) = plt.subplots(1, 2, figsize=(10, 5), layout="constrained",
                                   gridspec_kw=dict(width_ratios=[3, 1.2]))
    theta = angles(n)
    mesh = ax.pcolormesh(cell_edges(theta, 2 * np.pi / n), cell_edges(t, 1.0), x,
                         shading="flat", rasterized=True, **colour_scale(x))
    fig.colorbar(mesh, ax=ax, label=COLORBAR_LABEL)
    ax.set_xlabel("neuron angle θ")
    ax.set_ylabel("time t")
    set_angle_ticks(ax.set_xticks)
    samples = pick_samples(t, times) if times is not None else []
    draw_profiles(side, theta, [(f"t = {t[k]:g}", x[k]) for k in samples] + [("final", data["final"])])
    side.set_title("profiles")
    side.yaxis.tick_right()  # keeps its label clear of the colorbar's
    side.yaxis.set_label_position("right")
    return fig, ""


def plot_profiles(data, samples):
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    draw_profiles(ax, angles(data["x"].shape[1]), [(f"t = {data['t'][k]:g}", data["x"][k]) for k in samples])
    return fig


def draw_profiles(ax, theta, labelled):
    for label, profile in labelled:
        ax.plot(theta, profile, label=label)
    ax.set_xlabel("neuron angle θ")
    ax.set_ylabel(COLORBAR_LABEL)
    set_angle_ticks(ax.set_xticks)
    ax.legend(fontsize="small")


def plot_snapshots(data, axes, times):
    """Images of the activity on the plane of group axes `axes` at a few sample times."""
    shape, t = data["shape"], data["t"]
    samples = pick_samples(t, times)
    index = tuple(slice(None) if a in axes else 0 for a in range(len(shape)))
    images = [data["x"][k].reshape(shape)[index] for k in samples]
    scale = colour_scale(np.stack(images))  # shared, so the panels can be compared by eye
    fig, panels = plt.subplots(1, len(samples), figsize=(3.2 * len(samples) + 1.5, 3.8),
                               layout="constrained", squeeze=False)
    def label(a):
        if a == data.get("components"):
            return f"finite part × channel, q·C + c ({shape[a]})"
        return f"θ{a + 1} (Z{shape[a]})"

    def ticks(a, setter):
        if a == data.get("components"):  # component j sits at the angle 2 pi j / M of pixel_extent
            js = range(0, shape[a], max(1, shape[a] // 8))
            setter([2 * np.pi * j / shape[a] for j in js], [str(j) for j in js])
        else:
            set_angle_ticks(setter)

    for ax, k, image in zip(panels[0], samples, images):
        shown = ax.imshow(image, origin="lower", extent=pixel_extent(image.shape), **scale)
        ax.set_title(f"t = {t[k]:g}")
        ax.set_xlabel(label(axes[1]))
        ticks(axes[1], ax.set_xticks)
        ticks(axes[0], ax.set_yticks)
    panels[0][0].set_ylabel(label(axes[0]))
    fig.colorbar(shown, ax=list(panels[0]), label=COLORBAR_LABEL)
    if len(shape) - shape.count(1) > 2:
        rest = ", ".join(f"θ{a + 1}" for a in range(len(shape)) if a not in axes and shape[a] > 1)
        return fig, f" — 2-D slice θ{axes[0] + 1}×θ{axes[1] + 1} at {rest} = 0"
    return fig, ""


def make_figure(data, times):
    """Choose the figure from the number of non-trivial factors of the group."""
    axes = [a for a, n in enumerate(data["shape"]) if n > 1]
    if not axes:
        return plot_scalar(data)
    if len(axes) == 1:
        return plot_ring(data, times)
    return plot_snapshots(data, axes[:2], times)


# ----------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(argv)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        fail(f"output directory does not exist: {out_dir}")
    try:
        data = load(args.file)
    except InputError as e:
        fail(str(e))
    except (OSError, KeyError, ValueError) as e:  # corrupt or unexpected HDF5 content
        fail(f"cannot read {args.file}: {e}")
    fig, note = make_figure(data, args.times)
    # the slice note is kept with a custom title too: the figure is misleading without it
    fig.suptitle((args.title if args.title is not None else default_title(data)) + note)
    try:
        fig.savefig(args.output, dpi=120, bbox_inches="tight")
    except (OSError, ValueError) as e:  # unwritable path, unknown format
        fail(f"cannot write {args.output}: {e}")
    print(args.output)


if __name__ == "__main__":
    main()
