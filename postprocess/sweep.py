#!/usr/bin/python3
"""Collect the outputs of a parameter sweep into one CSV table and one figure.

    sweep.py INPUT... [--csv OUT.csv] [-o FIG.png] [--param NAME] [--grid GRID.txt]
                      [--observable rms|max|amplitude|test_error|r|loss]

INPUT are eqrnn HDF5 files or directories; a directory stands for its task_<k>.h5 files (the outputs of a
SLURM job array, task k writing OUTDIR/task_<k>.h5), sorted by task number.  The CSV and the figure go next to
the first input unless --csv / -o say otherwise (DIR/sweep.csv and DIR/sweep.png for a directory).

Swept parameters are the /parameters attributes whose values differ between the files ('output' excluded: it
always differs).  --param NAME (repeatable) names them instead.  --grid GRID.txt gives the sweep's grid: '#'
comments and blank lines ignored, a header of option names without the leading dash, then one row of values per
array task (row k = task k).  The grid's columns are then the swept parameters, every row must have its task
file (missing tasks are reported by number), and a value the file recorded in /parameters must agree with the
grid (a mismatch means the files are not the grid's).

All files must come from the same command:
  fixedpoints (/fixed_points)  one CSV row per fixed point: task, file, swept parameters, fp, family, rms
                               (|x|/sqrt(N)), max_abs, amplitude, residual, stabiliser, stabiliser_order,
                               orbit_size, n_unstable, n_marginal, classification, leading_re (the largest real
                               part of the computed spectrum; empty without -fp_stability)
  simulate (/final/x)          one CSV row per file: task, file, swept parameters, t_reached (last sample
                               time), t_final (requested), samples, rms, max_abs, amplitude (of /final/x),
                               restarts
  train (/training)            one CSV row per file: task, file, swept parameters, steps_done, final_loss, best_loss,
                               test_error (test relative error, mean over channels; empty without /analysis),
                               manifold_residual (r), singular_gap (sigma_D / sigma_D+1 of W), diverged,
                               restarts
amplitude is that of the largest non-constant Fourier mode of the state over the group's axes (A for a ring
bump A cos(theta - phi), wherever it sits between lattice sites); for non-abelian groups or several channels
the last axis of state_shape (finite part x channel) is not transformed and the largest value over it is taken.

The figure plots --observable (default rms; test_error for training) against the first swept parameter: for fixed points one point per
fixed point coloured by classification (stable / saddle / other), for simulations a line with markers.  The
other swept parameters, if any, set the marker shape (fixed points) or the line (simulations).  Problems with
the input are one line on stderr ("sweep.py: error: ...") and exit status 2.
"""

import csv
import difflib
import math
import os
import re
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
    has_component_axis,
    open_hdf5,
    open_result,
    read_manifold,
)

PROG = "sweep.py"
TASK_FILE = re.compile(r"task_(\d+)\.h5")
IGNORED_PARAMETERS = ("output",)  # bookkeeping that differs in every sweep, never a swept parameter
OBSERVABLES = {"rms": ("rms", "rms |x|/√N"), "max": ("max_abs", "max |x|"),
               "amplitude": ("amplitude", "amplitude of the leading Fourier mode"),
               "test_error": ("test_error", "test relative error (mean over channels)"),
               "r": ("manifold_residual", "manifold residual r"), "loss": ("final_loss", "final training loss")}
LOG_OBSERVABLES = ("test_error", "loss")  # span decades across a sweep of learning rates or steps
KIND_OBSERVABLES = {"fixedpoints": ("rms", "max", "amplitude"), "simulate": ("rms", "max", "amplitude"),
                    "train": ("test_error", "r", "loss")}
GROUP_MARKERS = "osD^vP*X<>"
FP_COLUMNS = ("fp", "family", "rms", "max_abs", "amplitude", "residual", "stabiliser", "stabiliser_order",
              "orbit_size", "n_unstable", "n_marginal", "classification", "leading_re")
SIM_COLUMNS = ("t_reached", "t_final", "samples", "rms", "max_abs", "amplitude", "restarts")
TRAIN_COLUMNS = ("steps_done", "final_loss", "best_loss", "test_error", "manifold_residual", "singular_gap", "diverged",
                 "restarts")
KIND_COLUMNS = {"fixedpoints": FP_COLUMNS, "simulate": SIM_COLUMNS, "train": TRAIN_COLUMNS}


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description="Tabulate and plot the outputs of an eqrnn parameter sweep.")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="eqrnn HDF5 files or directories of task_<k>.h5")
    parser.add_argument("--csv", help="table to write (default: sweep.csv next to the first input)")
    parser.add_argument("-o", "--output", help="figure to write (default: sweep.png next to the first input)")
    parser.add_argument("--param", action="append", help="swept parameter (repeatable; default: those that vary)")
    parser.add_argument("--observable", choices=sorted(OBSERVABLES),
                        help="what to plot (default: rms; test_error for training)")
    parser.add_argument("--grid", help="the sweep's grid file (header of option names, one row per task)")
    return parser.parse_args(argv)


# ----------------------------------------------------------------------------- inputs


def task_of(path):
    """Task number k of OUTDIR/task_<k>.h5; None for a file named otherwise."""
    match = TASK_FILE.fullmatch(os.path.basename(path))
    return int(match.group(1)) if match else None


def expand_inputs(inputs):
    """[(task or None, path)]: files as given, a directory as its task files in task order."""
    found = []
    for item in inputs:
        if os.path.isdir(item):
            tasks = sorted((task_of(name), os.path.join(item, name)) for name in os.listdir(item)
                           if task_of(name) is not None)
            if not tasks:
                raise InputError(f"no task_<k>.h5 files in directory {item}")
            found += tasks
        elif os.path.exists(item):
            found.append((task_of(item), item))
        else:
            raise InputError(f"no such file or directory: {item}")
    return found


def read_grid(path):
    """(columns, rows of value strings); row k is array task k."""
    try:
        with open(path) as handle:
            lines = [(n, line.split("#", 1)[0].split()) for n, line in enumerate(handle, 1)]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read grid {path}: {e}")
    lines = [(n, words) for n, words in lines if words]
    if len(lines) < 2:
        raise InputError(f"grid {path} needs a header line of option names and at least one row of values")
    columns = [c.lstrip("-") for c in lines[0][1]]  # tolerate '-J1' in the header
    for n, words in lines[1:]:
        if len(words) != len(columns):
            raise InputError(f"{path}:{n}: {len(words)} values for {len(columns)} columns ({' '.join(columns)})")
    return columns, [words for _, words in lines[1:]]


def select_grid_tasks(found, grid_path, row_count):
    """The grid's tasks in order; every row needs exactly one file, extra task files are left out."""
    unnamed = [p for k, p in found if k is None]
    if unnamed:
        raise InputError(f"with --grid every input must be a task_<k>.h5 file, not {unnamed[0]}")
    by_task = {}
    for k, path in found:
        if k in by_task and os.path.realpath(by_task[k]) != os.path.realpath(path):
            raise InputError(f"task {k} has two files: {by_task[k]} and {path}")
        by_task[k] = path
    missing = [k for k in range(row_count) if k not in by_task]
    if missing:
        raise InputError(f"{len(missing)} of the {row_count} tasks of {grid_path} have no output file: "
                         + ", ".join(map(str, missing)))
    extra = sorted(k for k in by_task if k >= row_count)
    if extra:  # a leftover of an earlier, larger sweep in the same folder: not this grid's
        print(f"note: task file(s) beyond the grid's {row_count} rows left out: {', '.join(map(str, extra))}")
    return [(k, by_task[k]) for k in range(row_count)]


# ----------------------------------------------------------------------------- reading one file


def plain(value):
    """An HDF5 attribute as a str, int, float or tuple of floats (comparable, printable)."""
    import h5py

    if isinstance(value, h5py.Empty):
        return ()
    if isinstance(value, (bytes, str)):
        return as_str(value)
    array = np.asarray(value)
    if array.ndim > 0:
        return tuple(float(v) for v in array.ravel())
    return array.item()


def amplitude(x, shape, transformed_axes):
    """Amplitude of the largest non-constant Fourier mode: 2|x_k|/M for a mode and its distinct conjugate
    (A cos(k.theta) has |x_k| = A M / 2), |x_k|/M for a self-conjugate one (k = n/2)."""
    grid = x.reshape(shape)
    spectrum = np.abs(np.fft.fftn(grid, axes=transformed_axes))
    size = math.prod(shape[a] for a in transformed_axes)
    ks = np.meshgrid(*[np.arange(shape[a]) for a in transformed_axes], indexing="ij")
    self_conjugate = np.logical_and.reduce([(2 * k) % shape[a] == 0 for k, a in zip(ks, transformed_axes)])
    weight = np.where(self_conjugate, 1.0, 2.0) / size
    weight[(0,) * len(transformed_axes)] = 0.0  # the uniform mode is not a modulation
    if len(transformed_axes) < len(shape):  # broadcast over the untransformed component axis
        weight = weight[..., np.newaxis]
    return float(np.max(spectrum * weight)) if spectrum.size else 0.0


def state_measures(x, shape, group, channels):
    """rms, max_abs and amplitude of a state; amplitude only over the group's angle axes."""
    components = has_component_axis(group, channels)
    axes = tuple(range(len(shape) - 1 if components else len(shape)))
    return dict(rms=float(np.linalg.norm(x) / math.sqrt(x.size)), max_abs=float(np.max(np.abs(x))),
                amplitude=amplitude(x, shape, axes))


def fixed_point_records(h5, shape, group, channels):
    """One record per /fixed_points/fp_<i>, in index order."""
    fixed_points = h5["fixed_points"]
    records = []
    for i in range(int(fixed_points.attrs.get("count", 0))):
        manifold = read_manifold(fixed_points, i, math.prod(shape))  # validates x and the required attributes
        attrs = fixed_points[f"fp_{i}"].attrs
        spectrum = array_attribute(attrs, "eigenvalues_real")
        records.append(dict(fp=i, family=int(attrs.get("family", i)),
                            **state_measures(manifold["x"], shape, group, channels),
                            residual=float(attrs.get("residual", np.nan)), stabiliser=manifold["stabiliser"],
                            stabiliser_order=int(attrs.get("stabiliser_order", 0)),
                            orbit_size=manifold["orbit_size"], n_unstable=manifold["n_unstable"],
                            n_marginal=manifold["n_marginal"], classification=manifold["classification"],
                            leading_re=float(spectrum.max()) if spectrum.size else ""))  # empty: no spectrum
    return records


def simulation_record(h5, shape, group, channels, params):
    x = np.asarray(h5["final/x"][()], dtype=float)
    if x.shape != (math.prod(shape),):
        raise InputError(f"{h5.filename}: /final/x has shape {x.shape} but the group has order {math.prod(shape)}")
    t = np.asarray(h5["trajectory/t"][()], dtype=float) if "trajectory/t" in h5 else np.zeros(0)
    samples = int(h5["trajectory"].attrs.get("count", len(t))) if "trajectory" in h5 else len(t)
    samples = min(samples, len(t))  # the datasets are extendible: 'count' says how many rows are valid
    return dict(t_reached=float(t[samples - 1]) if samples else "", t_final=params.get("t_final", ""),
                samples=samples, **state_measures(x, shape, group, channels),
                restarts=int(h5.attrs.get("restarts", 0)))


def training_record(h5):
    """The trained network's figures of merit (what a sweep over lr, n, steps ... compares)."""
    g = h5["training"]
    d = int(h5.attrs.get("D", 1))
    analysis = h5.get("analysis")
    test_error, residual, gap = "", "", ""  # empty: no /analysis (diverged, or -analysis false)
    if analysis is not None and "test_relative_error" in analysis:
        test_error = float(np.mean(analysis["test_relative_error"][()]))
        residual = float(analysis["manifold_residual"][()])
        sv = np.asarray(analysis["singular_values"][()], dtype=float)
        gap = float(sv[d - 1] / sv[d]) if len(sv) > d and sv[d] > 0 else ""
    return dict(steps_done=int(g.attrs.get("steps", len(g["loss"]))), final_loss=float(g.attrs["final_loss"]),
                best_loss=float(g.attrs["best_loss"]), test_error=test_error, manifold_residual=residual,
                singular_gap=gap, diverged=int(g.attrs.get("diverged", 0)), restarts=int(h5.attrs.get("restarts", 0)))


def read_training(task, path, h5):
    import h5py

    if not isinstance(h5.get("parameters"), h5py.Group):
        raise InputError(f"{path}: no /parameters (not an eqrnn result file)")
    params = {k: plain(v) for k, v in h5["parameters"].attrs.items()}
    label = f"n = {as_str(h5.attrs.get('n', '?'))}, D = {as_str(h5.attrs.get('D', '?'))}"
    return dict(task=task, path=path, group=label, params=params, kind="train", records=[training_record(h5)])


def read_result(task, path):
    """Everything the table needs from one file: kind, group, parameters and the records."""
    import h5py

    with open_hdf5(path) as h5:
        if "training" in h5:  # eqrnn train: no group, one record per file
            return read_training(task, path, h5)
    h5, group, shape = open_result(path)
    with h5:
        if not isinstance(h5.get("parameters"), h5py.Group):
            raise InputError(f"{path}: no /parameters (not an eqrnn result file)")
        params = {k: plain(v) for k, v in h5["parameters"].attrs.items()}
        channels = int(params.get("channels", 1))
        if "fixed_points" in h5:
            kind, records = "fixedpoints", fixed_point_records(h5, shape, group, channels)
        elif "final/x" in h5:
            kind, records = "simulate", [simulation_record(h5, shape, group, channels, params)]
        else:
            raise InputError(f"{path}: neither /fixed_points nor /final/x (not a fixedpoints or simulate output)")
    return dict(task=task, path=path, group=group, params=params, kind=kind, records=records)


def read_results(found):
    results = []
    for task, path in found:
        try:
            results.append(read_result(task, path))
        except (OSError, KeyError, ValueError, TypeError) as e:  # corrupt or unexpected HDF5 content
            raise InputError(f"cannot read {path}: {e}")
    kinds = {r["kind"]: r["path"] for r in results}
    if len(kinds) > 1:
        raise InputError("mixed outputs: " + ", ".join(f"{p} is {k}" for k, p in kinds.items())
                         + " (sweep one command at a time)")
    return results


# ----------------------------------------------------------------------------- swept parameters


def varying_parameters(results):
    """Parameters whose values differ between files, in the files' attribute order."""
    names = [n for n in results[0]["params"] if n not in IGNORED_PARAMETERS]
    missing = object()  # a parameter absent from some files (another eqrnn version) varies too
    return [n for n in names if len({repr(r["params"].get(n, missing)) for r in results}) > 1]


def check_known(names, results, extra=()):
    """Every named parameter must be in every file's /parameters (or be a grid column); suggest a spelling."""
    for name in names:
        lacking = [r["path"] for r in results if name not in r["params"]]
        if lacking and name not in extra:
            close = difflib.get_close_matches(name, list(results[0]["params"]), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise InputError(f"unknown parameter '{name}': not in /parameters of {lacking[0]}{hint}")


def grid_value_agrees(text, value):
    """Does the grid's text give the value the file recorded?  Numbers compare as numbers (2.50 = 2.5)."""
    try:
        if isinstance(value, tuple):
            given = [float(v) for v in text.split(",") if v.strip()]
            return len(given) == len(value) and np.allclose(given, value, rtol=1e-12, atol=0)
        if isinstance(value, (int, float)):
            return math.isclose(float(text), float(value), rel_tol=1e-12)  # also inf = inf
    except ValueError:
        return False
    return text == value


def apply_grid(results, columns, rows, grid_path):
    """Check each file against its grid row; grid values stand in for options /parameters does not record."""
    for r in results:
        row = dict(zip(columns, rows[r["task"]]))
        for name, text in row.items():
            if name not in r["params"]:
                r["params"][name] = text
            elif not grid_value_agrees(text, r["params"][name]):
                raise InputError(f"task {r['task']}: {grid_path} has {name} = {text} but {r['path']} "
                                 f"recorded {format_value(r['params'][name])}")


def swept_parameters(args, results, grid_columns):
    if args.param:
        check_known(args.param, results, extra=grid_columns)
        return list(dict.fromkeys(args.param))
    if grid_columns:
        return grid_columns
    names = varying_parameters(results)
    if not names:
        raise InputError(f"no parameter varies across the {len(results)} file(s); name one with --param")
    return names


# ----------------------------------------------------------------------------- table


def format_value(value):
    if isinstance(value, tuple):
        return ",".join(format_value(v) for v in value)
    if isinstance(value, float):
        return repr(value)  # shortest exact form: 2.2, not 2.2000000000000002 or 2.2e+00
    return str(value)


def table(results, swept):
    """(header, rows) of the CSV: one row per record, the file's identity and swept values first."""
    kind_columns = KIND_COLUMNS[results[0]["kind"]]
    header = ["task", "file", *swept, *kind_columns]
    rows = []
    for r in results:
        first = ["" if r["task"] is None else r["task"], r["path"], *(r["params"][n] for n in swept)]
        rows += [[format_value(v) for v in first + [rec[c] for c in kind_columns]] for rec in r["records"]]
    return header, rows


def write_csv(path, header, rows):
    try:
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    except OSError as e:
        raise InputError(f"cannot write {path}: {e}")


# ----------------------------------------------------------------------------- figure


def as_number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def axis_positions(values):
    """Numeric values as they are; anything else (phi = tanh, relu) at 0, 1, ... with tick labels."""
    numbers = [as_number(v) for v in values]
    if all(n is not None for n in numbers):
        return numbers, None
    labels = list(dict.fromkeys(format_value(v) for v in values))
    return [labels.index(format_value(v)) for v in values], labels


def plot_points(results, swept, observable):
    """(x value, grouping label, record) for every record, grouping by the swept parameters after the first."""
    column = OBSERVABLES[observable][0]
    points = []
    for r in results:
        grouping = ", ".join(f"{n} = {format_value(r['params'][n])}" for n in swept[1:])
        # a run without the observable (a diverged training has no test error) has no point
        points += [(r["params"][swept[0]], grouping, rec, rec[column]) for rec in r["records"] if rec[column] != ""]
    return points


def draw_fixed_points(ax, xs, points):
    """Colour = classification, marker = grouping; two legends so that neither hides the other."""
    groupings = list(dict.fromkeys(p[1] for p in points))
    classes = list(dict.fromkeys(p[2]["classification"] for p in points))
    for x, (_, grouping, rec, y) in zip(xs, points):
        ax.scatter(x, y, color=CLASS_COLOURS.get(rec["classification"], OTHER_COLOUR),
                   marker=GROUP_MARKERS[groupings.index(grouping) % len(GROUP_MARKERS)], s=36, zorder=3)
    handles = [plt.Line2D([], [], ls="", marker="o", color=CLASS_COLOURS.get(c, OTHER_COLOUR), label=c)
               for c in sorted(classes, key=lambda c: (list(CLASS_COLOURS) + [c]).index(c))]
    # outside the axes, on the right: the points fill any corner of a bifurcation diagram
    legend = ax.legend(handles=handles, title="classification", loc="upper left", bbox_to_anchor=(1.02, 1),
                       fontsize="small")
    if len(groupings) > 1:
        ax.add_artist(legend)  # a second ax.legend() would replace the first
        ax.legend(handles=[plt.Line2D([], [], ls="", marker=GROUP_MARKERS[i % len(GROUP_MARKERS)], color="black",
                                      label=g) for i, g in enumerate(groupings)],
                  loc="lower left", bbox_to_anchor=(1.02, 0), fontsize="small")


def draw_simulations(ax, xs, points):
    """One line per grouping, in order of the swept parameter."""
    groupings = list(dict.fromkeys(p[1] for p in points))
    for i, grouping in enumerate(groupings):
        pairs = sorted((x, p[3]) for x, p in zip(xs, points) if p[1] == grouping)
        ax.plot(*zip(*pairs), marker=GROUP_MARKERS[i % len(GROUP_MARKERS)], label=grouping or None)
    if len(groupings) > 1:
        ax.legend(fontsize="small")


def make_figure(results, swept, observable):
    points = plot_points(results, swept, observable)
    xs, labels = axis_positions([p[0] for p in points])
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    kind = results[0]["kind"]
    if kind == "fixedpoints":
        draw_fixed_points(ax, xs, points)
    else:
        draw_simulations(ax, xs, points)
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel(swept[0])
    ax.set_ylabel(OBSERVABLES[observable][1] + (" at the end" if kind == "simulate" else ""))
    if observable in LOG_OBSERVABLES:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.set_title(title(results, swept))
    return fig


def title(results, swept):
    """Group, the model's fixed choices (what a reader needs to compare sweeps) and the run count."""
    groups = ", ".join(dict.fromkeys(r["group"] for r in results))
    fixed = [f"{n} = {format_value(results[0]['params'][n])}" for n in ("phi", "kernel", "optimizer")
             if n not in swept and len({repr(r["params"].get(n)) for r in results}) == 1 and n in results[0]["params"]]
    what = {"fixedpoints": "fixed points", "simulate": "final states", "train": "trained networks"}[results[0]["kind"]]
    count = len(results)
    return (f"{groups}" + (f" ({', '.join(fixed)})" if fixed else "")
            + f": {what} of {count} run{'s' * (count != 1)} against {swept[0]}")


def save_figure(fig, path):
    try:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    except (OSError, ValueError) as e:  # unwritable path, unknown format
        raise InputError(f"cannot write {path}: {e}")


# ----------------------------------------------------------------------------- main


def default_path(first_input, name):
    folder = first_input if os.path.isdir(first_input) else os.path.dirname(first_input)
    return os.path.join(folder, name)


def check_output_dirs(*paths):
    """Before any reading, so that a typo in -o costs nothing."""
    for path in paths:
        check_output_directory(path)


def notes(results):
    """Simulations that stopped short of t_final (preempted, crashed) are worth a line."""
    for r in results:
        rec = r["records"][0]
        if r["kind"] == "simulate" and isinstance(rec["t_final"], float) and rec["t_reached"] != "" \
                and rec["t_reached"] < rec["t_final"]:
            print(f"note: {r['path']} reached t = {rec['t_reached']:g} of t_final = {rec['t_final']:g}")


def run(args):
    csv_path = args.csv or default_path(args.inputs[0], "sweep.csv")
    fig_path = args.output or default_path(args.inputs[0], "sweep.png")
    check_output_dirs(csv_path, fig_path)
    found = expand_inputs(args.inputs)
    columns, rows = read_grid(args.grid) if args.grid else ([], [])
    if args.grid:
        found = select_grid_tasks(found, args.grid, len(rows))
    results = read_results(found)
    if args.grid:
        apply_grid(results, columns, rows, args.grid)
    swept = swept_parameters(args, results, columns)
    observable = args.observable or KIND_OBSERVABLES[results[0]["kind"]][0]
    if observable not in KIND_OBSERVABLES[results[0]["kind"]]:
        raise InputError(f"--observable {observable} does not apply to {results[0]['kind']} outputs "
                         f"(use {', '.join(KIND_OBSERVABLES[results[0]['kind']])})")
    header, table_rows = table(results, swept)
    write_csv(csv_path, header, table_rows)
    save_figure(make_figure(results, swept, observable), fig_path)
    notes(results)
    print(csv_path)
    print(fig_path)


def main(argv=None):
    args = parse_args(argv)
    try:
        run(args)
    except InputError as e:
        fail(PROG, e)


if __name__ == "__main__":
    main()
