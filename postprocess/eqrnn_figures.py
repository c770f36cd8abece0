"""Figure conventions shared by the postprocess plotting scripts: where neurons sit on the group's axes, colour
scales and colours, titles, saving, and the command line of the fixed-point figures.

Not a script, and no pyplot: each script selects the Agg backend itself before importing pyplot.
"""

import os

import numpy as np

from eqrnn_io import InputError, OneLineParser, check_output_directory, load_fixed_points

COLORBAR_LABEL = "activity x"
CLASS_COLOURS = {"stable": "tab:green", "saddle": "tab:red"}  # fixed points by classification
OTHER_COLOUR = "tab:gray"


# ----------------------------------------------------------------------------- axes and colours


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


def colour_scale(values):
    """Signed activity (tanh) reads best on a diverging map centred at 0; one-signed
    activity (relu, sigmoid) on a sequential one."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if lo < 0 < hi:
        m = max(-lo, hi)
        return dict(cmap="RdBu_r", vmin=-m, vmax=m)
    return dict(cmap="viridis", vmin=lo, vmax=hi)


# ----------------------------------------------------------------------------- titles and saving


def default_title(data):
    p = data["params"]
    extras = ", ".join(f"{k}={p[k]}" for k in ("phi", "J1", "kernel") if k in p)
    return f"{os.path.basename(data['path'])}: {data['group']}" + (f" ({extras})" if extras else "")


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


# ----------------------------------------------------------------------------- fixed-point figures


def parse_fixed_point_args(argv, prog, description):
    """The command line of plot_fixed_points.py and plot_spectrum.py, which differ only in name."""
    parser = OneLineParser(prog=prog, description=description)
    parser.add_argument("file", help="eqrnn HDF5 output (with /fixed_points)")
    parser.add_argument("-o", "--output", required=True, help="figure to write (format from extension)")
    parser.add_argument("--title", help="figure title (default: file name, group and parameters)")
    return parser.parse_args(argv)


def read_fixed_points(args):
    """Check the output directory first (cheap, and nothing is written on failure), then load."""
    check_output_directory(args.output)
    try:
        return load_fixed_points(args.file)
    except (OSError, KeyError, ValueError, TypeError) as e:  # corrupt or unexpected HDF5 content
        raise InputError(f"cannot read {args.file}: {e}")
