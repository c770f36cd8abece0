"""Building where the libraries already are, and installing (issue 14).

- CMake finds PETSc and SLEPc through PETSC_DIR/PETSC_ARCH/SLEPC_DIR with pkg-config hidden (no .pc file can be
  found), HDF5 through h5pcc; the executable it builds gives the same bits as the default build's.
- What is not found is listed in one message with the variables that point to it, by CMake and by setup.sh.
- As a user without root or sudo, with the packages present, both README commands work (the test command with
  `-L fast`: the whole suite would run this test again).
- `cmake --install` puts eqrnn, the decks, the figure scripts and the job scripts under a prefix; the installed
  run_local.sh uses the installed eqrnn from any folder (the installed sbatch scripts: test_slurm.py).
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import ENV, EQRNN, MPIEXEC, PNG_MAGIC, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.setup]  # ctest entry "setup"
USER = "eqrnn-nonroot"  # created by the test when missing
RUNUSER = shutil.which("runuser", path="/usr/sbin:/sbin:/usr/bin:/bin")
SMALL_RUN = ["simulate", "-group", "Z64", "-J1", "3", "-t_final", "2", "-save_interval", "1", "-quiet"]


def debian_petsc():
    """Debian's PETSc and SLEPc as PETSC_DIR, PETSC_ARCH and SLEPC_DIR (the layout of a PETSc build tree)."""
    arches = sorted(glob.glob("/usr/lib/petscdir/petsc3.*/*-real"))
    slepcs = sorted(glob.glob("/usr/lib/slepcdir/slepc3.*"))
    if not arches or not slepcs:
        pytest.fail("Debian's PETSc/SLEPc not found under /usr/lib/petscdir, /usr/lib/slepcdir")
    arch = Path(arches[-1])
    return dict(PETSC_DIR=str(arch.parent), PETSC_ARCH=arch.name, SLEPC_DIR=slepcs[-1])


def without_pkg_config(env):
    """pkg-config finds no module at all: its search path is an empty folder."""
    empty = tempfile.mkdtemp(prefix="eqrnn-no-pc-")
    return dict(env, PKG_CONFIG_LIBDIR=empty, PKG_CONFIG_PATH="")


def run(cmd, env=None, cwd=None, timeout=900):
    return subprocess.run([str(c) for c in cmd], env=env or ENV, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def final_state(path):
    with h5py.File(path, "r") as f:
        return f["final/x"][()]


def test_build_through_petsc_dir_without_pkg_config(tmp_path):
    env = without_pkg_config(dict(ENV, **debian_petsc()))
    build = tmp_path / "build"
    configure = run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DEQRNN_BUILD_TESTS=OFF"],
                    env=env)
    assert configure.returncode == 0, configure.stdout + configure.stderr
    assert f"PETSc from PETSC_DIR={env['PETSC_DIR']}" in configure.stdout, configure.stdout
    assert f"SLEPc from SLEPC_DIR={env['SLEPC_DIR']}" in configure.stdout, configure.stdout
    assert "parallel HDF5 from FindHDF5" in configure.stdout, configure.stdout  # h5pcc, not pkg-config
    compiled = run(["cmake", "--build", build, "--target", "eqrnn", "-j", "2"], env=env, timeout=1500)
    assert compiled.returncode == 0, compiled.stdout[-4000:] + compiled.stderr
    outputs = []
    for name, exe in (("petsc_dir", build / "eqrnn"), ("default", EQRNN)):
        out = tmp_path / f"{name}.h5"
        proc = run([*MPIEXEC, "-n", "2", exe, *SMALL_RUN, "-output", out])
        assert proc.returncode == 0, proc.stderr
        outputs.append(final_state(out))
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_cmake_lists_what_is_missing_and_the_variables(tmp_path):
    env = without_pkg_config(dict(ENV, PETSC_DIR="/nonexistent/petsc", PETSC_ARCH="arch-x", HDF5_DIR=str(tmp_path)))
    proc = run(["cmake", "-S", ROOT, "-B", tmp_path / "build"], env=env, timeout=300)
    assert proc.returncode != 0
    text = " ".join(proc.stderr.split())  # CMake wraps its messages
    assert "eqrnn: dependencies not found:" in text, proc.stderr
    assert "PETSc: not under PETSC_DIR=/nonexistent/petsc with PETSC_ARCH=arch-x" in text, proc.stderr
    assert "SLEPc: set SLEPC_DIR (and PETSC_ARCH)" in text, proc.stderr
    assert f"parallel HDF5: none under HDF5_DIR={tmp_path}" in text, proc.stderr
    assert "FFTW" not in text and "Random123" not in text, "only what is missing is listed"


def test_setup_stops_with_one_message_when_a_variable_points_nowhere(tmp_path):
    """As root on Debian with every package present, nothing is installed: the PETSc asked for is missing."""
    env = dict(without_pkg_config(ENV), PETSC_DIR="/nonexistent/petsc", BUILD_DIR=str(tmp_path / "build"))
    proc = run(["bash", ROOT / "jobs" / "setup.sh"], env=env, timeout=300)
    assert proc.returncode != 0
    assert "installing" not in proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("eqrnn setup: error:")]
    assert len(errors) == 1 and "configuring the build" in errors[0], proc.stderr
    assert "PETSC_DIR=/nonexistent/petsc" in " ".join(proc.stderr.split()), proc.stderr
    assert not (tmp_path / "build" / "CMakeCache.txt").exists(), "a failed configure is retried next time"


def copy_tree(dest):
    """The checkout as a user would have it: tracked and untracked files that git does not ignore."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def ensure_user():
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", USER], check=True)
        return pwd.getpwnam(USER)


def test_readme_commands_as_a_user_without_root():
    if os.geteuid() != 0:
        pytest.fail("creating the test's user needs root")
    user = ensure_user()
    if not RUNUSER:
        pytest.fail("runuser (util-linux) not found")
    work = Path(tempfile.mkdtemp(prefix="eqrnn-user-"))
    try:
        tree = work / "eqrnn"
        tree.mkdir()
        copy_tree(tree)
        subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(work)], check=True)
        # A login-like environment: nothing of this suite's (EQRNN_BIN, OMPI_ALLOW_RUN_AS_ROOT, ...).
        env = dict(HOME=user.pw_dir, USER=USER, LOGNAME=USER, PATH="/usr/local/bin:/usr/bin:/bin", LANG="C.UTF-8")

        def as_user(*cmd, timeout):
            return subprocess.run([RUNUSER, "-u", USER, "--", *cmd], cwd=tree, env=env, capture_output=True,
                                  text=True, timeout=timeout)

        if shutil.which("sudo"):
            assert as_user("sudo", "-n", "true", timeout=30).returncode != 0, "the user must not have sudo"
        main = as_user("bash", "jobs/run_local.sh", timeout=1500)
        assert main.returncode == 0, main.stdout[-3000:] + main.stderr[-3000:]
        assert "installing" not in main.stdout
        assert final_state(tree / "runs" / "ring.h5").shape == (256,)
        assert (tree / "runs" / "ring.png").read_bytes()[:8] == PNG_MAGIC
        tests = as_user("bash", "tests/run.sh", "-L", "fast", timeout=1500)
        assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-3000:]
        assert "100% tests passed" in tests.stdout, tests.stdout[-2000:]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_install_puts_a_working_eqrnn_and_the_jobs_under_a_prefix(installed, tmp_path):
    share = installed / "share" / "eqrnn"
    for path in ("bin/eqrnn", "share/eqrnn/input/ring.yaml", "share/eqrnn/postprocess/plot_activity.py",
                 "share/eqrnn/postprocess/eqrnn_io.py", "share/eqrnn/jobs/job_common.sh",
                 "share/eqrnn/jobs/run_local.sh", "share/eqrnn/jobs/simulate.sbatch", "share/eqrnn/jobs/sweeps",
                 "share/doc/eqrnn/README.md", "share/doc/eqrnn/docs/reference.md"):
        assert (installed / path).exists(), path
    assert f'EQRNN_INSTALLED_ROOT="{share}"' in (share / "jobs" / "simulate.sbatch").read_text()
    assert not (share / "jobs" / "setup.sh").exists(), "the installed jobs do not build"
    # From a folder that is not the repository, with nothing pointing at the build tree.
    env = {k: v for k, v in ENV.items() if not k.startswith("EQRNN_") and k not in ("BUILD_DIR", "OUTDIR")}
    proc = run(["bash", share / "jobs" / "run_local.sh", share / "input" / "ring.yaml", "-t_final", "2"], env=env,
               cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert final_state(tmp_path / "runs" / "ring.h5").shape == (256,)
    assert (tmp_path / "runs" / "ring.png").read_bytes()[:8] == PNG_MAGIC
    # The same run from the build tree's eqrnn gives the same state: the installed one is the same program.
    direct = tmp_path / "direct.h5"
    ref = run([*MPIEXEC, "-n", "2", EQRNN, "simulate", "-options_file_yaml", ROOT / "input" / "ring.yaml",
               "-t_final", "2", "-output", direct, "-quiet"])
    assert ref.returncode == 0, ref.stderr
    np.testing.assert_array_equal(final_state(tmp_path / "runs" / "ring.h5"), final_state(direct))
    # It is the installed executable the job used: without it, the job says where it looked.
    moved = installed / "bin" / "eqrnn.moved"
    (installed / "bin" / "eqrnn").rename(moved)
    try:
        proc = run(["bash", share / "jobs" / "run_local.sh", share / "input" / "ring.yaml"], env=env, cwd=tmp_path,
                   timeout=120)
        assert proc.returncode != 0
        assert f"no eqrnn executable at '{installed}/bin/eqrnn'" in proc.stderr, proc.stderr
    finally:
        moved.rename(installed / "bin" / "eqrnn")
