"""The command layer end to end: the registry (-help, -list-commands, unknown commands), the parameter tables
(every parameter read, recorded in /parameters and listed in -help; every option the manual documents
accepted), solver options on the command line, -quiet everywhere, a step limit that is an error, checkpoint
identities, fault injection on one rank (one error line, no hang), start files for the census, tau != 1,
the FFTW planners, and the unit-test harness's handling of a failure on one rank."""
import re
import subprocess
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import ENV, EQRNN, MPIEXEC, REQUEUE, ROOT, assert_one_line_error, eqrnn


def commands():
    out = eqrnn("-list-commands").stdout
    rows = [line.split("\t") for line in out.splitlines() if line and not line.startswith("#")]
    return {r[0]: {"resumes": r[1] == "1", "checkpoints": r[2], "figure": r[3]} for r in rows}


def parameter_table(command):
    """(name, default) of every parameter, from `eqrnn COMMAND -help markdown` (the table the code reads)."""
    rows = re.findall(r"^\| `-(\w+)` \| (?:`([^`]*)`)? \|", eqrnn(command, "-help", "markdown").stdout, re.M)
    return [(name, default.replace("\\|", "|")) for name, default in rows]


# ---------------------------------------------------------------- the registry

@pytest.mark.slow
def test_the_registry_is_what_help_and_errors_list():
    table = commands()
    assert set(table) >= {"simulate", "fixedpoints", "stability", "group", "reduce", "train"}
    top = eqrnn("-help").stdout
    for name in table:
        assert re.search(rf"^  {name} ", top, re.M), name
    proc = eqrnn("simulat", check=False)
    assert_one_line_error(proc, "unknown command 'simulat'")
    assert all(name in proc.stderr for name in table)  # the message lists every registered command
    assert table["simulate"] == {"resumes": True, "checkpoints": "-checkpoint_walltime 300",
                                 "figure": "plot_activity.py"}
    assert table["fixedpoints"]["checkpoints"] == "-checkpoint_starts 10"
    assert not table["group"]["resumes"] and not table["reduce"]["resumes"]


def test_list_commands_needs_no_mpi_start_up():
    # job_common.sh calls it on login nodes and inside allocations, before any launcher.
    proc = subprocess.run([EQRNN, "-list-commands"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0 and proc.stdout.startswith("# command\tresumes"), proc.stderr


@pytest.mark.slow
def test_help_is_compact_and_petsc_options_come_on_request():
    sim = eqrnn("simulate", "-help").stdout
    assert len(sim.splitlines()) < 120, len(sim.splitlines())  # was 578 lines with PETSc's
    for opt in ("-group", "-kernel", "-J1", "-t_final", "-save_interval", "-init", "-output", "-quiet"):
        assert re.search(rf"^  {opt} ", sim, re.M), opt
    assert "formerly" not in sim and "-ts_type" not in sim
    assert "-ts_*" in sim  # the prefixes the command reads are named
    petsc = eqrnn("simulate", "-help", "petsc").stdout
    assert "-ts_type" in petsc and "-ts_rk_type" in petsc
    # The current value is shown, with the default where a deck changed it.
    deck = eqrnn("simulate", "-options_file_yaml", ROOT / "input" / "ring.yaml", "-help").stdout
    assert re.search(r"^  -J1 3 .*\(default 1\)$", deck, re.M), deck


# ---------------------------------------------------------------- one table per command

TINY = {
    "simulate": ["-group", "Z8", "-t_final", "0.1"],
    "fixedpoints": ["-group", "Z8", "-fp_starts", "1", "-fp_symmetry_seeds", "false"],
    "stability": ["-group", "Z8"],
    "group": ["-group", "S3"],
    "reduce": ["-group", "S3", "-kernel", "irreps", "-kernel_irreps", "rho2", "-kernel_irrep_gains", "3",
               "-input", "none", "-reduce_starts", "2"],
    "train": ["-n", "8", "-D", "1", "-steps", "2", "-batch", "8", "-batch_chunk", "8", "-test_samples", "2",
              "-test_length", "5", "-fixed_point_starts", "0", "-slow_points", "0", "-save_test_sequences", "0"],
}


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(TINY))
def test_every_parameter_is_read_recorded_and_listed(tmp_path, command):
    """Every parameter of the table, given at its default value, is accepted (no 'unknown option'), appears in
    -help, and is recorded in /parameters of the output."""
    table = parameter_table(command)
    assert len(table) >= 3, table
    args = []
    for name, default in table:
        args += [f"-{name}", default]
    out = tmp_path / "out.h5"
    extra = list(TINY[command])
    if command == "stability":
        eqrnn("simulate", "-group", "Z8", "-t_final", "0.1", "-quiet", "-output", tmp_path / "state.h5")
        extra += ["-state_file", str(tmp_path / "state.h5")]
    if command != "group":
        extra += ["-output", str(out)]
    eqrnn(command, *args, *extra, cwd=tmp_path)  # later options win: the tiny settings
    helptext = eqrnn(command, "-help").stdout
    for name, _ in table:
        assert re.search(rf"^  -{name} ", helptext, re.M), name
    if command == "group":
        return
    with h5py.File(out, "r") as f:
        recorded = set(f["parameters"].attrs)
    missing = {name for name, _ in table} - recorded
    assert not missing, missing


MANUAL_SECTIONS = {"simulate": "simulate", "fixedpoints": "fixedpoints", "stability": "stability",
                   "group": "group", "reduce": "reduce", "train": "train"}
GENERIC = {"options_file_yaml", "options_file", "help", "version", "log_view", "fault_injection", "list",
           "list-commands"}


def documented_options(text):
    return set(re.findall(r"(?<![\w-])-([a-z][a-z0-9_]*[a-z0-9])\b", text))


@pytest.mark.slow
def test_every_option_the_manual_documents_is_accepted_by_its_command():
    """README and docs/commands.md name options in each command's section: each is in that command's table or
    is an option of one of its solvers (a PETSc/SLEPc prefix the command reads)."""
    tables = {c: {name for name, _ in parameter_table(c)} for c in TINY}
    prefixes = {}
    for c in TINY:
        line = re.search(r"solver options read by this command: (.*)", eqrnn(c, "-help").stdout)
        prefixes[c] = [p.strip("-*") for p in line.group(1).split()] if line else []
    text = (ROOT / "docs" / "commands.md").read_text()
    sections = re.split(r"^## ", text, flags=re.M)
    checked = 0
    for section in sections:
        head = section.splitlines()[0] if section else ""
        names = [c for c in TINY if f"`eqrnn {c}`" in head]
        if not names:
            continue
        known = set().union(*(tables[c] for c in names)) | GENERIC
        for opt in documented_options(section):
            if any(opt.startswith(p) for c in names for p in prefixes[c]) or opt in known:
                checked += 1
                continue
            # Another command's option mentioned in passing (e.g. stability's -state_file in the census text).
            assert any(opt in tables[c] for c in TINY), f"{head}: -{opt} is not an option of any command"
    assert checked > 50, checked
    # README's tour names options of several commands: each must be one of some command.
    every = set().union(*tables.values()) | GENERIC
    solver = {p for c in TINY for p in prefixes[c]}
    command_lines = [line for line in (ROOT / "README.md").read_text().splitlines() if "eqrnn " in line]
    for opt in documented_options("\n".join(command_lines)):
        assert opt in every or any(opt.startswith(p) for p in solver), f"README: -{opt} is no option of eqrnn"


# ---------------------------------------------------------------- solver options

@pytest.mark.slow
def test_solver_options_work_on_the_command_line(tmp_path):
    # -eps_* reach the census' eigensolver (they were refused: the unused-option check ran before it existed).
    few = tmp_path / "few.h5"
    eqrnn("fixedpoints", "-group", "Z32", "-J1", 3, "-fp_stability", "-fp_starts", 2, "-quiet", "-output", few,
          "-eps_nev", 3, "-eps_tol", "1e-10", "-eps_type", "krylovschur", "-snes_max_it", 40, "-ksp_rtol", "1e-9",
          "-snes_linesearch_type", "bt", "-snes_converged_reason")
    default = tmp_path / "default.h5"
    eqrnn("fixedpoints", "-group", "Z32", "-J1", 3, "-fp_stability", "-fp_starts", 2, "-quiet", "-output", default)
    with h5py.File(few) as a, h5py.File(default) as b:
        na = [len(a["fixed_points"][k].attrs["eigenvalues_real"]) for k in a["fixed_points"] if k.startswith("fp_")]
        nb = [len(b["fixed_points"][k].attrs["eigenvalues_real"]) for k in b["fixed_points"] if k.startswith("fp_")]
    assert na and all(3 <= x < y for x, y in zip(na, nb)), (na, nb)
    # -eps_type lapack computes the whole spectrum: N eigenvalues.
    eqrnn("simulate", "-group", "Z16", "-J1", 3, "-t_final", 20, "-quiet", "-output", tmp_path / "s.h5")
    proc = eqrnn("stability", "-group", "Z16", "-J1", 3, "-state_file", tmp_path / "s.h5", "-eps_type", "lapack",
                 "-eps_nev", 4, "-quiet", "-output", tmp_path / "st.h5", "-eps_view")
    assert "EPS Object" in proc.stdout
    with h5py.File(tmp_path / "st.h5") as f:
        assert len(f["fixed_points/fp_0"].attrs["eigenvalues_real"]) == 16
    # Implicit time stepping reads -snes_*/-ksp_*, and the views are printed after the solve.
    proc = eqrnn("simulate", "-group", "Z16", "-t_final", 1, "-ts_type", "beuler", "-ts_dt", 0.1, "-quiet",
                 "-snes_converged_reason", "-ksp_converged_reason", "-ts_view", "-output", tmp_path / "i.h5")
    assert "TS Object" in proc.stdout and "Nonlinear solve converged" in proc.stdout
    # The trained network's solvers take the -trained_ prefix.
    proc = eqrnn("train", *TINY["train"][:-6], "-fixed_point_starts", 2, "-trained_eps_nev", 4,
                 "-trained_snes_max_it", 20, "-trained_ksp_converged_reason", "-trained_snes_view",
                 "-output", tmp_path / "t.h5")
    assert "SNES Object" in proc.stdout


@pytest.mark.slow
def test_a_misspelled_solver_option_is_an_error():
    assert_one_line_error(eqrnn("simulate", "-group", "Z8", "-t_final", 0.1, "-ts_typo", "rk", check=False),
                          "unknown option -ts_typo")
    assert_one_line_error(eqrnn("fixedpoints", "-group", "Z8", "-fp_stability", "-eps_nevv", 3, check=False),
                          "unknown option -eps_nevv")
    # Without -fp_stability there is no eigensolver to read -eps_nev.
    assert_one_line_error(eqrnn("fixedpoints", "-group", "Z8", "-eps_nev", 3, check=False), "-eps_nev")


@pytest.mark.parametrize("command", ["simulate", "fixedpoints", "stability", "reduce", "train"])
def test_quiet_is_accepted_by_every_command_that_prints_progress(tmp_path, command):
    extra = []
    if command == "stability":
        eqrnn("simulate", "-group", "Z8", "-t_final", "0.1", "-quiet", "-output", tmp_path / "state.h5")
        extra = ["-state_file", tmp_path / "state.h5"]
    eqrnn(command, *TINY[command], *extra, "-quiet", "-output", tmp_path / "o.h5")


# ---------------------------------------------------------------- runs that cannot reach t_final

@pytest.mark.parametrize("limit", [3, -5])
def test_a_step_limit_before_t_final_is_an_error(tmp_path, limit):
    out = tmp_path / "o.h5"
    proc = eqrnn("simulate", "-group", "Z64", "-J1", 3, "-t_final", 10, "-ts_max_steps", limit, "-quiet",
                 "-output", out, check=False)
    assert_one_line_error(proc, "before t = ")
    assert "simulated" not in proc.stdout
    with h5py.File(out, "r") as f:
        assert "finished" not in f.attrs
        t, x = f["trajectory/t"][()], f["trajectory/x"][()]
    # Every sample is at its time: a multiple of the save interval, and no state written twice.
    np.testing.assert_allclose(t, 0.5 * np.arange(len(t)), rtol=0, atol=1e-12)
    assert len({row.tobytes() for row in x}) == len(x)


# ---------------------------------------------------------------- checkpoints belong to one run

@pytest.mark.slow
def test_a_checkpoint_of_another_run_is_refused_with_the_difference(tmp_path):
    out = tmp_path / "r.h5"
    base = ["simulate", "-group", "Z64", "-J1", 3, "-t_final", 8, "-checkpoint_interval", 2, "-quiet", "-output", out]
    assert eqrnn(*base, "-stop_after_checkpoints", 1, check=False).returncode == REQUEUE
    # The gain is not part of the kernel: before, a run with another gain resumed from this checkpoint.
    proc = eqrnn(*base, "-gain", 2, "-restart", f"{out}.ckpt.h5", check=False)
    assert_one_line_error(proc, "gain 1 -> 2")
    # -t_final is not part of the identity: a run can be extended.
    proc = eqrnn(*base, "-t_final", 12, "-restart", "auto")
    assert "resuming from" in proc.stdout and "t = 2 " in proc.stdout, proc.stdout
    proc = eqrnn(*base, "-gain", 2, "-restart", "auto")
    assert "checkpoint skipped" in proc.stdout and "starting from t = 0" in proc.stdout


# ---------------------------------------------------------------- a failure on one rank

FAULTS = [
    ("hdf5_write:{r}", [], "cannot create output file"),
    ("hdf5_write:{r}:6", [], "failed"),  # later, while the trajectory is written
    ("file_check:{r}", ["-init", "file", "-init_file", "{state}"], "not found"),
]


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("fault,extra,fragment", FAULTS, ids=[f[0] for f in FAULTS])
def test_a_failure_on_one_rank_is_one_error_line_and_no_hang(tmp_path, ranks, fault, extra, fragment):
    state = tmp_path / "state.h5"
    eqrnn("simulate", "-group", "Z64", "-t_final", 0.1, "-quiet", "-output", state)
    args = [a.format(state=state) for a in extra]
    start = time.monotonic()
    proc = eqrnn("simulate", "-group", "Z64", "-J1", 3, "-t_final", 2, "-save_interval", 0.1, "-quiet",
                 "-fault_injection", fault.format(r=ranks - 1), *args, "-output", tmp_path / "o.h5",
                 ranks=ranks, check=False, timeout=30)
    assert time.monotonic() - start < 30
    assert_one_line_error(proc, fragment)


# ---------------------------------------------------------------- the census polishes given states first

@pytest.mark.slow
def test_start_files_are_polished_into_fixed_points_first(tmp_path):
    sim = tmp_path / "ring.h5"
    eqrnn("simulate", "-group", "Z64", "-J1", 3, "-t_final", 30, "-quiet", "-output", sim)
    out = tmp_path / "fp.h5"
    eqrnn("fixedpoints", "-group", "Z64", "-J1", 3, "-fp_start_file", sim, "-fp_starts", 0,
          "-fp_symmetry_seeds", "false", "-fp_stability", "-output", out)
    with h5py.File(sim) as f:
        x_sim = f["final/x"][()]
    with h5py.File(out) as f:
        fp0 = f["fixed_points/fp_0"]
        assert int(fp0.attrs["start"]) == 0 and fp0.attrs["residual"] <= 1e-10
        assert fp0.attrs["classification"] == "stable"
        # Newton moved the simulated bump only a little: it was already near the ring of fixed points.
        assert np.linalg.norm(fp0["x"][()] - x_sim) < 1e-3 * np.linalg.norm(x_sim)
    # The fixed point itself, twice: the second start lies exactly on a known orbit, where the deflation
    # factor once overflowed to infinity (a NaN residual, a "failed" start); it is a repeat.
    fixed = f"{out}:/fixed_points/fp_0/x"
    proc = eqrnn("fixedpoints", "-group", "Z64", "-J1", 3, "-fp_start_file", f"{fixed},{fixed}", "-fp_starts", 0,
                 "-fp_symmetry_seeds", "false", "-output", tmp_path / "again.h5")
    assert re.search(r"start 1/3: new", proc.stdout) and re.search(r"start 2/3: repeat", proc.stdout), proc.stdout
    # A missing file is an error before the census starts.
    assert_one_line_error(eqrnn("fixedpoints", "-group", "Z64", "-fp_start_file", tmp_path / "none.h5",
                                "-output", tmp_path / "x.h5", check=False), "not found")


# ---------------------------------------------------------------- tau != 1

def test_the_zero_state_spectrum_scales_with_tau(tmp_path):
    zero = tmp_path / "zero.h5"
    with h5py.File(zero, "w") as f:
        f["x"] = np.zeros(32)
    eqrnn("stability", "-group", "Z32", "-J1", 3, "-tau", 2, "-state_file", zero, "-state_dataset", "/x",
          "-eps_type", "lapack", "-quiet", "-output", tmp_path / "st.h5")
    with h5py.File(tmp_path / "st.h5") as f:
        re_ = np.sort(f["fixed_points/fp_0"].attrs["eigenvalues_real"])[::-1]
    # (-1 + J1/2) / tau twice (cos and sin of mode 1), -1/tau for the other 30.
    np.testing.assert_allclose(re_[:2], (-1 + 1.5) / 2, atol=1e-12)
    np.testing.assert_allclose(re_[2:], -0.5, atol=1e-12)


@pytest.mark.slow
def test_the_noise_variance_scales_with_tau(tmp_path):
    # J = 0: tau dx = -x dt + sigma dW, an Ornstein-Uhlenbeck process; Euler-Maruyama with step h keeps the
    # stationary variance sigma^2 / (2 tau - h) exactly (docs/mathematics.md section 8).
    sigma, tau, h = 0.3, 2.0, 0.01
    out = tmp_path / "ou.h5"
    eqrnn("simulate", "-group", "Z4096", "-J0", 0, "-J1", 0, "-tau", tau, "-noise_sigma", sigma, "-noise_dt", h,
          "-init", "zero", "-t_final", 40, "-save_interval", 0, "-quiet", "-output", out)
    with h5py.File(out) as f:
        x = f["final/x"][()]
    expected = sigma ** 2 / (2 * tau - h) * (1 - (1 - h / tau) ** (2 * 4000))
    assert abs(x.var() / expected - 1) < 4 * np.sqrt(2 / x.size), (x.var(), expected)


# ---------------------------------------------------------------- FFTW planners

@pytest.mark.slow
@pytest.mark.parametrize("group", ["Z97", "Z16xZ12", "D6xZ8"])
def test_measure_and_patient_planners_give_the_same_run(tmp_path, group):
    base = ("simulate", "-group", group, "-J1", 3, "-t_final", 4, "-save_interval", 0, "-quiet")
    ref = tmp_path / "estimate.h5"
    eqrnn(*base, "-output", ref, ranks=2)
    with h5py.File(ref) as f:
        x_ref = f["final/x"][()]
    for planner in ("measure", "patient"):
        out = tmp_path / f"{planner}.h5"
        eqrnn(*base, "-fft_planner", planner, "-output", out, ranks=2)
        with h5py.File(out) as f:
            assert f["parameters"].attrs["fft_planner"] == planner
            np.testing.assert_allclose(f["final/x"][()], x_ref, rtol=0, atol=1e-11)


# ---------------------------------------------------------------- the unit-test harness

@pytest.mark.slow
def test_a_failure_on_one_rank_of_a_unit_test_is_reported_and_does_not_hang():
    unit = Path(EQRNN).parent / "tests" / "eqrnn_unit_tests"
    cmd = [*MPIEXEC, "-n", "2", "--oversubscribe", str(unit), "--gtest_also_run_disabled_tests",
           "--gtest_filter=Collective.DISABLED_*"]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=60)
    assert time.monotonic() - start < 60
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "[rank 1]" in out and "the deliberate failure" in out
    assert "DISABLED_AFailureOnAnotherRankIsReported failed on rank 1" in out


# ---------------------------------------------------------------- set-up

def test_setup_fails_when_the_build_fails(tmp_path):
    """In an existing build tree a failed compile leaves the old binaries behind; setup.sh must fail on the
    build's own status rather than test those. A cmake that fails on --build stands in for a compile error."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "cmake").write_text('#!/bin/sh\n[ "$1" = --build ] && { echo "error: broken.cpp: 1: nope"; exit 2; }\n'
                                'exec /usr/bin/cmake "$@"\n')
    (fake / "cmake").chmod(0o755)
    build = tmp_path / "build"
    build.mkdir()
    (build / "CMakeCache.txt").write_text("# configured\n")  # an existing tree: no configure step
    (build / "eqrnn").write_text("#!/bin/sh\nexit 0\n")       # and an old binary from an earlier build
    (build / "eqrnn").chmod(0o755)
    env = dict(ENV, PATH=f"{fake}:{ENV['PATH']}", BUILD_DIR=str(build))
    proc = subprocess.run(["bash", str(ROOT / "jobs" / "setup.sh")], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "the build failed (status 2" in proc.stderr and "broken.cpp" in proc.stdout + proc.stderr


def test_an_integer_that_does_not_fit_is_refused(tmp_path):
    # 2^32 + 1 narrowed silently to 1 (a one-neuron network trained without complaint).
    proc = eqrnn("train", *TINY["train"], "-n", "4294967297", "-output", tmp_path / "o.h5", check=False)
    assert_one_line_error(proc, "-n")
    proc = eqrnn("fixedpoints", "-group", "Z8", "-fp_starts", "4294967296", "-output", tmp_path / "o.h5", check=False)
    assert_one_line_error(proc, "-fp_starts: 4294967296 is out of range")


@pytest.mark.slow
def test_the_reference_is_generated_from_the_parameter_tables():
    """docs/reference.md is what docs/make_reference.sh writes from this binary: it cannot drift from the code.
    (After changing a parameter: bash docs/make_reference.sh > docs/reference.md.)"""
    proc = subprocess.run(["bash", str(ROOT / "docs" / "make_reference.sh"), EQRNN], capture_output=True, text=True,
                          env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    committed = (ROOT / "docs" / "reference.md").read_text()
    assert proc.stdout == committed, "docs/reference.md is stale: run bash docs/make_reference.sh > docs/reference.md"
    for command in commands():
        assert f"## eqrnn {command}" in committed
