"""Checkpoint and restart of `eqrnn simulate` (issue 5, first part): a resumed run is bitwise the uninterrupted
one on the same number of ranks (state and every trajectory sample, none duplicated or missing), equal to
1e-10 on another number of ranks; it survives kill -9 of mpirun and its ranks at 20 random instants on 2 ranks
(then finished on 2 ranks, bitwise, and on 3, to 1e-10) and SIGUSR1; damaged or foreign checkpoints are
reported and skipped or refused."""

import os
import pathlib
import random
import re
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import ENV, EQRNN, MPIEXEC, REQUEUE, assert_one_line_error, eqrnn, read_simulation as read
RING = ["-group", "Z256", "-J1", 3, "-input", "bump", "-input_amplitude", 1, "-input_location", 128,
        "-input_on", 12, "-input_off", 25, "-init_amplitude", 0.05, "-t_final", 40, "-save_interval", 0.5,
        "-checkpoint_interval", 4, "-quiet"]


def run(out, *extra, ranks=1, check=True):
    return eqrnn("simulate", *RING, "-output", out, *extra, ranks=ranks, check=check)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "ref.h5"
    run(out)
    return read(out)


def assert_same_run(got, ref):
    assert np.array_equal(got["t"], ref["t"])  # no sample lost or written twice
    assert np.array_equal(got["X"], ref["X"])
    assert np.array_equal(got["x"], ref["x"])


@pytest.mark.slow
def test_resumed_run_is_bitwise_the_uninterrupted_one(tmp_path, reference):
    out = tmp_path / "b.h5"
    proc = run(out, "-stop_after_checkpoints", 3, check=False)
    assert proc.returncode == REQUEUE, proc.stderr
    assert (tmp_path / "b.h5.ckpt.h5").exists() and (tmp_path / "b.h5.ckpt.prev.h5").exists()
    proc = run(out, "-restart", "auto")
    assert "resuming from" in proc.stdout and "t = 12" in proc.stdout
    got = read(out)
    assert_same_run(got, reference)
    assert got["restarts"] == 1


@pytest.mark.slow
def test_other_rank_count_agrees_to_1e_10(tmp_path, reference):
    out = tmp_path / "c.h5"
    assert run(out, "-stop_after_checkpoints", 2, check=False).returncode == REQUEUE
    run(out, "-restart", "auto", ranks=2)
    got = read(out)
    assert np.array_equal(got["t"], reference["t"])  # every sample, none lost or written twice
    assert np.max(np.abs(got["X"] - reference["X"])) < 1e-10  # the samples written by 1 and by 2 ranks
    assert np.max(np.abs(got["x"] - reference["x"])) < 1e-10


def readable_up_to_checkpoint(out):
    """After a kill the output on disk is the one of its last flush (every checkpoint flushes it, and the
    metadata cache never writes between flushes): readable, with at least the newest checkpoint's samples.
    False, nothing checked, when killed before the first checkpoint (-restart auto then starts afresh)."""
    ckpt = pathlib.Path(str(out) + ".ckpt.h5")
    if not ckpt.exists():
        return False
    with h5py.File(ckpt, "r") as c:
        samples = int(c.attrs["samples"])
    with h5py.File(out, "r") as f:
        assert f.attrs["group"] and "parameters" in f
        assert int(f["trajectory"].attrs["count"]) >= samples
        assert np.isfinite(f["trajectory/x"][:samples]).all()
    return True


def kill_session(proc):
    """SIGKILL to mpirun and every rank it started, at once, as a node failure would. Open MPI puts each rank in
    its own process group, but they stay in mpirun's session (the test starts mpirun with start_new_session):
    every process of that session is killed by its id, then awaited."""
    def members():
        pids = []
        for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[3]) == proc.pid and fields[0] != "Z":  # state, ppid, pgrp, session; zombies are dead
                pids.append(int(stat.parent.name))
        return pids

    for pid in members():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    deadline = time.time() + 30
    while members() and time.time() < deadline:  # the ranks are reaped by init, not by us: wait until dead
        time.sleep(0.05)
    assert not members(), "ranks survived the kill"


@pytest.mark.slow
def test_kill_minus_9_at_20_random_instants(tmp_path):
    # A longer run (so kills land between checkpoints) on 2 ranks; each killed run (mpirun and both ranks) is
    # resumed with -restart auto on 2 ranks. After the 20th kill the run is finished twice from the same files:
    # on 2 ranks, bitwise the uninterrupted 2-rank run, and on 3 ranks, equal to 1e-10 to the uninterrupted
    # 1-rank run in every sample (docs/operations.md, "Checkpoints and restart").
    args = ["-group", "Z32768", "-J1", 3, "-input", "bump", "-input_amplitude", 1, "-input_location", 16384,
            "-input_on", 10, "-input_off", 30, "-init_amplitude", 0.05, "-t_final", 40, "-save_interval", 0.5,
            "-checkpoint_interval", 2, "-quiet"]
    ref1, ref2 = tmp_path / "ref1.h5", tmp_path / "ref2.h5"
    eqrnn("simulate", *args, "-output", ref1)
    start = time.time()
    eqrnn("simulate", *args, "-output", ref2, ranks=2)
    duration = time.time() - start
    rng = random.Random(20261123)
    out = tmp_path / "k.h5"
    kills = checked = 0
    for _ in range(80):
        # The resumes below must start from a checkpoint: a last kill that lands before the first checkpoint of
        # a fresh start leaves none, and then the run is killed once more.
        if kills >= 20 and any(tmp_path.glob("k.h5.ckpt*.h5")):
            break
        p = subprocess.Popen([*MPIEXEC, "--quiet", "-n", "2", "--oversubscribe", EQRNN, "simulate",
                              *map(str, args), "-output", str(out), "-restart", "auto"],
                             env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        time.sleep(rng.uniform(0.2, 0.9 * duration))
        if p.poll() is None:
            kill_session(p)
            kills += 1
            checked += readable_up_to_checkpoint(out)
            continue
        assert p.wait() == 0, p.stderr.read()
        for f in tmp_path.glob("k.h5*"):  # it finished before the kill: start over and kill it again
            f.unlink()
    assert kills >= 20 and any(tmp_path.glob("k.h5.ckpt*.h5"))
    # Only kills before the first checkpoint of a run go unchecked: the first comes at 5 % of it (t = 2 of 40),
    # resumed runs keep theirs.  Most kills must have been checked, or the test proves nothing about them.
    assert checked >= 10, f"only {checked} of the 20 kills came after a checkpoint"
    other = tmp_path / "three"
    other.mkdir()
    for f in tmp_path.glob("k.h5*"):  # the output and its checkpoints, as the last kill left them
        shutil.copy2(f, other / f.name)
    eqrnn("simulate", *args, "-output", out, "-restart", "auto", ranks=2)
    assert_same_run(read(out), read(ref2))
    eqrnn("simulate", *args, "-output", other / "k.h5", "-restart", "auto", ranks=3)
    got, want = read(other / "k.h5"), read(ref1)
    assert np.array_equal(got["t"], want["t"])
    assert np.max(np.abs(got["X"] - want["X"])) < 1e-10 and np.max(np.abs(got["x"] - want["x"])) < 1e-10
    assert got["restarts"] >= 1


def test_sigusr1_checkpoints_and_exits_for_requeue(tmp_path, reference):
    out = tmp_path / "s.h5"
    p = subprocess.Popen([EQRNN, "simulate", *map(str, RING), "-t_final", "4000", "-output", str(out)], env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (tmp_path / "s.h5.ckpt.h5").exists() and time.time() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "s.h5.ckpt.h5").exists(), "no checkpoint within 60 s: the run is not under way"
    p.send_signal(signal.SIGUSR1)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == REQUEUE, stderr
    assert "signal 10" in stdout and "stopping" in stdout
    with h5py.File(out.with_name("s.h5.ckpt.h5"), "r") as f:
        t = float(f.attrs["t"])
    assert 0 < t < 4000


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_sigusr1_during_the_set_up_stops_at_the_first_checkpoint(tmp_path, ranks):
    """A signal that arrives while the run is still setting up (here: FFTW measuring its plans, about 3 s on
    2 shared cores; at scale, the state, the plans and the files take tens of seconds) is kept, not fatal: the
    run checkpoints at its first chance and exits for requeue, and the resumed run completes."""
    out = tmp_path / "s.h5"
    args = [EQRNN, "simulate", "-group", "Z262144", "-J1", "3", "-fft_planner", "measure", "-t_final", "1",
            "-checkpoint_interval", "0.5", "-restart", "auto", "-output", str(out)]
    launcher = [*MPIEXEC, "--quiet", "-n", str(ranks), "--oversubscribe"] if ranks > 1 else []
    p = subprocess.Popen([*launcher, *args], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    p.send_signal(signal.SIGUSR1)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == REQUEUE, stdout + stderr
    assert "signal 10: checkpoint at t = 0.5 written" in stdout, stdout
    done = subprocess.run([*launcher, *args], env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with h5py.File(out, "r") as f:
        assert int(f.attrs["restarts"]) == 1
        assert f["trajectory/t"][-1] == pytest.approx(1.0)


@pytest.mark.slow
def test_damaged_newest_checkpoint_falls_back_to_the_previous(tmp_path, reference):
    out = tmp_path / "d.h5"
    assert run(out, "-stop_after_checkpoints", 3, check=False).returncode == REQUEUE
    newest = tmp_path / "d.h5.ckpt.h5"
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # truncated, as by a full disk
    proc = run(out, "-restart", "auto")
    assert "checkpoint skipped" in proc.stdout and "t = 8" in proc.stdout
    assert_same_run(read(out), reference)


@pytest.mark.slow
def test_foreign_checkpoint_is_refused(tmp_path):
    out = tmp_path / "e.h5"
    assert run(out, "-stop_after_checkpoints", 1, check=False).returncode == REQUEUE
    proc = eqrnn("simulate", *RING, "-group", "Z128", "-output", tmp_path / "f.h5", "-restart",
                 tmp_path / "e.h5.ckpt.h5", check=False)
    assert_one_line_error(proc, "Z256")


def test_restart_auto_without_checkpoint_starts_fresh(tmp_path, reference):
    out = tmp_path / "g.h5"
    proc = run(out, "-restart", "auto")
    assert "starting from t = 0" in proc.stdout
    assert_same_run(read(out), reference)


CENSUS = ["-group", "Z32xZ32", "-J1", 2.5, "-fp_starts", 12, "-quiet"]


def census_states(path):
    with h5py.File(path, "r") as f:
        fp = f["fixed_points"]
        keys = sorted((k for k in fp if k.startswith("fp_")), key=lambda k: int(k[3:]))
        return [fp[k]["x"][()] for k in keys], [int(fp[k].attrs["start"]) for k in keys]


@pytest.mark.slow
def test_resumed_census_keeps_its_manifolds_and_finishes_identically(tmp_path):
    ref = tmp_path / "fa.h5"
    eqrnn("fixedpoints", *CENSUS, "-output", ref)
    out = tmp_path / "fb.h5"
    proc = eqrnn("fixedpoints", *CENSUS, "-output", out, "-checkpoint_starts", 4, "-stop_after_checkpoints", 2,
                 check=False)
    assert proc.returncode == REQUEUE, proc.stderr
    proc = eqrnn("fixedpoints", *CENSUS, "-output", out, "-checkpoint_starts", 4, "-restart", "auto")
    assert "resuming the census" in proc.stdout and "next start 9" in proc.stdout
    (xa, sa), (xb, sb) = census_states(ref), census_states(out)
    assert sa == sb and len(xa) >= 3
    assert all(np.array_equal(a, b) for a, b in zip(xa, xb))  # the same manifolds, bit for bit
    # A checkpoint of this census does not fit another group.
    proc = eqrnn("fixedpoints", *CENSUS, "-group", "Z16xZ16", "-output", tmp_path / "fc.h5", "-restart",
                 tmp_path / "fb.h5.ckpt.h5", check=False)
    assert_one_line_error(proc, "Z32xZ32")


def test_blow_up_stops_with_time_and_step_and_keeps_the_last_good_checkpoint(tmp_path):
    """Linear phi with J1 = 200: the cos/sin modes grow like exp(99 t) and overflow near t = 7 (from 0.05:
    ln(1.8e308 / 0.05) / 99); forward Euler with dt = 0.01 multiplies them by 1.99 per step, overflowing after
    about ln(1.8e308 / 0.05) / ln(1.99) = 1035 steps, t = 10.35."""
    out = tmp_path / "blowup.h5"
    r = eqrnn("simulate", "-group", "Z64", "-phi", "linear", "-J1", 200, "-ts_type", "euler", "-ts_adapt_type",
              "none", "-ts_dt", 0.01, "-t_final", 30, "-checkpoint_interval", 2, "-init_amplitude", 0.05,
              "-output", out, "-quiet", check=False)
    assert_one_line_error(r, "NaN/Inf")
    line = r.stderr.strip()
    m = re.search(r"t = ([0-9.]+) \(step ([0-9]+)\)", line)
    assert m, line
    t, step = float(m.group(1)), int(m.group(2))
    assert 10 <= t <= 11 and abs(step - round(t / 0.01)) <= 1, line
    with h5py.File(str(out) + ".ckpt.h5", "r") as f: # the newest checkpoint is the last finite state
        x = f["x"][()]
        assert np.isfinite(x).all() and f.attrs["t"] == 10.0 and np.abs(x).max() > 1e290
        assert f.attrs["eqrnn_version"] and f.attrs["git_commit"] and f.attrs["written"]
    with h5py.File(out, "r") as f: # the output stays readable and holds the finite samples
        assert f.attrs["restarts"] == 0
        assert np.isfinite(f["trajectory/x"][()]).all()
