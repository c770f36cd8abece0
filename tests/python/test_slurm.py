"""jobs/ against a real SLURM (issue 5): the test starts munged, slurmctld and slurmd on localhost (a one-node
cluster, tests/slurm/cluster.sh), submits the job scripts with sbatch and stops the daemons by process id.

- `scontrol requeue` of a running simulation: the job is killed (SIGTERM), restarts from the first line of its
  script, resumes from its checkpoint, and the final output is bitwise the uninterrupted run's.
- USR1 to the batch shell (what `#SBATCH --signal=B:USR1@T` sends before the time limit): eqrnn checkpoints,
  exits 85, the script requeues the job itself, and again the result is the uninterrupted run's.
- A sweep array over a grid: every task has its output with its grid line's parameter, the census of each is
  right by analysis (x = 0 stable iff J1 < 2), and postprocess/sweep.py gathers them.
- A training job requeued mid-run ends with the weights and loss curve of the uninterrupted run, bitwise.
- jobs/run_local.sh runs the same sweep without SLURM, with the same results.
"""

import csv
import datetime
import os
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import ENV, EQRNN, PYTHON, ROOT, eqrnn, read_simulation as read

pytestmark = pytest.mark.slurm  # ctest's slurm entry runs these; the others leave them out
CLUSTER = os.path.join(ROOT, "tests", "slurm", "cluster.sh")
# 2 ranks, Euler-Maruyama with Philox noise: about 15 s on 2 cores, long enough to be interrupted mid-run;
# the noise makes "the same result" a strong check (it is keyed by step, so a resumed run draws the same).
SIM = ["-group", "Z4096", "-J1", 3, "-init_amplitude", 0.05, "-noise_sigma", 0.05, "-noise_dt", 0.001,
       "-t_final", 24, "-save_interval", 1, "-checkpoint_interval", 2, "-quiet"]
GRID = """# J1 across the ring's bifurcation at J1 = 2
J1
1.5
2.5
3.5
"""


def sh(*cmd, env=None, check=True, timeout=120):
    result = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


DAEMONS = ("munged", "slurmctld", "slurmd")


def running(pid):
    """A zombie has exited; only its parent has not reaped it yet."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return "zombie" not in status.read().lower()
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    if os.geteuid() != 0:
        # A user without root (the non-root run of tests/run.sh in test_setup.py) cannot start slurmd: said,
        # not hidden; as root (CI) these tests always run.
        pytest.skip("the SLURM tests start slurmd, which needs root: run the suite as root to include them")
    state = tmp_path_factory.mktemp("slurm")
    started = sh("bash", CLUSTER, "start", state, check=False, timeout=90)
    # The pids now: a daemon that stops cleanly may remove its pid file, leaving nothing to check after stop.
    pids = {name: int((state / f"{name}.pid").read_text()) for name in DAEMONS if (state / f"{name}.pid").exists()}
    try:
        assert started.returncode == 0, f"cluster did not start:\n{started.stdout}\n{started.stderr}"
        assert set(pids) == set(DAEMONS), f"pid files of {sorted(pids)} only"
        env = dict(ENV, SLURM_CONF=str(state / "slurm.conf"), EQRNN_ROOT=str(ROOT), EQRNN_BIN=EQRNN, EQRNN_PLOT="0")
        yield env
    finally:
        sh("bash", CLUSTER, "stop", state, check=False, timeout=120)
        left = [name for name, pid in pids.items() if running(pid)]
        assert not left, f"still running after stop: {left}"


def job_field(env, job, field):
    out = sh("scontrol", "show", "job", job, env=env).stdout
    for token in out.split():
        if token.startswith(field + "="):
            return token.split("=", 1)[1]
    raise AssertionError(f"no {field} in scontrol show job {job}:\n{out}")


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_done(env, job, timeout=240):
    """Until every job of `job` (an array too) has left the queue; returns the final states."""
    wait_for(lambda: sh("squeue", "-h", "-j", job, env=env, check=False).stdout.strip() == "", timeout,
             f"job {job} to finish")
    return job_field(env, job, "JobState")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("slurm_ref") / "ref.h5"
    eqrnn("simulate", *SIM, "-output", out, ranks=2)
    return read(out)


def submit_2_ranks(slurm, tmp_path, script, deck_name, deck_text, args):
    """sbatch -n 2 jobs/SCRIPT DECK ARGS; returns (job id, output) once the run has written a checkpoint."""
    deck = tmp_path / deck_name
    deck.write_text(deck_text)
    job = sh("sbatch", "--parsable", "-n", 2, "-D", tmp_path, "-o", tmp_path / "job.log",
             os.path.join(ROOT, "jobs", script), deck, *args,
             env=dict(slurm, OUTDIR=str(tmp_path / "out"))).stdout.strip()
    out = tmp_path / "out" / deck_name.replace(".yaml", ".h5")
    # Interrupt only once the run is under way and has checkpointed: then a resumption is really exercised.
    wait_for(lambda: os.path.exists(str(out) + ".ckpt.h5"), 120, "the first checkpoint")
    return job, out


def submit_simulation(slurm, tmp_path):
    return submit_2_ranks(slurm, tmp_path, "simulate.sbatch", "noisy_ring.yaml", "group: Z4096\n", SIM)


def assert_resumed_bitwise(out, reference, log):
    got = read(out)
    assert got["restarts"] >= 1, log
    np.testing.assert_array_equal(got["t"], reference["t"])
    np.testing.assert_array_equal(got["X"], reference["X"])
    np.testing.assert_array_equal(got["x"], reference["x"])
    assert not os.path.exists(str(out) + ".ckpt.h5"), "a complete run removes its checkpoints"


def test_scontrol_requeue_resumes_bitwise(slurm, tmp_path, reference):
    job, out = submit_simulation(slurm, tmp_path)
    sh("scontrol", "requeue", job, env=slurm)
    state = wait_done(slurm, job)
    log = (tmp_path / "job.log").read_text()
    assert state == "COMPLETED", log
    assert job_field(slurm, job, "Restarts") == "1", log
    assert "received SIGTERM" in log and "restart 1" in log, log
    assert_resumed_bitwise(out, reference, log)


def test_usr1_before_the_time_limit_requeues_itself(slurm, tmp_path, reference):
    job, out = submit_simulation(slurm, tmp_path)
    sh("scancel", "--batch", "--signal=USR1", job, env=slurm) # = --signal=B:USR1@T at the deadline
    state = wait_done(slurm, job)
    log = (tmp_path / "job.log").read_text()
    assert state == "COMPLETED", log
    assert job_field(slurm, job, "Restarts") == "1", log
    assert "received SIGUSR1" in log and "requeueing job" in log, log
    assert_resumed_bitwise(out, reference, log)


# The time-limit job: --time=2 --signal=B:USR1@50. slurmctld sends the warning once less than 50 + 30 s are left
# (its periodic check, every 30 s at most), so 40 - 70 s after the start: the run must last longer, whatever the
# machine's speed. Its length is set from a timed short run (the noisy simulation above) to about 85 s on 2 ranks;
# the resumed part is then shorter than 40 s and is not warned again.
LIMIT_RUN_SECONDS = 85


def long_run(tmp_path):
    start = time.time()
    eqrnn("simulate", *SIM, "-output", tmp_path / "calibrate.h5", ranks=2)
    per_unit = (time.time() - start) / 24
    t_final = max(48, 2 * round(LIMIT_RUN_SECONDS / per_unit / 2))
    return SIM[:SIM.index("-t_final") + 1] + [t_final] + SIM[SIM.index("-t_final") + 2:]


def log_times(log, marker):
    """UTC times of the job log lines that contain marker (eqrnn_job_log stamps each line)."""
    stamps = []
    for line in log.splitlines():
        if marker in line and line.startswith("eqrnn job ["):
            stamps.append(datetime.datetime.strptime(line[11:31], "%Y-%m-%dT%H:%M:%SZ"))
    return stamps


def test_time_limit_signal_from_slurm_checkpoints_requeues_and_completes(slurm, tmp_path):
    """--time=2 --signal=B:USR1@50: slurmctld itself sends USR1 to the batch shell before the limit (no scancel
    here); the job checkpoints, requeues itself, resumes, and ends with the uninterrupted run's state."""
    deck = tmp_path / "long.yaml"
    deck.write_text("group: Z4096\n")
    long = long_run(tmp_path)
    job = sh("sbatch", "--parsable", "-n", 2, "--time=2", "--signal=B:USR1@50", "-D", tmp_path, "-o",
             tmp_path / "job.log", os.path.join(ROOT, "jobs", "simulate.sbatch"), deck, *long,
             env=dict(slurm, OUTDIR=str(tmp_path / "out"))).stdout.strip()
    ref = tmp_path / "ref.h5"
    state = wait_done(slurm, job, timeout=600)
    log = (tmp_path / "job.log").read_text()
    assert state == "COMPLETED", log
    assert job_field(slurm, job, "Restarts") == "1", log
    assert "received SIGUSR1" in log and "requeueing job" in log, log
    assert "DUE TO TIME LIMIT" not in log, log
    # Requeue latency: from the job's "requeueing" line to the next start's first line.
    requeued, started = log_times(log, "requeueing job"), log_times(log, ", restart 1")
    assert requeued and started and 0 <= (started[0] - requeued[0]).total_seconds() < 120, log
    eqrnn("simulate", *long, "-output", ref, ranks=2)  # after the job: the two cores are free again
    assert_resumed_bitwise(tmp_path / "out" / "long.h5", read(ref), log)


def check_census(path, j1):
    """x = 0 is stable below J1 = 2 and a saddle (2 unstable modes) above, where a stable bump ring exists."""
    with h5py.File(path, "r") as f:
        assert float(f["parameters"].attrs["J1"]) == j1
        fps = [f["fixed_points"][k] for k in f["fixed_points"] if k.startswith("fp_")]
        zero = [fp for fp in fps if np.abs(fp["x"][()]).max() < 1e-8]
        bumps = [fp for fp in fps if np.abs(fp["x"][()]).max() > 0.1]
        assert len(zero) == 1
        classes = lambda fp: fp.attrs["classification"]
        if j1 < 2:
            assert len(fps) == 1 and classes(zero[0]) in ("stable", b"stable")
        else:
            assert classes(zero[0]) in ("saddle", b"saddle") and int(zero[0].attrs["n_unstable"]) == 2
            assert bumps and all(classes(b) in ("stable", b"stable") for b in bumps)


def census_deck(tmp_path):
    deck = tmp_path / "census.yaml"
    deck.write_text("group: Z64\nkernel: cosine\nphi: tanh\nfp_stability: true\nfp_starts: 4\nquiet: true\n")
    grid = tmp_path / "gain.txt"
    grid.write_text(GRID)
    return deck, grid


def test_sweep_array_every_task(slurm, tmp_path):
    deck, grid = census_deck(tmp_path)
    outdir = tmp_path / "sweep"
    job = sh("bash", os.path.join(ROOT, "jobs", "submit_sweep.sh"), grid, deck,
             env=dict(slurm, OUTDIR=str(outdir), EQRNN_COMMAND="fixedpoints",
                      EQRNN_SBATCH_OPTS=f"-D {tmp_path} -o {tmp_path}/sweep_%A_%a.log")).stdout.strip()
    wait_done(slurm, job)
    gains = [1.5, 2.5, 3.5]
    for k, j1 in enumerate(gains):
        assert job_field(slurm, f"{job}_{k}", "JobState") == "COMPLETED"
        check_census(outdir / f"task_{k}.h5", j1)
    sh(PYTHON, os.path.join(ROOT, "postprocess", "sweep.py"), outdir, "--grid", grid)
    with open(outdir / "sweep.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted({float(r["J1"]) for r in rows}) == gains
    zeros = [r for r in rows if float(r["rms"]) < 1e-8]
    assert sorted(float(r["J1"]) for r in zeros) == gains  # the zero state, once in every task's census
    for r in zeros: # its stability flips at J1 = 2
        assert r["classification"] == ("stable" if float(r["J1"]) < 2 else "saddle")


def run_local_env(**extra):
    """run_local.sh starts with jobs/setup.sh, which builds BUILD_DIR (default ROOT/build): make that the build
    tree of EQRNN when it is one (ctest's), so that the test does not compile a second tree (minutes on 2 cores)."""
    env = dict(ENV, EQRNN_BIN=EQRNN, EQRNN_PLOT="0", **extra)
    build = os.path.dirname(os.path.abspath(EQRNN))
    if os.path.isfile(os.path.join(build, "CMakeCache.txt")):
        env["BUILD_DIR"] = build
    return env


def test_run_local_sweep_matches(tmp_path):
    """jobs/run_local.sh: the same sweep with mpirun and no SLURM, with the same censuses."""
    deck, grid = census_deck(tmp_path)
    env = run_local_env(EQRNN_COMMAND="fixedpoints", EQRNN_GRID=str(grid), OUTDIR=str(tmp_path), NRANKS="2")
    sh("bash", os.path.join(ROOT, "jobs", "run_local.sh"), deck, env=env, timeout=300)
    for k, j1 in enumerate([1.5, 2.5, 3.5]):
        check_census(tmp_path / "gain" / f"task_{k}.h5", j1)


def test_run_local_resumes_after_usr1(tmp_path, reference):
    """run_local.sh forwards USR1 to eqrnn (status 85, checkpoint kept); the same command again finishes it."""
    deck = tmp_path / "noisy_ring.yaml"
    deck.write_text("group: Z4096\n")
    env = run_local_env(OUTDIR=str(tmp_path / "out"), NRANKS="2")
    cmd = ["bash", os.path.join(ROOT, "jobs", "run_local.sh"), str(deck)] + [str(a) for a in SIM]
    out = tmp_path / "out" / "noisy_ring.h5"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: os.path.exists(str(out) + ".ckpt.h5"), 120, "the first checkpoint")
    proc.send_signal(10) # SIGUSR1 to the script, which forwards it
    log, _ = proc.communicate(timeout=120)
    assert proc.returncode == 85, log
    assert "run the same command again to resume" in log, log
    assert os.path.exists(str(out) + ".ckpt.h5")
    sh(*cmd, env=env, timeout=300)
    assert_resumed_bitwise(out, reference, log)


# About 10 s of training on 2 ranks, checkpointed every 20 steps; the weights are bitwise rank-independent.
TRAIN = ["-n", 400, "-D", 2, "-batch", 1024, "-steps", 160, "-checkpoint_interval", 20, "-analysis", "false",
         "-quiet"]


def test_training_job_requeued_gives_the_same_weights(slurm, tmp_path):
    ref = tmp_path / "ref.h5"
    eqrnn("train", *TRAIN, "-output", ref, ranks=2)
    job, out = submit_2_ranks(slurm, tmp_path, "train.sbatch", "train.yaml", "phi: relu\n", TRAIN)
    sh("scontrol", "requeue", job, env=slurm)
    state = wait_done(slurm, job)
    log = (tmp_path / "job.log").read_text()
    assert state == "COMPLETED" and job_field(slurm, job, "Restarts") == "1", log
    assert "received SIGTERM" in log and "restart 1" in log, log
    with h5py.File(ref, "r") as a, h5py.File(out, "r") as b:
        np.testing.assert_array_equal(a["training/W"][()], b["training/W"][()])
        np.testing.assert_array_equal(a["training/loss"][()], b["training/loss"][()])


CONTINUE = ["-group", "Z32xZ32", "-J1", "1.5", "-cont_parameter", "J1", "-cont_min", "1.5", "-cont_max", "2.6",
            "-cont_depth", "1", "-cont_ds", "0.005", "-cont_ds_max", "0.01", "-quiet"]


def continuation_datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f["continuation"].visititems(lambda k, v: out.__setitem__(k, v[()]) if isinstance(v, h5py.Dataset) else None)
    return out


def test_continue_job_requeued_gives_the_same_diagram(slurm, tmp_path):
    """jobs/continue.sbatch checkpoints after every branch (the registry's default for jobs); a requeue in the
    middle resumes with the branches done so far and the diagram is the uninterrupted run's, bit for bit."""
    ref = tmp_path / "ref.h5"
    eqrnn("continue", *CONTINUE, "-output", ref, ranks=2)
    job, out = submit_2_ranks(slurm, tmp_path, "continue.sbatch", "torus.yaml", "phi: tanh\n", CONTINUE)
    sh("scontrol", "requeue", job, env=slurm)
    state = wait_done(slurm, job)
    log = (tmp_path / "job.log").read_text()
    assert state == "COMPLETED" and job_field(slurm, job, "Restarts") == "1", log
    assert "resuming the continuation" in log, log
    a, b = continuation_datasets(ref), continuation_datasets(out)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert not os.path.exists(str(out) + ".ckpt.h5"), "a complete run removes its checkpoints"


def test_installed_sbatch_script_runs_from_anywhere(slurm, tmp_path, installed):
    """cmake --install's job scripts: submitted from a folder that is not the repository, without EQRNN_ROOT or
    EQRNN_BIN, the job finds PREFIX/bin/eqrnn and the installed deck, and writes under the submission folder."""
    env = {k: v for k, v in slurm.items() if k not in ("EQRNN_ROOT", "EQRNN_BIN", "OUTDIR")}
    share = installed / "share" / "eqrnn"
    job = sh("sbatch", "--parsable", "-n", 2, "-D", tmp_path, "-o", tmp_path / "job.log",
             share / "jobs" / "simulate.sbatch", share / "input" / "ring.yaml", "-t_final", 2, "-quiet",
             env=env).stdout.strip()
    state = wait_done(slurm, job)
    log = (tmp_path / "job.log").read_text()
    assert state == "COMPLETED", log
    with h5py.File(tmp_path / "runs" / "ring.h5", "r") as f:
        assert f["final/x"].shape == (256,), log
        assert f["trajectory/t"][-1] == pytest.approx(2.0), log
