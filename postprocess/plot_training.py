#!/usr/bin/python3
"""Plot a network trained by eqrnn train: one figure with six panels.

    plot_training.py FILE.h5 [-o FIG.png] [--title STR]

  (a) the training loss against the step (log scale), the best step marked (and the step where training
      diverged, if it did);
  (b) the eigenvalues of W in the complex plane, with the unit circle and the decays gamma_c of the task, and
      (small dots) those of the map's Jacobian diag(phi') W at the slow points (/analysis/slow_points, test
      states on the trained manifold): a trained integrator has D of them near 1 there and the rest near 0,
      whatever W's own spectrum (a ReLU network's is about twice as large: half the neurons are off);
  (c) the singular values of W (log scale), the first D highlighted (a trained integrator has D large ones);
  (d) the activity over the integrals y* of the saved test sequences: for D = 1 a few neurons' activity
      against y* (ReLU: half-lines; sigmoid/tanh: curves), for D >= 2 a few neurons' activity as colour over
      the (y*_1, y*_2) plane;
  (e) D = 2: the histogram of the selectivity angles; D = 1 ReLU: the neuron classes (silent, positive,
      negative, shared); otherwise the PCA explained variance of the hidden states (first 10);
  (f) the first test sequence: the outputs y_c and the targets y*_c.

The title gives n, D, phi, the optimiser, the test relative error and the manifold residual r.  A result
without /analysis (training diverged, or -analysis false) is drawn as far as it goes: (b) and (c) are then
computed from /training/W, the other panels say why they are empty.  The figure goes to FIG.png (default:
FILE.png next to FILE.h5).  Problems with the input or the output path are one line on stderr
("plot_training.py: error: ...") and exit status 2.
"""

import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display on cluster nodes; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared modules, also when run from elsewhere
from eqrnn_figures import colour_scale, save  # noqa: E402
from eqrnn_io import (  # noqa: E402
    InputError,
    OneLineParser,
    as_str,
    check_output_directory,
    fail,
    open_hdf5,
    read_dataset,
)

PROG = "plot_training.py"
NEURONS_SHOWN_1D = 6
NEURONS_SHOWN_2D = 4
PCA_SHOWN = 10
CLASS_NAMES = ("silent", "positive", "negative", "shared")


def parse_args(argv):
    parser = OneLineParser(prog=PROG, description="Plot a network trained by eqrnn train.")
    parser.add_argument("file", help="eqrnn train output (.h5, with /training)")
    parser.add_argument("-o", "--output", help="figure to write (format from extension; default FILE.png)")
    parser.add_argument("--title", help="figure title (default: file name and the run's settings)")
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = os.path.splitext(args.file)[0] + ".png"
    return args


# ----------------------------------------------------------------------------- reading


def attrs_of(node):
    return {k: (as_str(v) if isinstance(v, (bytes, str)) else v) for k, v in node.attrs.items()}


def open_training(path):
    h5 = open_hdf5(path)
    if "training" not in h5:
        if as_str(h5.attrs.get("kind", "")) == "training":
            what = "a checkpoint of eqrnn train; plot the output file written at the end of the run"
        elif "command" in h5.attrs or "group" in h5.attrs:
            what = f"written by eqrnn {as_str(h5.attrs.get('command', 'simulate/fixedpoints/reduce'))}"
        else:
            what = "not an eqrnn file"
        h5.close()
        raise InputError(f"{path}: not a training result (no /training; {what})")
    return h5


def load(path):
    """Everything the panels need; the /analysis part is None when the file has none."""
    with open_training(path) as h5:
        t = h5["training"]
        data = dict(path=path, root=attrs_of(h5), params=attrs_of(h5["parameters"]) if "parameters" in h5 else {},
                    training=attrs_of(t), loss=read_dataset(h5, "training/loss"), W=read_dataset(h5, "training/W"))
        if data["W"].ndim != 2 or data["W"].shape[0] != data["W"].shape[1]:
            raise InputError(f"{path}: /training/W has shape {data['W'].shape}, expected (n, n)")
        n = data["W"].shape[0]
        D = int(data["root"].get("D", data["params"].get("D", 1)))
        data.update(n=n, D=D)
        if "analysis" not in h5:
            data["analysis"] = None
            data["missing"] = ("no /analysis: training diverged" if int(data["training"].get("diverged", 0))
                               else "no /analysis (-analysis false)")
            return data
        a = h5["analysis"]
        an = dict(attrs=attrs_of(a))
        for name in ("eigenvalues_real", "eigenvalues_imag", "singular_values", "test_relative_error",
                     "pca_explained_variance"):
            an[name] = read_dataset(h5, f"analysis/{name}")
        an["r"] = float(read_dataset(h5, "analysis/manifold_residual"))
        for name in ("selectivity_angles", "neuron_class"):
            an[name] = read_dataset(h5, f"analysis/{name}") if f"analysis/{name}" in h5 else None
        for name in ("hidden", "targets", "outputs"):
            key = f"analysis/test_sequences/{name}"
            an[name] = read_dataset(h5, key) if key in h5 else None
        an["slow_mu"] = None
        if "analysis/slow_points/eigenvalues_real" in h5:
            mu = (read_dataset(h5, "analysis/slow_points/eigenvalues_real")
                  + 1j * read_dataset(h5, "analysis/slow_points/eigenvalues_imag"))
            an["slow_mu"] = mu.reshape(mu.shape[0], -1) if mu.size else None  # rows NaN-padded
        data["analysis"] = an
    return data


def decays(data):
    """gamma_c per channel; one value in /parameters is used for every channel."""
    g = np.atleast_1d(np.asarray(data["params"].get("decay", []), dtype=float))
    return np.resize(g, data["D"]) if g.size else g


# ----------------------------------------------------------------------------- panels


def empty_panel(ax, title, why):
    ax.set_title(title, fontsize="medium", loc="left")
    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes, wrap=True, color="0.35")
    ax.set_xticks([])
    ax.set_yticks([])


def draw_loss(ax, data):
    loss, tr = data["loss"], data["training"]
    title = "(a) training loss"
    if loss.size == 0:
        return empty_panel(ax, title, "no training steps")
    steps = np.arange(loss.size)
    shown = np.isfinite(loss) & (loss > 0)
    ax.semilogy(steps[shown], loss[shown], lw=0.8, color="C0", label="batch loss")
    best = int(tr.get("best_step", -1))
    if 0 <= best < loss.size:
        ax.plot([best], [loss[best]], "o", ms=7, mfc="none", mec="C3", mew=1.5,
                label=f"best: step {best}, {loss[best]:.3g}")
    if int(tr.get("diverged", 0)):
        last = loss.size - 1
        y = loss[last] if np.isfinite(loss[last]) and loss[last] > 0 else np.max(loss[shown], initial=1.0)
        ax.plot([last], [y], "x", ms=9, mew=2, color="k", label=f"diverged at step {last}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title, fontsize="medium", loc="left")
    ax.legend(fontsize="small")
    ax.grid(True, which="major", alpha=0.3)


def spectrum(data):
    """Eigenvalues and singular values: the analysis' when there is one, else computed from /training/W."""
    an = data["analysis"]
    if an is not None:
        return an["eigenvalues_real"] + 1j * an["eigenvalues_imag"], an["singular_values"], ""
    W = data["W"]
    if not np.all(np.isfinite(W)):
        return None, None, "W contains NaN/Inf"
    ev = np.linalg.eigvals(W)
    return ev[np.argsort(-np.abs(ev))], np.linalg.svd(W, compute_uv=False), " (from /training/W)"


def draw_eigenvalues(ax, data, ev, source):
    title = "(b) eigenvalues of W" + source
    if ev is None:
        return empty_panel(ax, title, source)
    phi = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(phi), np.sin(phi), color="0.6", lw=0.8, label="unit circle")
    ax.axhline(0, color="0.85", lw=0.6, zorder=0)
    ax.axvline(0, color="0.85", lw=0.6, zorder=0)
    ax.scatter(ev.real, ev.imag, s=16, facecolors="none", edgecolors="C0", lw=1, label="λ(W)", zorder=3)
    slow = data["analysis"]["slow_mu"] if data["analysis"] is not None else None
    if slow is not None:
        mu = slow[np.isfinite(slow)]
        ax.plot(mu.real, mu.imag, "o", ms=5, color="C1", mec="none", alpha=0.8, zorder=5,
                label=f"μ of diag(φ′) W at {slow.shape[0]} slow points")
        title += ", of diag(φ′) W at slow points"
    g = decays(data)
    if g.size:
        # an open diamond: the slow points' eigenvalues near gamma stay visible inside it
        ax.plot(g, np.zeros_like(g), "D", ms=11, mew=1.5, mfc="none", color="C3", zorder=4,
                label="γ_c = " + ", ".join(f"{x:g}" for x in dict.fromkeys(g.tolist())))
    lim = 1.15 * max(1.0, float(np.max(np.abs(ev), initial=0)))
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    ax.set_title(title, fontsize="medium", loc="left")
    ax.legend(fontsize="small", loc="lower left")


def draw_singular_values(ax, data, sv, source):
    title = "(c) singular values of W" + source
    if sv is None:
        return empty_panel(ax, title, source)
    if not np.any(sv > 0):
        return empty_panel(ax, title, "W = 0")
    D = data["D"]
    floor = sv[0] * 1e-17  # exact zeros would fall off a log axis
    k = np.arange(1, sv.size + 1)
    shown = np.maximum(sv, floor)
    ax.semilogy(k[D:], shown[D:], ".", ms=4, color="0.45", label="others")
    ax.semilogy(k[:D], shown[:D], "o", ms=7, color="C3", label=f"first D = {D}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("index")
    ax.set_ylabel("σ")
    ax.set_title(title, fontsize="medium", loc="left")
    ax.legend(fontsize="small")
    ax.grid(True, which="major", alpha=0.3)


def neurons_to_show(h, count, classes=None):
    """The most variable neurons; with ReLU classes, the most variable of each class in turn, so that both
    half-lines (and any shared neuron) appear."""
    order = [int(i) for i in np.argsort(-h.std(axis=0)) if h[:, i].std() > 0]
    if classes is not None:
        groups = [[i for i in order if int(classes[i]) == c] for c in (1, 2, 3)]
        interleaved = []
        for rank in range(max(map(len, groups))):
            interleaved += [g[rank] for g in groups if rank < len(g)]
        order = interleaved
    return order[:count]


def draw_activity(fig, cell, data):
    an = data["analysis"]
    title = "(d) activity over the integrals"
    if an is None or an["hidden"] is None or an["targets"] is None or an["hidden"].size == 0:
        return empty_panel(fig.add_subplot(cell), title, data.get("missing", "no test sequences saved"))
    D = data["D"]
    h = an["hidden"].reshape(-1, an["hidden"].shape[-1])
    y = an["targets"].reshape(-1, an["targets"].shape[-1])
    if D == 1:
        ax = fig.add_subplot(cell)
        classes = an["neuron_class"] if as_str(data["params"].get("phi", "")) == "relu" else None
        shown = neurons_to_show(h, NEURONS_SHOWN_1D, classes)
        if not shown:
            return empty_panel(ax, title, "no neuron's activity varies on the test sequences")
        for k, i in enumerate(shown):
            label = f"neuron {i}" + (f" ({CLASS_NAMES[int(classes[i])]})" if classes is not None else "")
            ax.plot(y[:, 0], h[:, i], ".", ms=2.5, color=f"C{k}", label=label)
        ax.set_xlabel("integral y*")
        ax.set_ylabel("activity h_i")
        ax.set_title(title + " (test steps)", fontsize="medium", loc="left")
        ax.legend(fontsize="x-small", markerscale=4, ncol=2)
        return
    shown = neurons_to_show(h, NEURONS_SHOWN_2D)
    if not shown:
        return empty_panel(fig.add_subplot(cell), title, "no neuron's activity varies on the test sequences")
    inner = cell.subgridspec(2, 2, wspace=0.08, hspace=0.08)
    lim = 1.05 * float(np.max(np.abs(y[:, :2]), initial=1e-9))
    for k in range(NEURONS_SHOWN_2D):
        ax = fig.add_subplot(inner[k // 2, k % 2])
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.tick_params(labelsize="x-small")
        if k // 2 == 0:
            ax.set_xticklabels([])
        else:
            ax.set_xlabel("y*_1", fontsize="small")
        if k % 2 == 1:
            ax.set_yticklabels([])
        else:
            ax.set_ylabel("y*_2", fontsize="small")
        if k == 0:
            note = " (colour: h_i)" if D == 2 else f" (colour: h_i; first 2 of {D})"
            ax.set_title(title + note, fontsize="medium", loc="left")
        if k >= len(shown):
            continue
        i = shown[k]
        scale = colour_scale(h[:, i])
        low, high = ("blue", "red") if scale["cmap"] == "RdBu_r" else ("purple", "yellow")
        ax.scatter(y[:, 0], y[:, 1], c=h[:, i], s=5, lw=0, **scale)
        ax.text(0.03, 0.97, f"neuron {i}: h from {h[:, i].min():.2g} ({low}) to {h[:, i].max():.2g} ({high})",
                transform=ax.transAxes, va="top", fontsize="x-small", bbox=dict(fc="white", ec="none", alpha=0.7, pad=1))


def draw_structure(ax, data):
    an = data["analysis"]
    if an is None:
        return empty_panel(ax, "(e) selectivity / PCA", data["missing"])
    D, phi = data["D"], as_str(data["params"].get("phi", ""))
    if D == 2 and an["selectivity_angles"] is not None:
        angles = an["selectivity_angles"]
        ax.hist(angles, bins=np.linspace(-np.pi, np.pi, 37), color="C0", alpha=0.8)
        ax.set_xticks(np.pi * np.arange(-2, 3) / 2, ["−π", "−π/2", "0", "π/2", "π"])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("selectivity angle atan2(κ_2, κ_1)")
        ax.set_ylabel("neurons")
        ax.set_title("(e) mixed selectivity", fontsize="medium", loc="left")
        return
    if D == 1 and phi == "relu" and an["neuron_class"] is not None:
        counts = np.bincount(an["neuron_class"].astype(int), minlength=len(CLASS_NAMES))[:len(CLASS_NAMES)]
        bars = ax.bar(CLASS_NAMES, counts, color=["0.6", "C0", "C1", "C2"])
        ax.bar_label(bars)
        ax.set_ylabel("neurons")
        ax.set_ylim(0, 1.15 * max(counts.max(), 1))
        ax.set_title("(e) ReLU neuron classes", fontsize="medium", loc="left")
        return
    v = an["pca_explained_variance"][:PCA_SHOWN]
    k = np.arange(1, v.size + 1)
    ax.bar(k, v, color="C0", alpha=0.8, label="fraction")
    ax.plot(k, np.cumsum(v), "o-", color="C3", ms=4, label="cumulative")
    ax.set_xticks(k)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("principal component")
    ax.set_ylabel("explained variance")
    ax.set_title("(e) PCA of the hidden states", fontsize="medium", loc="left")
    ax.legend(fontsize="small", loc="center right")


def draw_test_sequence(ax, data):
    an = data["analysis"]
    title = "(f) test sequence 0"
    if an is None or an["outputs"] is None or an["targets"] is None or an["outputs"].size == 0:
        return empty_panel(ax, title, data.get("missing", "no test sequences saved"))
    out, target = an["outputs"][0], an["targets"][0]
    steps = np.arange(1, out.shape[0] + 1)
    for c in range(out.shape[1]):
        ax.plot(steps, target[:, c], color=f"C{c}", lw=2.5, alpha=0.35, label=f"y*_{c + 1}")
        ax.plot(steps, out[:, c], color=f"C{c}", lw=1, label=f"y_{c + 1}")
    ax.set_xlabel("t")
    ax.set_ylabel("output / target")
    ax.set_title(title + ": output (thin) and target (wide)", fontsize="medium", loc="left")
    ax.legend(fontsize="x-small", ncol=max(1, out.shape[1]))


# ----------------------------------------------------------------------------- figure


def title_and_notes(data):
    p, tr, an = data["params"], data["training"], data["analysis"]
    optimiser = as_str(p.get("optimizer", "?"))
    lr = p.get("lr")
    steps = int(tr.get("steps", data["loss"].size))
    title = (f"{os.path.basename(data['path'])}: n = {data['n']}, D = {data['D']}, φ = {as_str(p.get('phi', '?'))}, "
             f"{optimiser}" + (f" lr {float(lr):g}" if lr is not None else "") + f", {steps} steps")
    notes = []
    if an is not None:
        errors = ", ".join(f"{e:.2g}" for e in an["test_relative_error"])
        notes.append(f"test relative error {errors}; manifold residual r = {an['r']:.3g}")
    elif int(tr.get("diverged", 0)):
        notes.append(f"training DIVERGED at step {data['loss'].size - 1}: no /analysis "
                     f"(the file holds the best network, step {int(tr.get('best_step', -1))})")
    else:
        notes.append("no /analysis in this file (run with -analysis false): test error and r unknown")
    return title, notes


def make_figure(data):
    fig = plt.figure(figsize=(17, 9.5), layout="constrained")
    grid = fig.add_gridspec(2, 3, width_ratios=(1.2, 1, 1))
    draw_loss(fig.add_subplot(grid[0, 0]), data)
    ev, sv, source = spectrum(data)
    draw_eigenvalues(fig.add_subplot(grid[0, 1]), data, ev, source)
    draw_singular_values(fig.add_subplot(grid[0, 2]), data, sv, source)
    draw_activity(fig, grid[1, 0], data)
    draw_structure(fig.add_subplot(grid[1, 1]), data)
    draw_test_sequence(fig.add_subplot(grid[1, 2]), data)
    return fig


def main(argv=None):
    args = parse_args(argv)
    try:
        check_output_directory(args.output)
        try:
            data = load(args.file)
        except (OSError, KeyError, ValueError, TypeError) as e:  # corrupt or unexpected HDF5 content
            raise InputError(f"cannot read {args.file}: {e}")
        fig = make_figure(data)
        title, notes = title_and_notes(data)
        save(fig, args.title if args.title is not None else title, notes, args.output)
    except InputError as e:
        fail(PROG, e)
    print(args.output)


if __name__ == "__main__":
    main()
