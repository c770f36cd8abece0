#!/usr/bin/python3
"""Plot the fixed points stored by eqrnn fixedpoints (or eqrnn stability).

    plot_fixed_points.py FILE.h5 -o FIG.png [--title STR]

One panel per symmetry class of the census (attribute symmetry_class, eqrnn fixedpoints):
the fixed points that are one state up to the network's whole symmetry group Γ
(translations, kernel-preserving automorphisms such as axis reversals and swaps, x -> -x
for odd φ) and continuous lattice translations (the on-site and half-site copies of one
continuous manifold).  A panel shows one representative state /fixed_points/fp_<i>/x (the
member with the largest isotropy subgroup in Γ: the most symmetric copy, the first found
among equals), captioned with
  - the class number, the representative and its classification (unstable and marginal
    counts once a spectrum was computed; the members' counts if they differ),
  - the number of G-orbits in the class (entries of the file: each manifold is one orbit
    of the translation group G) and of lattice orbits (the orbits of Γ among them: G-orbits
    related by an exact symmetry share one; a class has several lattice orbits when the
    lattice splits a continuous manifold into on-site, half-site, ... copies),
  - the representative's stabiliser in G and the order of its isotropy subgroup in Γ.
Files without symmetry_class (older eqrnn, eqrnn stability) get one panel per manifold,
titled with the classification, the stabiliser and the orbit size.

The picture depends on how many factors of the group have order > 1, as in
plot_activity.py:
  0 (group of order 1)  the single neuron's value as a bar
  1 (ring)              x over the neuron angle, same y-scale in every panel
  2 (torus)             an image, same colour scale in every panel
  3 or more             the same image for the 2-D slice through the first two
                        non-trivial axes with all other coordinates at 0

At most MAX_PANELS panels are drawn (in class or file order); the title says how many were
left out.  Problems with the input or the output path are reported as one line on
stderr with exit status 2.
"""

import math
import os
import re
import sys
from collections import Counter

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


def plural(count, word):
    return f"{count} {word}{('es' if word.endswith('s') else 's') * (count != 1)}"


def symmetry_classes(manifolds):
    """The census's symmetry classes in class order, each a dict: index, members (manifolds), representative
    (the member with the largest isotropy subgroup in Γ, the first found among equals), lattice_orbits (the number
    of distinct lattice_orbit among the members).  None for a file without symmetry_class on every manifold."""
    if any(m["symmetry_class"] is None or m["lattice_orbit"] is None for m in manifolds):
        return None
    members = {}
    for m in manifolds:
        members.setdefault(m["symmetry_class"], []).append(m)
    return [dict(index=c, members=ms,
                 representative=max(ms, key=lambda m: (m["isotropy_order"] or 0, -m["index"])),
                 lattice_orbits=len({m["lattice_orbit"] for m in ms}))
            for c, ms in sorted(members.items())]


def class_title(cls):
    rep, members = cls["representative"], cls["members"]
    lines = [f"class {cls['index']} (fp_{rep['index']}): {status(rep)}"]
    kinds = Counter(status(m) for m in members)
    if len(kinds) > 1:  # the copies of one state should agree; say so when they do not
        lines.append("members: " + "; ".join(f"{n}× {k}" for k, n in kinds.items()))
    lines.append(f"{plural(len(members), 'G-orbit')} in {plural(cls['lattice_orbits'], 'lattice orbit')}")
    isotropy = f", isotropy order {rep['isotropy_order']}" if rep["isotropy_order"] is not None else ""
    lines.append(f"stabiliser {rep['stabiliser']}{isotropy}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- figures


def panel_grid(count, image_panels, title_lines=2):
    """A row of up to MAX_COLUMNS panels per line; the unused cells are removed.  Each title line beyond two adds
    to the row height (square images keep their size, so the titles need the room)."""
    columns = min(count, MAX_COLUMNS)
    rows = math.ceil(count / columns)
    width = 3.4 * columns + (1.2 if image_panels else 0.4)  # room for the shared colorbar
    height = (3.3 + 0.18 * max(0, title_lines - 2)) * rows + 0.8
    fig, grid = plt.subplots(rows, columns, figsize=(width, height), layout="constrained", squeeze=False)
    axes = list(grid.flat)
    for ax in axes[count:]:
        ax.remove()
    return fig, axes[:count]


def draw_scalars(axes, shown, titles):
    """Group of order 1: one neuron, so a bar of its value (shared scale across panels);
    the marker and the printed value keep the zero state visible."""
    values = [m["x"][0] for m in shown]
    limit = 1.2 * max(abs(v) for v in values) or 1.0
    for ax, title, value in zip(axes, titles, values):
        ax.bar([0], [value], width=0.5, color="C0", alpha=0.6)
        ax.plot([0], [value], marker="o", color="C0")
        ax.annotate(f"x = {value:.4g}", (0, value), xytext=(8, 0), textcoords="offset points",
                    va="center")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlim(-1, 1)
        ax.set_ylim(-limit, limit)
        ax.set_xticks([])
        ax.set_ylabel(COLORBAR_LABEL)
        ax.set_title(title, fontsize="small")
    return ""


def draw_rings(axes, shown, titles):
    """x over the neuron angle; one y-scale for all panels so amplitudes compare by eye."""
    n = len(shown[0]["x"])  # trivial factors add no neurons
    theta = angles(n)
    values = np.stack([m["x"] for m in shown])
    pad = 0.05 * max(np.ptp(values), 1e-3)
    for ax, m, title in zip(axes, shown, titles):
        ax.plot(theta, m["x"], marker="." if n <= 64 else None)
        ax.set_ylim(values.min() - pad, values.max() + pad)
        ax.set_xlabel("neuron angle θ")
        ax.set_ylabel(COLORBAR_LABEL)
        set_angle_ticks(ax.set_xticks)
        ax.set_title(title, fontsize="small")
    return ""


def draw_images(fig, axes, shown, titles, shape, plane):
    """Images on the plane of group axes `plane`, with one colour scale for all panels."""
    index = tuple(slice(None) if a in plane else 0 for a in range(len(shape)))
    images = [m["x"].reshape(shape)[index] for m in shown]
    scale = colour_scale(np.stack(images))
    for ax, title, image in zip(axes, titles, images):
        drawn = ax.imshow(image, origin="lower", extent=pixel_extent(image.shape), **scale)
        ax.set_xlabel(f"θ{plane[1] + 1} (Z{shape[plane[1]]})")
        ax.set_ylabel(f"θ{plane[0] + 1} (Z{shape[plane[0]]})")
        set_angle_ticks(ax.set_xticks)
        set_angle_ticks(ax.set_yticks)
        ax.set_title(title, fontsize="small")
    fig.colorbar(drawn, ax=axes, label=COLORBAR_LABEL, shrink=0.9)
    if len(shape) - shape.count(1) > 2:
        rest = ", ".join(f"θ{a + 1}" for a in range(len(shape)) if a not in plane and shape[a] > 1)
        return f"2-D slice θ{plane[0] + 1}×θ{plane[1] + 1} at {rest} = 0"
    return ""


def make_figure(data):
    """One panel per symmetry class, or per manifold for files without classes (at most MAX_PANELS); returns the
    figure, its notes and what the title counts."""
    manifolds = data["manifolds"]
    classes = symmetry_classes(manifolds)
    if classes is None:
        panels = manifolds
        shown, titles = panels[:MAX_PANELS], [panel_title(m) for m in panels[:MAX_PANELS]]
        what, unit = plural(len(manifolds), "fixed-point manifold"), "manifolds"
    else:
        panels = classes
        shown = [c["representative"] for c in classes[:MAX_PANELS]]
        titles = [class_title(c) for c in classes[:MAX_PANELS]]
        what = f"{plural(len(classes), 'symmetry class')} of {plural(len(manifolds), 'fixed-point manifold')}"
        unit = "classes"
    plane = [a for a, n in enumerate(data["shape"]) if n > 1][:2]
    fig, axes = panel_grid(len(shown), image_panels=len(plane) == 2,
                           title_lines=max(t.count("\n") + 1 for t in titles))
    if not plane:
        note = draw_scalars(axes, shown, titles)
    elif len(plane) == 1:
        note = draw_rings(axes, shown, titles)
    else:
        note = draw_images(fig, axes, shown, titles, data["shape"], plane)
    notes = [note] if note else []
    if classes is not None:
        order = re.search(r"\(order (\d+)\)$", data.get("symmetry") or "")
        gamma = f"Γ (order {order.group(1)})" if order else "Γ"
        notes.append(f"one panel per class under {gamma} and lattice translations")
    left_out = len(panels) - len(shown)
    if left_out:
        notes.append(f"first {len(shown)} of {len(panels)} {unit} shown, {left_out} left out")
    return fig, notes, what


# ----------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_fixed_point_args(argv, PROG, "Plot the fixed-point manifolds found by eqrnn fixedpoints.")
    try:
        data = read_fixed_points(args)
        fig, notes, what = make_figure(data)
        save(fig, figure_title(args.title, data, what), notes, args.output)
    except InputError as e:
        fail(PROG, e)
    print(args.output)


if __name__ == "__main__":
    main()
