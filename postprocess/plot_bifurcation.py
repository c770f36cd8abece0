#!/usr/bin/python3
"""Plot the branches of fixed points followed by eqrnn continue: the bifurcation diagram and the spectrum.

    plot_bifurcation.py FILE.h5 [-o FIG.png] [--y amplitude|mean|fourier:AXIS] [--branch I] [--title STR]

One figure with two panels:
  left   every branch /continuation/branch_<i>: the continued parameter against --y, the 2-norm of the state
         (amplitude, the default), its mean, or the leading Fourier amplitude on cyclic axis AXIS (fourier:0 is
         the first column of fourier_amplitude); solid where stable (n_unstable = 0), dashed where unstable,
         dotted where the file records no stability, one colour per stabiliser (legend: stabiliser and
         isotropy order); the located points of /continuation/bifurcations on their branch: folds as
         triangles, branch points as circles (annotated with the irrep and the multiplicity), Hopf points as
         squares
  right  the real parts of the leading eigenvalues (every column of eigenvalues_re) against the parameter
         along one branch, --branch I (default: the longest branch that does not start a continuation, i.e.
         with parent != -1, else branch 0), with the stability boundary Re = 0 and the branch's bifurcation
         points; complex eigenvalues are marked with open dots
A text table of the branches and of the bifurcation points goes to stdout, then the path of the figure (default:
FILE with extension .png).  Problems with the input, the options or the output path are reported as one line on
stderr with exit status 2.
"""

import argparse
import os
import sys
import warnings

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared modules, also when run from elsewhere
from eqrnn_figures import figure_title, save  # noqa: E402
from eqrnn_io import (  # noqa: E402
    InputError,
    OneLineParser,
    as_str,
    check_output_directory,
    fail,
    open_result,
    read_dataset,
    string_parameters,
)

PROG = "plot_bifurcation.py"
COMMAND = "continue"  # the root attribute `command` of the files this script reads
CONTINUATION_ATTRIBUTES = ("parameter", "branch_count", "bifurcation_count")
BRANCH_ATTRIBUTES = ("stabiliser",)  # what the figure cannot do without; the others have fallbacks
BIFURCATION_DATASETS = ("parameter", "amplitude", "branch", "type")  # multiplicity, irrep, started: optional
# marker and legend name of each type of bifurcation point; other types are drawn as crosses
MARKERS = {"fold": ("^", "fold"), "branch": ("o", "branch point"), "hopf": ("s", "Hopf")}
OTHER_MARKER = "X"
STYLES = {"stable": "-", "unstable": "--", "no stability": ":"}  # line style by stability
Y_LABELS = {"amplitude": "|x| (2-norm)", "mean": "mean of x"}


def parse_y(text):
    """'amplitude', 'mean' or 'fourier:AXIS' -> 'amplitude', 'mean' or ('fourier', AXIS)."""
    if text in Y_LABELS:
        return text
    head, _, axis = text.partition(":")
    if head == "fourier" and axis.strip().isdigit():
        return ("fourier", int(axis))
    raise argparse.ArgumentTypeError(f"expected amplitude, mean or fourier:<axis> (axis 0, 1, ...), got '{text}'")


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description="Plot the branches of fixed points followed by eqrnn continue.")
    parser.add_argument("file", help="eqrnn continue HDF5 output (with /continuation)")
    parser.add_argument("-o", "--output", help="figure to write (format from extension; default FILE.png)")
    parser.add_argument("--y", type=parse_y, default="amplitude", metavar="amplitude|mean|fourier:AXIS",
                        help="quantity on the vertical axis of the diagram (default: amplitude, the 2-norm)")
    parser.add_argument("--branch", type=int, metavar="I",
                        help="branch whose eigenvalues are shown (default: the longest with a parent, else 0)")
    parser.add_argument("--title", help="figure title (default: file name, group and parameters)")
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = os.path.splitext(args.file)[0] + ".png"
    return args


# ----------------------------------------------------------------------------- reading


def is_empty(dataset):
    """No rows: a zero-length dataset, or a NULL dataspace (h5py: shape None)."""
    return dataset.shape is None or dataset.size == 0


def read_strings(h5, path):
    """A dataset of variable-length strings as a list of str (h5py gives bytes)."""
    return [] if is_empty(h5[path]) else [as_str(v) for v in np.atleast_1d(h5[path][()])]


def read_rows(h5, path, rows, where, columns=False):
    """An optional per-point dataset: None when absent, else float64[rows] (or [rows, k] with columns)."""
    if path not in h5:
        return None
    values = read_dataset(h5, path)
    if values.ndim != (2 if columns else 1) or values.shape[0] != rows:
        raise InputError(f"{where}/{path.rsplit('/', 1)[1]} has shape {values.shape} but the branch has {rows} "
                         f"point(s){' (expected [points, columns])' if columns else ''}")
    return values


def read_branch(h5, i, count):
    where = f"{h5.filename}: /continuation/branch_{i}"
    name = f"continuation/branch_{i}"
    if name not in h5:
        raise InputError(f"{where} is missing (branch_count = {count})")
    attrs = h5[name].attrs
    missing = [a for a in BRANCH_ATTRIBUTES if a not in attrs]
    if missing:
        raise InputError(f"{where} lacks attribute(s) {', '.join(missing)}")
    parameter = read_dataset(h5, f"{name}/parameter")
    if parameter.ndim != 1:
        raise InputError(f"{where}/parameter has shape {parameter.shape}, expected [points]")
    rows = len(parameter)
    if "points" in attrs and int(attrs["points"]) != rows:
        raise InputError(f"{where}: attribute points = {int(attrs['points'])} but {rows} parameter value(s)")
    amplitude, mean = (read_dataset(h5, f"{name}/{d}") for d in ("amplitude", "mean"))
    for d, values in (("amplitude", amplitude), ("mean", mean)):
        if values.shape != (rows,):
            raise InputError(f"{where}/{d} has shape {values.shape} but the branch has {rows} point(s)")
    real = read_rows(h5, f"{name}/eigenvalues_re", rows, where, columns=True)
    imag = read_rows(h5, f"{name}/eigenvalues_im", rows, where, columns=True)
    if (real is None) != (imag is None) or (real is not None and real.shape != imag.shape):
        shapes = [None if a is None else a.shape for a in (real, imag)]
        raise InputError(f"{where}: eigenvalues_re {shapes[0]} and eigenvalues_im {shapes[1]} do not match")
    if real is not None and real.shape[1] == 0:
        real = imag = None
    n_unstable = read_rows(h5, f"{name}/n_unstable", rows, where)
    fourier = read_rows(h5, f"{name}/fourier_amplitude", rows, where, columns=True)
    return dict(
        index=i,
        parameter=parameter,
        amplitude=amplitude,
        mean=mean,
        fourier=fourier if fourier is not None else np.zeros((rows, 0)),
        # negative counts and a missing dataset: no stability recorded (NaN)
        n_unstable=np.where(n_unstable >= 0, n_unstable, np.nan) if n_unstable is not None else np.full(rows, np.nan),
        eigenvalues_re=real,
        eigenvalues_im=imag,
        stabiliser=as_str(attrs["stabiliser"]),
        isotropy=as_str(attrs.get("isotropy", "")),
        isotropy_order=int(attrs["isotropy_order"]) if "isotropy_order" in attrs else None,
        orbit_size=int(attrs.get("orbit_size", 0)),
        parent=int(attrs.get("parent", -1)),
        born_at=int(attrs.get("born_at", -1)),
        start=as_str(attrs.get("start", "?")),
        end_reason=as_str(attrs.get("end_reason", "?")),
    )


def read_bifurcations(h5, count, branches):
    """/continuation/bifurcations as a list of rows; with count 0 the datasets may be absent or empty."""
    where = f"{h5.filename}: /continuation/bifurcations"
    present = "continuation/bifurcations" in h5
    if count == 0 and (not present or all(is_empty(d) for d in h5["continuation/bifurcations"].values()
                                                    if hasattr(d, "shape"))):
        return []
    if not present:
        raise InputError(f"{where} is missing (bifurcation_count = {count})")
    group = h5["continuation/bifurcations"]
    missing = [d for d in BIFURCATION_DATASETS if d not in group]
    if missing:
        raise InputError(f"{where} lacks dataset(s) {', '.join(missing)} (bifurcation_count = {count})")
    columns = {d: read_dataset(h5, f"continuation/bifurcations/{d}") for d in ("parameter", "amplitude", "branch")}
    columns["multiplicity"] = (read_dataset(h5, "continuation/bifurcations/multiplicity")
                               if "multiplicity" in group else np.zeros(count))
    for d in ("type", "irrep", "started"):
        columns[d] = read_strings(h5, f"continuation/bifurcations/{d}") if d in group else [""] * count
    for d, values in columns.items():
        if len(values) != count:
            raise InputError(f"{where}/{d} has {len(values)} row(s) but bifurcation_count = {count}")
    rows = []
    for k in range(count):
        branch = columns["branch"][k]
        if not (np.isfinite(branch) and branch == int(branch) and 0 <= branch < len(branches)):
            raise InputError(f"{where}/branch[{k}] = {branch} is not a branch (0..{len(branches) - 1})")
        rows.append(dict(index=k, parameter=float(columns["parameter"][k]), amplitude=float(columns["amplitude"][k]),
                         branch=int(branch), type=columns["type"][k], multiplicity=int(columns["multiplicity"][k]),
                         irrep=columns["irrep"][k], started=columns["started"][k]))
    return rows


def load_continuation(path):
    """Read and validate /continuation; raise InputError on anything unexpected."""
    import h5py

    h5, group, _ = open_result(path)  # every eqrnn file records its group and state_shape
    with h5:
        command = as_str(h5.attrs.get("command", COMMAND))
        if command != COMMAND:
            raise InputError(f"{path}: written by eqrnn {command}, not eqrnn {COMMAND}")
        if not isinstance(h5.get("continuation"), h5py.Group):
            raise InputError(f"{path}: no /continuation group (write one with eqrnn {COMMAND})")
        attrs = h5["continuation"].attrs
        missing = [a for a in CONTINUATION_ATTRIBUTES if a not in attrs]
        if missing:
            raise InputError(f"{path}: /continuation lacks attribute(s) {', '.join(missing)}")
        count = int(attrs["branch_count"])
        if count < 1:
            raise InputError(f"{path}: /continuation holds no branches (branch_count = {count})")
        branches = [read_branch(h5, i, count) for i in range(count)]
        bifurcations = read_bifurcations(h5, int(attrs["bifurcation_count"]), branches)
        parameter = as_str(attrs["parameter"])
        # the continued parameter's recorded value is only the start: keep it out of the title
        params = {k: v for k, v in string_parameters(h5).items() if k != parameter}
        not_followed = [line for line in as_str(attrs.get("not_followed", "")).splitlines() if line.strip()]
        return dict(path=path, group=group, params=params, parameter=parameter, model=as_str(attrs.get("model", "?")),
                    depth=int(attrs.get("depth", 0)), not_followed=not_followed, branches=branches,
                    bifurcations=bifurcations)


# ----------------------------------------------------------------------------- choices


def default_branch(branches):
    """The branch with the most points among those born from another (parent != -1), else branch 0."""
    children = [b for b in branches if b["parent"] != -1]
    return max(children, key=lambda b: len(b["parameter"]))["index"] if children else 0


def shown_branch(requested, branches):
    if requested is None:
        return default_branch(branches)
    if not 0 <= requested < len(branches):
        raise InputError(f"--branch {requested} is out of range: the file holds branches 0..{len(branches) - 1}")
    return requested


def y_values(branch, y):
    """The --y quantity along a branch."""
    if y in Y_LABELS:
        return branch[y]
    axis = y[1]
    columns = branch["fourier"].shape[1]
    if axis >= columns:
        available = f"axes 0..{columns - 1}" if columns else "no fourier_amplitude"
        raise InputError(f"--y fourier:{axis}: branch {branch['index']} has {available}")
    return branch["fourier"][:, axis]


def y_label(y):
    return Y_LABELS[y] if y in Y_LABELS else f"leading Fourier amplitude, axis {y[1]}"


def on_branch(branch, point, values):
    """`values` at a located point: interpolated on the segment of the branch nearest to (parameter, amplitude),
    both scaled to the branch's range (a fold's parameter alone does not say where on the branch it is)."""
    p, a = branch["parameter"], branch["amplitude"]
    if len(p) < 2:
        return float(values[0]) if len(p) else np.nan
    scale = np.array([np.ptp(p) or 1.0, np.ptp(a) or 1.0])
    curve = np.stack([p, a], axis=1) / scale
    target = np.array([point["parameter"], point["amplitude"]]) / scale
    step = np.diff(curve, axis=0)
    length2 = np.einsum("ij,ij->i", step, step)
    t = np.clip(np.einsum("ij,ij->i", target - curve[:-1], step) / np.where(length2 > 0, length2, 1), 0, 1)
    distance = np.linalg.norm(curve[:-1] + t[:, None] * step - target, axis=1)
    k = int(np.nanargmin(distance)) if np.isfinite(distance).any() else 0
    return float(values[k] + t[k] * (values[k + 1] - values[k]))


def stability(branch):
    """Per point: 'stable', 'unstable' or 'no stability'."""
    n = branch["n_unstable"]
    return np.where(np.isnan(n), "no stability", np.where(n == 0, "stable", "unstable"))


def stabiliser_colours(branches):
    """One colour per distinct stabiliser, in order of first appearance."""
    names = list(dict.fromkeys(b["stabiliser"] for b in branches))
    cmap = plt.get_cmap("tab20" if len(names) > 10 else "tab10")
    return {name: cmap(k % cmap.N) for k, name in enumerate(names)}


def stabiliser_label(name, branches):
    orders = sorted({b["isotropy_order"] for b in branches if b["stabiliser"] == name and b["isotropy_order"]})
    return f"{name} (isotropy order {', '.join(map(str, orders))})" if orders else name


# ----------------------------------------------------------------------------- output


def eigenvalue_summary(branch):
    """The largest real part at the first and the last point, or '-' without eigenvalues."""
    re = branch["eigenvalues_re"]
    if re is None or not len(re):
        return "-"
    with warnings.catch_warnings():  # an all-NaN row (no eigenvalue at a point) gives NaN, which is right
        warnings.simplefilter("ignore", RuntimeWarning)
        lead = np.nanmax(re, axis=1)
    return f"{lead[0]:.3g}..{lead[-1]:.3g}"


def text_table(data, shown):
    branches, points = data["branches"], data["bifurcations"]
    lines = [f"{data['path']}: continuation in {data['parameter']} ({data['model']} model), group {data['group']}, "
             f"depth {data['depth']}: {len(branches)} branch(es), {len(points)} bifurcation point(s)",
             f"{'branch':<6} {'points':>6} {'from':>10} {'to':>10} {'stable':>6} {'max_re':>15} {'orbit':>6} "
             f"{'iso':>4} {'parent':>6} {'born':>4} {'start':<13} {'end':<16}  stabiliser"]
    for b in branches:
        p = b["parameter"]
        ends = (f"{p[0]:>10.5g} {p[-1]:>10.5g}" if len(p) else f"{'-':>10} {'-':>10}")
        stable = int(np.count_nonzero(stability(b) == "stable"))
        iso = b["isotropy_order"] if b["isotropy_order"] is not None else "-"
        lines.append(f"{b['index']:<6} {len(p):>6} {ends} {stable:>6} {eigenvalue_summary(b):>15} "
                     f"{b['orbit_size']:>6} {iso:>4} {b['parent']:>6} {b['born_at']:>4} {b['start']:<13} "
                     f"{b['end_reason']:<16}  {b['stabiliser']}")
    if points:
        lines.append(f"{'bif':<6} {'type':<8} {'branch':>6} {'parameter':>12} {'amplitude':>12} {'mult':>4}  "
                     f"{'irrep':<12} started")
        for q in points:
            lines.append(f"{q['index']:<6} {q['type']:<8} {q['branch']:>6} {q['parameter']:>12.6g} "
                         f"{q['amplitude']:>12.6g} {q['multiplicity']:>4}  {q['irrep'] or '-':<12} "
                         f"{q['started'] or '-'}")
    else:
        lines.append("no bifurcation points located")
    if data["not_followed"]:
        lines.append("not followed:")
        lines.extend(f"  {line}" for line in data["not_followed"])
    lines.append(f"eigenvalues shown for branch {shown}")
    return "\n".join(lines)


def draw_branches(ax, data, y, colours):
    """The bifurcation diagram; returns the legend handles of what was drawn."""
    styles_used = set()
    for b in data["branches"]:
        x, v, state = b["parameter"], y_values(b, y), stability(b)
        starts = [0] + [k for k in range(1, len(x)) if state[k] != state[k - 1]]
        for i, j in zip(starts, starts[1:] + [len(x)]):
            # each run of one stability reaches the next run's first point, so that the branch is unbroken
            ax.plot(x[i:j + 1], v[i:j + 1], ls=STYLES[state[i]], lw=1.8 if state[i] == "stable" else 1.3,
                    color=colours[b["stabiliser"]], marker="o" if len(x) == 1 else None)
            styles_used.add(state[i])
    types_used = {}
    for q in data["bifurcations"]:
        b = data["branches"][q["branch"]]
        v = q["amplitude"] if y == "amplitude" else on_branch(b, q, y_values(b, y))
        marker, name = MARKERS.get(q["type"], (OTHER_MARKER, q["type"]))
        ax.scatter([q["parameter"]], [v], marker=marker, s=60, facecolors=colours[b["stabiliser"]],
                   edgecolors="black", linewidths=1.0, zorder=4)
        types_used[name] = marker
        if q["type"] == "branch":
            ax.annotate(f"{q['irrep'] or '?'} ×{q['multiplicity']}", (q["parameter"], v), xytext=(5, 5),
                        textcoords="offset points", fontsize="x-small")
    ax.set_xlabel(data["parameter"])
    ax.set_ylabel(y_label(y))
    ax.set_title("branches: stable solid, unstable dashed; bifurcation points", fontsize="medium")
    handles = [Line2D([], [], color=c, lw=2, label=stabiliser_label(name, data["branches"]))
               for name, c in colours.items()]
    handles += [Line2D([], [], color="0.3", ls=STYLES[s], label=s) for s in STYLES if s in styles_used]
    handles += [Line2D([], [], ls="none", marker=m, color="0.3", markeredgecolor="black", label=name)
                for name, m in types_used.items()]
    ax.legend(handles=handles, fontsize="x-small", loc="best", title="stabiliser", title_fontsize="x-small")


def draw_eigenvalues(ax, data, index, colours):
    b = data["branches"][index]
    ax.axhline(0, color="0.35", ls="--", lw=1, zorder=0)
    ax.set_xlabel(data["parameter"])
    ax.set_ylabel("Re λ")
    ax.set_title(f"branch {index} ({b['stabiliser']}): leading eigenvalues", fontsize="medium")
    re, im, x = b["eigenvalues_re"], b["eigenvalues_im"], b["parameter"]
    if re is None or not len(x):
        why = f"branch {index} has no points" if not len(x) else f"no eigenvalues stored for branch {index}"
        ax.text(0.5, 0.5, why, transform=ax.transAxes, ha="center", va="center", color="0.3")
        return
    cmap = plt.get_cmap("viridis")
    columns = re.shape[1]
    for c in range(columns):  # the leading eigenvalue dark, the last one light
        label = "λ1 (leading)" if c == 0 else (f"λ{columns}" if c == columns - 1 else None)
        ax.plot(x, re[:, c], color=cmap(0.85 * c / max(columns - 1, 1)), lw=1.2, marker="." if len(x) < 30 else None,
                label=label)
    complex_ = np.abs(np.nan_to_num(im)) > 0
    if complex_.any():
        ax.scatter(np.broadcast_to(x[:, None], re.shape)[complex_], re[complex_], s=14, facecolors="none",
                   edgecolors="tab:red", linewidths=0.8, zorder=3, label="complex eigenvalue")
    for q in data["bifurcations"]:
        if q["branch"] == index:
            ax.axvline(q["parameter"], color="0.6", ls=":", lw=0.8, zorder=0)
            ax.scatter([q["parameter"]], [0], marker=MARKERS.get(q["type"], (OTHER_MARKER,))[0], s=50,
                       facecolors=colours[b["stabiliser"]], edgecolors="black", zorder=4)
    ax.legend(fontsize="x-small", loc="best", title="Re λ, columns of eigenvalues_re", title_fontsize="x-small")


def make_figure(data, y, index):
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained",
                                      gridspec_kw=dict(width_ratios=[1.3, 1]))
    colours = stabiliser_colours(data["branches"])
    draw_branches(left, data, y, colours)
    draw_eigenvalues(right, data, index, colours)
    notes = []
    empty = [str(b["index"]) for b in data["branches"] if not len(b["parameter"])]
    if empty:
        notes.append(f"branch(es) {', '.join(empty)} without points")
    if data["not_followed"]:
        notes.append(f"{len(data['not_followed'])} branch(es) located but not followed (see the table)")
    return fig, notes


# ----------------------------------------------------------------------------- main


def main(argv=None):
    args = parse_args(argv)
    try:
        check_output_directory(args.output)
        try:
            data = load_continuation(args.file)
        except (OSError, KeyError, ValueError, TypeError) as e:  # corrupt or unexpected HDF5 content
            raise InputError(f"cannot read {args.file}: {e}")
        index = shown_branch(args.branch, data["branches"])
        fig, notes = make_figure(data, args.y, index)
        save(fig, figure_title(args.title, data, f"continuation in {data['parameter']} ({data['model']} model)"),
             notes, args.output)
        plt.close(fig)
    except InputError as e:
        fail(PROG, e)
    print(text_table(data, index))
    print(args.output)


if __name__ == "__main__":
    main()
