#!/usr/bin/python3
"""Plot the activity stored in an eqrnn simulation file.

    plot_activity.py FILE.h5 -o FIG.png [--times t1,t2,...] [--title STR]

The figure depends on how many factors of the group have order > 1:
  0 (group of order 1)  x(t) as a line plot
  1 (ring)              time x neuron-angle heatmap plus a panel of profiles
  2 (torus)             activity images at a few sample times, shared colour scale
  3 or more             the same images for the 2-D slice through the first two
                        non-trivial axes with all other coordinates at 0

A run written with -trajectory_stride is drawn on the kept grid of points.
A run written without its states (-trajectory_states false) is drawn from its
observables instead: mean and norm against time, and per cyclic axis the first
Fourier harmonic's amplitude and the bump position -phase n / (2 pi).

--times picks the samples nearest to the given times: the snapshots on a torus,
the profiles drawn next to a ring's heatmap.  Problems with the input or the
output path are reported as one line on stderr with exit status 2.
"""

import argparse
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared modules, also when run from elsewhere
from eqrnn_figures import (  # noqa: E402
    COLORBAR_LABEL,
    angles,
    colour_scale,
    default_title,
    pixel_extent,
    set_angle_ticks,
)
from eqrnn_io import (  # noqa: E402
    InputError,
    OneLineParser,
    check_output_directory,
    fail,
    has_component_axis,
    open_result,
    read_dataset,
    string_parameters,
)

PROG = "plot_activity.py"
DEFAULT_SNAPSHOTS = 4


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


def load(path):
    """Read and validate everything the plots need; raise InputError on anything unexpected."""
    h5, group, shape = open_result(path)
    with h5:
        if "trajectory/x" not in h5 and "trajectory/norm" in h5:
            return load_observables(path, h5, group, shape)
        subset = h5["trajectory"].attrs.get("subset_shape") if "trajectory" in h5 else None
        listed = "trajectory" in h5 and "indices_file" in h5["trajectory"].attrs
        if subset is not None:  # stride, slab, channels: drawn on the kept grid; an index list: a row of neurons
            subset = subset.decode() if isinstance(subset, bytes) else str(subset)
            shape = tuple(int(v) for v in subset.split("x"))
        t = read_dataset(h5, "trajectory/t")
        x = read_dataset(h5, "trajectory/x")
        final = read_dataset(h5, "final/x") if "final/x" in h5 else None
        count = h5["trajectory"].attrs.get("count")
        params = string_parameters(h5)
        n_attr = int(h5.attrs["N"]) if "N" in h5.attrs and subset is None else None  # N: the whole state
    t, x = trim_to_count(t, x, count)
    check_shapes(path, shape, n_attr, t, x)
    if final is None or final.shape != (x.shape[1],):
        final = x[-1]  # /final is optional for plotting; the last sample is the next best thing
    # The last dimension of state_shape holds the finite parts x channels (q C + c) for a non-abelian group or
    # several channels: not an angle.
    components = None
    if not listed and has_component_axis(group, int(params.get("channels", 1))):
        components = len(shape) - 1
    return dict(path=path, group=group, shape=shape, t=t, x=x, final=final, params=params, components=components)


def load_observables(path, h5, group, shape):
    """The observables of a run without states: {name: (T,)} trimmed to the valid rows."""
    tr = h5["trajectory"]
    count = int(tr.attrs.get("count", len(tr["t"])))
    obs = {k: np.asarray(tr[k][()], dtype=float)[:count] for k in tr}
    if count == 0 or any(v.ndim != 1 or len(v) != count for v in obs.values()):
        raise InputError(f"{path}: the trajectory observables have no samples or unequal lengths")
    axes = sorted(int(k.rsplit("_", 1)[1]) for k in obs if k.startswith("fourier_amplitude_"))
    return dict(path=path, group=group, shape=shape, t=obs["t"], observables=obs, axes=axes,
                params=string_parameters(h5), components=None)


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


def cell_edges(centres, spacing):
    """Edges of the cells around sample centres; the last save of a run can be off the
    regular grid (t_final not a multiple of save_interval), so use midpoints."""
    if len(centres) == 1:
        return np.array([centres[0] - spacing / 2, centres[0] + spacing / 2])
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


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


def plot_observables(data):
    """Mean and norm; per cyclic axis the harmonic's amplitude and the bump position."""
    obs, t = data["observables"], data["t"]
    fig, (top, mid, low) = plt.subplots(3, 1, figsize=(7, 7.5), sharex=True)
    top.plot(t, obs["norm"], label="|x|")
    top.plot(t, obs["mean"], label="mean")
    top.legend(loc="best")
    for axis in data["axes"]:
        n = data["shape"][axis]
        mid.plot(t, obs[f"fourier_amplitude_{axis}"], label=f"axis {axis}")
        low.plot(t, np.mod(-obs[f"fourier_phase_{axis}"] * n / (2 * np.pi), n), ".", ms=3, label=f"axis {axis}")
    mid.set_ylabel("first harmonic")
    low.set_ylabel("bump position")
    low.set_xlabel("t")
    for ax in (mid, low):
        if data["axes"]:
            ax.legend(loc="best")
    return fig, " (observables: written without states)"


def make_figure(data, times):
    """Choose the figure from the number of non-trivial factors of the group."""
    if "observables" in data:
        return plot_observables(data)
    axes = [a for a, n in enumerate(data["shape"]) if n > 1]
    if not axes:
        return plot_scalar(data)
    if len(axes) == 1:
        return plot_ring(data, times)
    return plot_snapshots(data, axes[:2], times)


# ----------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(argv)
    try:
        check_output_directory(args.output)
        data = load(args.file)
    except InputError as e:
        fail(PROG, e)
    except (OSError, KeyError, ValueError) as e:  # corrupt or unexpected HDF5 content
        fail(PROG, f"cannot read {args.file}: {e}")
    fig, note = make_figure(data, args.times)
    # the slice note is kept with a custom title too: the figure is misleading without it
    fig.suptitle((args.title if args.title is not None else default_title(data)) + note)
    try:
        fig.savefig(args.output, dpi=120, bbox_inches="tight")
    except (OSError, ValueError) as e:  # unwritable path, unknown format
        fail(PROG, f"cannot write {args.output}: {e}")
    print(args.output)


if __name__ == "__main__":
    main()
