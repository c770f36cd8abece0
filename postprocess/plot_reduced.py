#!/usr/bin/python3
"""Plot the fixed-point orbits found by eqrnn reduce.

    plot_reduced.py FILE.h5 [-o FIG.png] [--title STR]

One figure with two panels:
  left   the reduced-model spectrum of every orbit (real vs imaginary part, one
         marker colour per orbit) with the full-network eigenvalues computed by
         SLEPc overlaid as open circles, so that agreement is visible
  right  one bar per orbit of |x| (norm of the lifted full state), coloured by the
         classification (stable / saddle), annotated with the stabiliser order and
         the orbit size
A text table of the orbits goes to stdout.  Problems with the input or the output
path are reported as one line on stderr with exit status 2.
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared modules, also when run from elsewhere
from eqrnn_figures import CLASS_COLOURS, OTHER_COLOUR  # noqa: E402
from eqrnn_io import (  # noqa: E402
    InputError,
    OneLineParser,
    array_attribute,
    as_str,
    check_output_directory,
    fail,
    open_result,
)

PROG = "plot_reduced.py"
REQUIRED_ATTRIBUTES = ("stabiliser_order", "orbit_size", "classification")


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description="Plot the fixed-point orbits found by eqrnn reduce.")
    parser.add_argument("file", help="eqrnn reduce HDF5 output (with /reduced)")
    parser.add_argument("-o", "--output", help="figure to write (default: FILE with extension .png)")
    parser.add_argument("--title", help="figure title (default: file name, group and reduced irreps)")
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- reading


def read_orbit(reduced, i):
    where = f"{reduced.file.filename}: /reduced/fp_{i}"
    name = f"fp_{i}"
    if name not in reduced or "x" not in reduced[name]:
        raise InputError(f"{where}/x is missing (count = {int(reduced.attrs['count'])})")
    group = reduced[name]
    missing = [a for a in REQUIRED_ATTRIBUTES if a not in group.attrs]
    if missing:
        raise InputError(f"{where} lacks attribute(s) {', '.join(missing)}")
    x = np.asarray(group["x"][()], dtype=float).ravel()
    spectra = {}
    for prefix in ("", "full_"):
        real = array_attribute(group.attrs, f"{prefix}eigenvalues_real")
        imag = array_attribute(group.attrs, f"{prefix}eigenvalues_imag")
        if real.shape != imag.shape:
            raise InputError(f"{where}: {len(real)} {prefix}eigenvalues_real but {len(imag)} {prefix}eigenvalues_imag")
        spectra[prefix] = real + 1j * imag
    return dict(
        index=i,
        norm=float(np.linalg.norm(x)),
        stabiliser=as_str(group.attrs.get("stabiliser", "?")),
        stabiliser_order=int(group.attrs["stabiliser_order"]),
        orbit_size=int(group.attrs["orbit_size"]),
        classification=as_str(group.attrs["classification"]),
        n_unstable=int(group.attrs.get("n_unstable", 0)),
        residual_full=float(group.attrs.get("residual_full", np.nan)),
        spectrum_mismatch=float(group.attrs.get("spectrum_mismatch", np.nan)),
        verified=int(group.attrs.get("verified", 0)),
        eigenvalues=spectra[""],
        full_eigenvalues=spectra["full_"],
    )


def load_reduced(path):
    """Read and validate /reduced; raise InputError on anything unexpected."""
    import h5py

    h5, _, _ = open_result(path)  # every eqrnn file records its group and state_shape
    with h5:
        if not isinstance(h5.get("reduced"), h5py.Group):
            raise InputError(f"{path}: no /reduced group (write one with eqrnn reduce)")
        reduced = h5["reduced"]
        if "count" not in reduced.attrs:
            raise InputError(f"{path}: /reduced lacks attribute 'count'")
        count = int(reduced.attrs["count"])
        if count < 1:
            raise InputError(f"{path}: /reduced holds no orbits (count = {count})")
        orbits = [read_orbit(reduced, i) for i in range(count)]
        group = as_str(h5.attrs.get("group", "?"))
        irreps = as_str(reduced.attrs.get("irreps", "?"))
        dimension = int(reduced.attrs.get("dimension", 0))
    return dict(path=path, group=group, irreps=irreps, dimension=dimension, orbits=orbits)


# ----------------------------------------------------------------------------- output


def text_table(data):
    lines = [f"{data['path']}: group {data['group']}, irreps {data['irreps']}, reduced dimension "
             f"R = {data['dimension']}, {len(data['orbits'])} orbit(s)",
             f"{'fp':<4} {'|x|':>10} {'stab':>5} {'orbit':>6} {'class':<8} {'unst':>4} {'max_re':>9} "
             f"{'res_full':>9} {'eig_diff':>9} {'ok':>3}  stabiliser"]
    for o in data["orbits"]:
        max_re = o["eigenvalues"].real.max() if o["eigenvalues"].size else np.nan
        lines.append(f"{o['index']:<4} {o['norm']:>10.4g} {o['stabiliser_order']:>5} {o['orbit_size']:>6} "
                     f"{o['classification']:<8} {o['n_unstable']:>4} {max_re:>9.4f} {o['residual_full']:>9.1e} "
                     f"{o['spectrum_mismatch']:>9.1e} {'yes' if o['verified'] else 'no':>3}  {o['stabiliser']}")
    return "\n".join(lines)


def draw(data, title):
    orbits = data["orbits"]
    n = len(orbits)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, max(4.5, 0.28 * n + 2)), layout="constrained",
                                      gridspec_kw=dict(width_ratios=[1.1, 1]))
    cmap = plt.get_cmap("tab20" if n > 10 else "tab10")
    for k, o in enumerate(orbits):
        colour = cmap(k % cmap.N)
        ev = o["eigenvalues"]
        if ev.size:
            left.scatter(ev.real, ev.imag, s=22, color=colour, zorder=3, label=f"fp_{o['index']}")
        full = o["full_eigenvalues"]
        if full.size:
            left.scatter(full.real, full.imag, s=90, facecolors="none", edgecolors=colour, linewidths=1.0,
                         zorder=2)
    left.axvline(0, color="0.5", lw=0.8)
    left.axhline(0, color="0.8", lw=0.6)
    left.set_xlabel("Re λ")
    left.set_ylabel("Im λ")
    left.set_title("spectra: reduced (filled) and full network, SLEPc (open)", fontsize="medium")
    if n <= 20:
        left.legend(fontsize="x-small", ncol=2 if n > 10 else 1, loc="best")

    y = np.arange(n)
    colours = [CLASS_COLOURS.get(o["classification"], OTHER_COLOUR) for o in orbits]
    norms = [o["norm"] for o in orbits]
    right.barh(y, norms, color=colours, alpha=0.8)
    top = max(norms) if max(norms) > 0 else 1.0
    for k, o in enumerate(orbits):
        right.annotate(f"|H| = {o['stabiliser_order']}, orbit {o['orbit_size']}", (o["norm"], k),
                       xytext=(4, 0), textcoords="offset points", va="center", fontsize="x-small")
    right.set_xlim(0, 1.45 * top)
    right.set_yticks(y, [f"fp_{o['index']}" for o in orbits], fontsize="x-small")
    right.invert_yaxis()
    right.set_xlabel("|x|")
    right.set_title("orbits: norm, stabiliser order |H|, orbit size", fontsize="medium")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.8) for c in CLASS_COLOURS.values()]
    right.legend(handles, list(CLASS_COLOURS), fontsize="small", loc="lower right")
    fig.suptitle(title)
    return fig


def main(argv=None):
    args = parse_args(argv)
    output = args.output or os.path.splitext(args.file)[0] + ".png"
    try:
        check_output_directory(output)
        data = load_reduced(args.file)
    except InputError as e:
        fail(PROG, e)
    except (OSError, KeyError, ValueError, TypeError) as e:  # corrupt or half-written files
        fail(PROG, f"cannot read {args.file}: {e}")
    print(text_table(data))
    title = args.title or (f"{os.path.basename(args.file)}: {data['group']}, irreps {data['irreps']}, "
                           f"R = {data['dimension']}")
    fig = draw(data, title)
    try:
        fig.savefig(output, dpi=110)
    except (OSError, ValueError) as e:
        fail(PROG, f"cannot write {output}: {e}")
    plt.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
