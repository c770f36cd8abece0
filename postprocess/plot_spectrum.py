#!/usr/bin/python3
"""Plot the linear spectra of the fixed-point manifolds stored by eqrnn fixedpoints
-fp_stability (or eqrnn stability).

    plot_spectrum.py FILE.h5 -o FIG.png [--title STR]

The eigenvalues of every manifold (/fixed_points/fp_<i>, attributes eigenvalues_real
and eigenvalues_imag) go into one complex plane, Re horizontal and Im vertical, with
one marker and colour per manifold and a dashed line at Re = 0, the stability
boundary.  The legend names each manifold's index and classification; manifolds
without eigenvalues (classification "not computed") are listed there as such.
Problems with the input or the output path are reported as one line on stderr with
exit status 2.
"""

import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared modules, also when run from elsewhere
# the input, command line and saving of plot_fixed_points.py
from eqrnn_figures import figure_title, parse_fixed_point_args, read_fixed_points, save  # noqa: E402
from eqrnn_io import NOT_COMPUTED, InputError, fail  # noqa: E402

PROG = "plot_spectrum.py"
# hollow markers of different shapes keep coinciding eigenvalues of several manifolds
# (e.g. the bulk at -1 of a cosine kernel) distinguishable; 7 shapes x 10 colours
# (coprime) repeat only after 70 manifolds
MARKERS = ["o", "s", "^", "D", "v", "p", "h"]
LEGEND_ROWS = 24


def legend_label(manifold):
    """'fp_0: saddle (4 unstable)'; a manifold without eigenvalues says so."""
    label = f"fp_{manifold['index']}: {manifold['classification']}"
    if manifold["eigenvalues"].size == 0:
        return label if manifold["classification"] == NOT_COMPUTED else f"{label} (no eigenvalues)"
    if manifold["n_unstable"] > 0:
        label += f" ({manifold['n_unstable']} unstable)"
    return label


def draw_manifold(ax, k, manifold):
    eigenvalues = manifold["eigenvalues"]
    if eigenvalues.size == 0:
        # an invisible handle: the legend still lists the manifold, with nothing drawn
        ax.plot([], [], ls="none", marker="none", label=legend_label(manifold))
        return
    ax.scatter(eigenvalues.real, eigenvalues.imag, marker=MARKERS[k % len(MARKERS)], s=48,
               facecolors="none", edgecolors=f"C{k % 10}", linewidths=1.4, label=legend_label(manifold))


def balance_limits(ax, eigenvalues):
    """Symmetric kernels give real spectra; without this Im would span a sliver around 0
    and every marker would sit on the bottom of a squashed frame."""
    if eigenvalues.size == 0:
        ax.set_xlim(-1, 1)
        ax.set_ylim(-1, 1)
        return
    lo, hi = min(eigenvalues.real.min(), 0.0), max(eigenvalues.real.max(), 0.0)
    pad = 0.08 * max(hi - lo, 1e-3)
    ax.set_xlim(lo - pad, hi + pad)
    im = max(np.abs(eigenvalues.imag).max() * 1.1, 0.25 * (hi - lo + 2 * pad))
    ax.set_ylim(-im, im)


def make_figure(data):
    manifolds = data["manifolds"]
    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    ax.axvline(0, color="0.35", ls="--", lw=1, zorder=0, label="Re λ = 0")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    for k, manifold in enumerate(manifolds):
        draw_manifold(ax, k, manifold)
    everything = np.concatenate([m["eigenvalues"] for m in manifolds])
    balance_limits(ax, everything)
    if everything.size == 0:
        ax.text(0.5, 0.6, "no eigenvalues stored\n(run eqrnn fixedpoints with -fp_stability)",
                transform=ax.transAxes, ha="center", va="center", color="0.3",
                bbox=dict(facecolor="white", edgecolor="none"))  # readable over the Re = 0 line
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    # outside the frame: with many manifolds the legend would hide eigenvalues; extra
    # columns keep a long census from running off the bottom of the figure
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small", title="manifold",
              borderaxespad=0, ncol=math.ceil((len(manifolds) + 1) / LEGEND_ROWS))
    return fig


def main(argv=None):
    args = parse_fixed_point_args(argv, PROG, "Plot the eigenvalues of the fixed-point manifolds found by eqrnn.")
    try:
        data = read_fixed_points(args)
        fig = make_figure(data)
        count = len(data["manifolds"])
        save(fig, figure_title(args.title, data, f"spectra of {count} manifold{'s' * (count != 1)}"),
             [], args.output)
    except InputError as e:
        fail(PROG, e)
    print(args.output)


if __name__ == "__main__":
    main()
