#!/usr/bin/python3
"""Print what an eqrnn HDF5 file holds, without plotting anything.

    summary.py FILE.h5 [FILE2.h5 ...] [--options]

For each file: the command that wrote it (simulate, fixedpoints, stability, reduce, train), the group, neuron count,
channels and state layout, provenance (eqrnn version, git commit, MPI size, host, start and finish times), the
main parameters, and a digest of the results: trajectory samples and time span, the final state's range and
norm, the fixed-point manifolds (stabiliser, orbit size, classification) or the reduced model's orbits and
families; for a trained network (eqrnn train) n, D, phi, the optimiser, the first, best and final losses, the test
errors, the manifold residual r, the leading eigenvalues of W, the slow points (the speed |G(h) - h|/|h| at test states
and how many have exactly D eigenvalues of the map's Jacobian near 1) and the steps a resumed run restarted at.
A checkpoint (OUTPUT.ckpt.h5) is described by where the run was (t, step; or the census' next start). --options
also prints the whole options database recorded at start. Problems with a file are one line on stderr
("summary.py: error: ...") and exit status 2; other files are still summarised.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the shared module, also when run from elsewhere
from eqrnn_io import InputError, OneLineParser, as_str, error_line, open_hdf5  # noqa: E402

PROG = "summary.py"
PARAMETERS_SHOWN = ("group", "channels", "kernel", "kernel_irreps", "kernel_irrep_gains", "J0", "J1", "phi",
                    "gain", "tau", "noise_sigma", "input", "t_final", "save_interval", "init", "seed")


def attr(node, name, default=None):
    return as_str(node.attrs[name]) if name in node.attrs else default


def command_of(h5):
    """Which eqrnn command wrote the file, from what it holds."""
    if "reduced" in h5:
        return "reduce"
    if "fixed_points" in h5:
        return "fixedpoints or stability"
    if "trajectory" in h5 or "final" in h5:
        return "simulate"
    return "unknown"


def describe_state(x):
    x = np.asarray(x, dtype=float)
    return (f"min {x.min():.4g}, max {x.max():.4g}, |x| = {np.linalg.norm(x):.6g}"
            + ("" if np.all(np.isfinite(x)) else "  (contains NaN/Inf!)"))


def lines_for_trajectory(h5):
    out = []
    if "trajectory" in h5:
        t = np.asarray(h5["trajectory/t"][()], dtype=float) if "trajectory/t" in h5 else np.array([])
        count = int(h5["trajectory"].attrs.get("count", len(t)))
        span = f", t = {t[0]:g} … {t[min(count, len(t)) - 1]:g}" if count and len(t) else ""
        out.append(f"  trajectory: {count} samples{span}")
        if "trajectory/x" in h5:
            out.append(f"  trajectory/x: shape {h5['trajectory/x'].shape}")
    if "final/x" in h5:
        out.append(f"  final state: {describe_state(h5['final/x'][()])}")
    return out


def lines_for_fixed_points(h5):
    fp = h5["fixed_points"]
    names = sorted((k for k in fp if k.startswith("fp_")), key=lambda k: int(k[3:]))
    out = [f"  fixed points: {len(names)} manifold(s)"]
    for k in names:
        a = fp[k].attrs
        cls = attr(fp[k], "classification", "not computed")
        out.append(f"    {k}: residual {float(a.get('residual', np.nan)):.1e}, stabiliser "
                   f"{attr(fp[k], 'stabiliser', '?')} (order {int(a.get('stabiliser_order', 0))}), "
                   f"orbit {int(a.get('orbit_size', 0))}, {cls}")
    return out


def lines_for_reduced(h5):
    r = h5["reduced"]
    names = sorted((k for k in r if k.startswith("fp_")), key=lambda k: int(k[3:]))
    a = r.attrs
    out = [f"  reduced model on {attr(r, 'irreps', '?')}: R = {int(a.get('dimension', 0))}, {len(names)} orbit(s) "
           f"in {int(a.get('families', len(names)))} family(ies) from {int(a.get('starts', 0))} starts"]
    verified = [int(r[k].attrs.get("verified", 0)) for k in names]
    if names:
        out.append(f"  verified on the full network: {sum(verified)} of {len(names)}; max relative residual "
                   f"{max(float(r[k].attrs.get('residual_full', np.nan)) for k in names):.1e}")
    seen = set()
    for k in names:
        g = r[k].attrs
        fam = int(g.get("family", -1))
        if fam in seen:
            continue
        seen.add(fam)
        re_ = np.asarray(g.get("eigenvalues_real", [np.nan]), dtype=float)
        out.append(f"    family {fam} ({k}): |x| = {np.linalg.norm(r[k]['x'][()]):.6g}, stabiliser order "
                   f"{int(g.get('stabiliser_order', 0))}, orbit {int(g.get('orbit_size', 0))}, "
                   f"{attr(r[k], 'classification', '?')}, leading Re = {re_.max():.4g}")
    return out


def format_eigenvalue(z):
    return f"{z.real:.4g}" if z.imag == 0 else f"{z.real:.4g}{z.imag:+.4g}i"


def lines_for_training(path, h5):
    """A network trained by eqrnn train: the run, the loss curve's landmarks and the analysis' digest."""
    p = h5["parameters"] if "parameters" in h5 else h5
    t = h5["training"]
    a = t.attrs
    out = [f"{path}: written by eqrnn train",
           f"  n = {attr(h5, 'n', '?')}, D = {attr(h5, 'D', '?')}, phi {attr(p, 'phi', '?')}, form {attr(p, 'form', '?')}, "
           f"{attr(p, 'optimizer', '?')} lr {attr(p, 'lr', '?')}, batch {attr(p, 'batch', '?')}, T = {attr(p, 'T', '?')}, "
           f"decay {attr(p, 'decay', '?')}",
           f"  eqrnn {attr(h5, 'eqrnn_version', '?')} (git {attr(h5, 'git_commit', '?')}), "
           f"{attr(h5, 'mpi_size', '?')} rank(s) on {attr(h5, 'host', '?')}",
           f"  started {attr(h5, 'started', '?')}, finished {attr(h5, 'finished', 'NOT FINISHED')}",
           f"  training: {int(a.get('steps', len(t['loss'])))} steps, loss first {float(a.get('first_loss', np.nan)):.4g}, "
           f"best {float(a.get('best_loss', np.nan)):.4g} at step {attr(t, 'best_step', '?')}, "
           f"final {float(a.get('final_loss', np.nan)):.4g}; network kept: {attr(t, 'network', '?')}"
           + ("; DIVERGED" if int(a.get("diverged", 0)) else "")]
    if int(h5.attrs.get("restarts", 0)) > 0:
        out.append(f"  resumed {attr(h5, 'restarts')} time(s) from checkpoints, at step "
                   f"{attr(h5, 'restart_steps', '?')}")
    if "analysis" not in h5:
        out.append("  no /analysis (" + ("training diverged" if int(a.get("diverged", 0)) else "-analysis false") + ")")
        return out
    an = h5["analysis"]
    rel = ", ".join(f"{e:.3g}" for e in np.atleast_1d(an["test_relative_error"][()]))
    mse = ", ".join(f"{e:.3g}" for e in np.atleast_1d(an["test_mse"][()]))
    out.append(f"  test ({attr(an, 'test_samples', '?')} sequences of {attr(an, 'test_length', '?')} steps): relative "
               f"error {rel}, MSE/s^2 {mse}; manifold residual r = {float(an['manifold_residual'][()]):.3g}")
    ev = an["eigenvalues_real"][()] + 1j * an["eigenvalues_imag"][()]
    sv = an["singular_values"][()]
    shown = int(h5.attrs.get("D", 1)) + 2
    out.append(f"  leading eigenvalues of W: {', '.join(format_eigenvalue(z) for z in ev[:shown])}; "
               f"singular values: {', '.join(f'{s:.4g}' for s in sv[:shown])}")
    if "slow_points" in an:
        out.append(line_for_slow_points(an["slow_points"], int(h5.attrs.get("D", 1))))
    return out


def line_for_slow_points(g, D):
    """The attractor of a trained integrator as slow points: speed and the eigenvalues of A(h) near 1."""
    a = g.attrs
    count = int(a.get("count", 0))
    if count == 0:
        return "  slow points: none (no nonzero test state)"
    return (f"  slow points: {count} test states, speed |G(h) - h|/|h| median {float(a['median_speed']):.3g} "
            f"(max {float(a['max_speed']):.3g}); {int(a['with_D_near_one'])} of {count} with exactly D = {D} "
            f"eigenvalues of diag(φ') W within {float(a['tol']):g} of 1 (|μ| {float(a['near_one_min_modulus']):.3g} "
            f"… {float(a['near_one_max_modulus']):.3g}), the others |μ| ≤ {float(a['max_other_modulus']):.3g}")


def lines_for_checkpoint(path, h5):
    """A checkpoint (OUTPUT.ckpt.h5): what it resumes and where the run was."""
    census = attr(h5, "kind") == "census"
    where = (f"census at start {attr(h5, 'next_start', '?')}, {attr(h5, 'count', '?')} manifold(s) kept"
             if census else f"simulation at t = {attr(h5, 't', '?')}, step {attr(h5, 'step', '?')}, "
             f"{attr(h5, 'samples', '?')} output samples")
    return [f"{path}: eqrnn checkpoint ({where})",
            f"  group {attr(h5, 'group')}, N = {attr(h5, 'N', '?')} neurons, channels {attr(h5, 'channels', '1')}, "
            f"format {attr(h5, 'format_version', '?')}, kernel checksum {attr(h5, 'kernel_checksum', '?')}",
            f"  written {attr(h5, 'written', '?')} by eqrnn {attr(h5, 'eqrnn_version', '?')} "
            f"(git {attr(h5, 'git_commit', '?')}), {attr(h5, 'mpi_size', '?')} rank(s) on {attr(h5, 'host', '?')}",
            "  resume with -restart auto (or -restart FILE) and the same group, size and kernel"]


def summarise(path, show_options):
    with open_hdf5(path) as h5:
        if "training" in h5 and attr(h5, "command") == "train":
            return "\n".join(lines_for_training(path, h5)
                             + (["  options: " + attr(h5, "options")] if show_options and "options" in h5.attrs else []))
        if attr(h5, "kind") == "training":
            resumed = (f", resumed at step {attr(h5, 'restart_steps')}" if int(h5.attrs.get("restarts", 0)) > 0
                       else "")
            return (f"{path}: eqrnn train checkpoint (step {attr(h5, 'step', '?')}{resumed}, best loss "
                    f"{float(h5.attrs.get('best_loss', np.nan)):.4g} at step {attr(h5, 'best_step', '?')}, n = "
                    f"{attr(h5, 'n', '?')}, D = {attr(h5, 'D', '?')}); resume with -restart auto and the same settings")
        if "group" not in h5.attrs:
            raise InputError(f"{path}: not an eqrnn result file (no root attribute 'group')")
        if "format_version" in h5.attrs and "kernel_checksum" in h5.attrs:
            return "\n".join(lines_for_checkpoint(path, h5))
        lines = [f"{path}: written by eqrnn {command_of(h5)}",
                 f"  group {attr(h5, 'group')}, N = {attr(h5, 'N', '?')} neurons, channels "
                 f"{attr(h5, 'channels', '1')}, state_shape {attr(h5, 'state_shape', '(not recorded)')}",
                 f"  eqrnn {attr(h5, 'eqrnn_version', '?')} (git {attr(h5, 'git_commit', '?')}), "
                 f"{attr(h5, 'mpi_size', '?')} rank(s) on {attr(h5, 'host', '?')}",
                 f"  started {attr(h5, 'started', '?')}, finished {attr(h5, 'finished', 'NOT FINISHED')}"]
        if int(h5.attrs.get("restarts", 0)) > 0:
            lines.append(f"  resumed {attr(h5, 'restarts')} time(s) from checkpoints, at t = {attr(h5, 'restart_times')}")
        extra = [f"{k} = {attr(h5, k)}" for k in ("convolution", "ts_type", "steps", "wall_seconds") if k in h5.attrs]
        if extra:
            lines.append("  " + ", ".join(extra))
        if "parameters" in h5:
            p = h5["parameters"]
            axis_family = attr(p, "kernel") in ("cosine", "vonmises", "mexican")
            shown = [f"{k} = {attr(p, k)}" for k in PARAMETERS_SHOWN
                     if k in p.attrs and attr(p, k) != "" and (axis_family or k not in ("J0", "J1"))]
            lines.append("  parameters: " + ", ".join(shown))
        lines += lines_for_trajectory(h5)
        if "fixed_points" in h5:
            lines += lines_for_fixed_points(h5)
        if "reduced" in h5:
            lines += lines_for_reduced(h5)
        if show_options and "options" in h5.attrs:
            lines.append("  options: " + attr(h5, "options"))
    return "\n".join(lines)


def main(argv=None):
    parser = OneLineParser(prog=PROG, description="Print what eqrnn HDF5 files hold.")
    parser.add_argument("files", nargs="+", help="eqrnn result files (.h5)")
    parser.add_argument("--options", action="store_true", help="also print the recorded options database")
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            print(summarise(path, args.options), flush=True)
        except (InputError, OSError, KeyError, ValueError) as e:  # HDF5 damage surfaces as OSError/KeyError
            reason = str(e) if isinstance(e, InputError) else f"{path}: cannot be read ({e})"
            print(error_line(PROG, reason), file=sys.stderr, flush=True)  # and go on with the next file
            status = 2
        except BrokenPipeError:  # summary.py ... | head
            sys.stderr.close()
            return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
