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
stderr with exit status 2.
"""

import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared modules, also when run from elsewhere
from eqrnn_figures import (  # noqa: E402  (the group conventions and colour choices of plot_activity.py)
    COLORBAR_LABEL,
    angles,
    colour_scale,
    figure_title,
    parse_fixed_point_args,
    pixel_extent,
    read_fixed_points,
    save,
    set_angle_ticks,
)
from eqrnn_io import NOT_COMPUTED, InputError, fail  # noqa: E402

PROG = "plot_fixed_points.py"
MAX_PANELS = 12
MAX_COLUMNS = 4


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


# ----------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_fixed_point_args(argv, PROG, "Plot the fixed-point manifolds found by eqrnn fixedpoints.")
    try:
        data = read_fixed_points(args)
        fig, notes = make_figure(data)
        count = len(data["manifolds"])
        save(fig, figure_title(args.title, data, f"{count} fixed-point manifold{'s' * (count != 1)}"),
             notes, args.output)
    except InputError as e:
        fail(PROG, e)
    print(args.output)


if __name__ == "__main__":
    main()
