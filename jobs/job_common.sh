#!/usr/bin/env bash
# Shared by jobs/*.sbatch and jobs/run_local.sh (sourced, not run): one eqrnn run that survives preemption.
#
#   eqrnn_job COMMAND DECK OUTPUT [extra eqrnn options...]
#
# runs `eqrnn COMMAND -options_file_yaml DECK -output OUTPUT -restart auto <checkpoint options> extra...` on
# EQRNN_NRANKS ranks (default: SLURM_NTASKS, else 1). `-restart auto` resumes from the newest valid checkpoint
# next to OUTPUT, so running the same job again, after a requeue or by hand, continues where it stopped.
#
# Signals: the launcher runs in the background and the shell waits, because bash runs a trap only when the
# foreground command returns. USR1 (`#SBATCH --signal=B:USR1@T`, sent T seconds before the time limit) and TERM
# (scancel, scontrol requeue, preemption) are forwarded to eqrnn as USR1, which checkpoints at the end of the
# current segment and exits with status 85 ("requeue me"). On 85 the job requeues itself with `scontrol requeue`
# unless TERM came from SLURM (then SLURM already decides: requeue or cancel) or EQRNN_MAX_REQUEUES is reached.
# Without SLURM, 85 is returned: run the same command again to resume.
#
# Environment (all optional):
#   EQRNN_ROOT            the repository (default: the folder above this file)
#   EQRNN_BIN             the eqrnn executable (default: $BUILD_DIR/eqrnn, BUILD_DIR default $EQRNN_ROOT/build;
#                         installed: PREFIX/bin/eqrnn)
#   EQRNN_PYTHON          the Python of the figure scripts (default /usr/bin/python3)
#   EQRNN_NRANKS          MPI ranks (default: SLURM_NTASKS, else 1)
#   EQRNN_LAUNCHER        how to start the ranks (default: "mpirun --quiet -n $EQRNN_NRANKS"; e.g. "srun")
#   EQRNN_CHECKPOINT_OPTS checkpoint options (default: the command's own, from `eqrnn -list-commands`:
#                         simulate and train "-checkpoint_walltime 300", fixedpoints "-checkpoint_starts 10",
#                         continue "-checkpoint_branches 1")
#   EQRNN_MAX_REQUEUES    stop requeueing after this many restarts of the job (default 20)
#   EQRNN_SIGNAL_GRACE    seconds after the launch before a signal is passed on to eqrnn (default 2)
#   EQRNN_KEEP_CHECKPOINTS=1  keep OUTPUT.ckpt*.h5 after a complete run (default: removed, the output is whole)
#   EQRNN_PLOT=0          no figure after a complete run (default: a PNG next to OUTPUT, drawn by the
#                         command's figure script from `eqrnn -list-commands`)

EQRNN_EXIT_REQUEUE=85 # kExitRequeue in src/io/checkpoint.hpp
EQRNN_ROOT="${EQRNN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
# A source tree has CMakeLists.txt; an installed one (cmake --install: PREFIX/share/eqrnn) has the executable in
# PREFIX/bin and writes its runs under the folder it runs in (a job's working folder: the submission folder, or
# sbatch -D), not under the prefix.
if [ -f "$EQRNN_ROOT/CMakeLists.txt" ]; then
  EQRNN_DEFAULT_BIN="${BUILD_DIR:-$EQRNN_ROOT/build}/eqrnn"
  EQRNN_RUNS="$EQRNN_ROOT/runs"
else
  EQRNN_DEFAULT_BIN="$(cd "$EQRNN_ROOT/../.." && pwd)/bin/eqrnn"
  EQRNN_RUNS="$PWD/runs"
fi
EQRNN_PYTHON="${EQRNN_PYTHON:-/usr/bin/python3}" # with h5py/numpy/matplotlib (jobs/setup.sh finds one)

# OpenMPI refuses to run as root without these; more ranks than cores need oversubscription.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1

eqrnn_job_log() { echo "eqrnn job [$(date -u +%FT%TZ)]: $*"; }
eqrnn_job_die() {
  echo "eqrnn job: error: $*" >&2
  exit 1
}

# What a job needs to know of a command comes from eqrnn's registry (`eqrnn -list-commands`, tab-separated:
# name, resumes, default checkpoint options, figure script), so that a new command needs no change here.
# Sets EQRNN_RESUMES (1: checkpoints and accepts -restart), EQRNN_COMMAND_CHECKPOINTS and EQRNN_FIGURE.
eqrnn_command_facts() { # BIN COMMAND
  local facts
  facts="$("$1" -list-commands | awk -F '\t' -v c="$2" '$1 == c { print $2 "|" $3 "|" $4; found = 1 }
                                                       END { exit !found }')" ||
    eqrnn_job_die "eqrnn has no command '$2' (eqrnn -list-commands lists them)"
  IFS='|' read -r EQRNN_RESUMES EQRNN_COMMAND_CHECKPOINTS EQRNN_FIGURE <<<"$facts"
}

eqrnn_forward_signal() { # SIGNAL: remember it; the wait loop of eqrnn_job passes it on to eqrnn
  EQRNN_JOB_SIGNAL="$1" EQRNN_JOB_PENDING="$1"
  if [ -z "${EQRNN_JOB_CHILD:-}" ]; then
    eqrnn_job_log "received SIG$1 before eqrnn started"
  else
    eqrnn_job_log "received SIG$1: asking eqrnn to checkpoint and stop"
  fi
}

eqrnn_requeue_self() {
  local restarts="${SLURM_RESTART_COUNT:-0}" max="${EQRNN_MAX_REQUEUES:-20}"
  if [ -z "${SLURM_JOB_ID:-}" ]; then
    eqrnn_job_log "checkpointed; run the same command again to resume"
    return 1
  fi
  if [ "$EQRNN_JOB_SIGNAL" = TERM ]; then
    eqrnn_job_log "checkpointed after SIGTERM; SLURM requeues or cancels job $SLURM_JOB_ID"
    return 1
  fi
  if [ "$restarts" -ge "$max" ]; then
    eqrnn_job_log "checkpointed, but job $SLURM_JOB_ID was already restarted $restarts times (EQRNN_MAX_REQUEUES=$max): not requeueing"
    return 1
  fi
  # An array task is requeued by its own id (SLURM_JOB_ID), not the array's.
  eqrnn_job_log "checkpointed; requeueing job $SLURM_JOB_ID (restart $((restarts + 1)))"
  scontrol requeue "$SLURM_JOB_ID"
}

eqrnn_plot() { # OUTPUT (the command's figure script: EQRNN_FIGURE)
  [ "${EQRNN_PLOT:-1}" = 0 ] && return 0
  [ -n "${EQRNN_FIGURE:-}" ] || return 0
  # A figure that fails does not fail the job: the output is whole and the checkpoints are gone by now.
  "$EQRNN_PYTHON" "$EQRNN_ROOT/postprocess/$EQRNN_FIGURE" "$1" -o "${1%.h5}.png" ||
    eqrnn_job_log "warning: the figure of $1 could not be drawn ($EQRNN_FIGURE failed)"
}

eqrnn_job() { # COMMAND DECK OUTPUT [extra options...]
  local command="$1" deck="$2" output="$3"
  shift 3
  local bin="${EQRNN_BIN:-$EQRNN_DEFAULT_BIN}"
  [ -x "$bin" ] || eqrnn_job_die "no eqrnn executable at '$bin' (build first: bash jobs/setup.sh, or set EQRNN_BIN)"
  [ -f "$deck" ] || eqrnn_job_die "deck '$deck' not found"
  local nranks="${EQRNN_NRANKS:-${SLURM_NTASKS:-1}}"
  local launcher="${EQRNN_LAUNCHER:-mpirun --quiet -n $nranks}"
  local resume=()
  eqrnn_command_facts "$bin" "$command"
  # shellcheck disable=SC2206 # word splitting of the option string is intended
  [ "$EQRNN_RESUMES" = 1 ] && resume=(-restart auto ${EQRNN_CHECKPOINT_OPTS-$EQRNN_COMMAND_CHECKPOINTS})
  mkdir -p "$(dirname "$output")"

  EQRNN_JOB_SIGNAL="" EQRNN_JOB_PENDING="" EQRNN_JOB_CHILD=""
  trap 'eqrnn_forward_signal USR1' USR1
  trap 'eqrnn_forward_signal TERM' TERM
  eqrnn_job_log "$command $deck -> $output on $nranks rank(s), job ${SLURM_JOB_ID:-none}, restart ${SLURM_RESTART_COUNT:-0}"
  if [ "$EQRNN_JOB_SIGNAL" = TERM ]; then
    trap - USR1 TERM
    eqrnn_job_log "SIGTERM before eqrnn started: not starting it"
    return "$EQRNN_EXIT_REQUEUE"
  fi
  # shellcheck disable=SC2086 # the launcher is a command line
  $launcher "$bin" "$command" -options_file_yaml "$deck" -output "$output" "${resume[@]}" "$@" &
  EQRNN_JOB_CHILD=$!
  local launched=$SECONDS status grace="${EQRNN_SIGNAL_GRACE:-2}"
  while true; do
    # A signal is passed on (as USR1, which eqrnn turns into "checkpoint and stop") once the launcher and eqrnn
    # have had EQRNN_SIGNAL_GRACE seconds to install their handlers: sooner, USR1's default action would kill
    # them with nothing saved. SLURM sends its time-limit warning as soon as a job has less than the warning
    # time plus 30 s left, so a short job gets it the moment it starts. eqrnn keeps a signal that arrives
    # during its set-up and stops at its first checkpoint.
    if [ -n "$EQRNN_JOB_PENDING" ]; then
      [ $((launched + grace - SECONDS)) -gt 0 ] && sleep $((launched + grace - SECONDS))
      EQRNN_JOB_PENDING=""
      kill -USR1 "$EQRNN_JOB_CHILD" 2>/dev/null || true
    fi
    wait "$EQRNN_JOB_CHILD" && status=0 || status=$?
    # A trapped signal interrupts wait (status > 128) while eqrnn runs on: pass it on, then wait again.
    kill -0 "$EQRNN_JOB_CHILD" 2>/dev/null || break
  done
  trap - USR1 TERM
  EQRNN_JOB_CHILD=""

  if [ "$status" -eq 0 ]; then
    [ "${EQRNN_KEEP_CHECKPOINTS:-0}" = 1 ] || rm -f "$output".ckpt.h5 "$output".ckpt.prev.h5 "$output".ckpt.tmp.h5
    eqrnn_plot "$output"
    eqrnn_job_log "done: $output"
    return 0
  fi
  if [ "$status" -eq "$EQRNN_EXIT_REQUEUE" ]; then
    eqrnn_requeue_self || true
    return "$EQRNN_EXIT_REQUEUE"
  fi
  eqrnn_job_log "eqrnn failed with status $status; the checkpoints next to $output are kept"
  return "$status"
}

# The grid of a sweep: '#' comments and blank lines are ignored, the first line names options (no dash), each
# further line is one task's values. Prints the number of tasks.
eqrnn_grid_tasks() { # GRID
  [ -f "$1" ] || eqrnn_job_die "grid '$1' not found"
  local rows
  rows="$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$1" | wc -l)"
  [ "$rows" -ge 2 ] || eqrnn_job_die "grid '$1' has no task lines (a header of option names, then one line per task)"
  echo $((rows - 1))
}

# Prints task TASK's options, one per line: -name, value, -name, value ...
eqrnn_grid_options() { # GRID TASK
  local grid="$1" task="$2"
  grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$grid" | awk -v task="$task" -v grid="$grid" '
    NR == 1 { n = NF; for (i = 1; i <= NF; i++) name[i] = $i; next }
    NR - 2 == task {
      if (NF != n) { printf "grid %s: task %d has %d values for %d options\n", grid, task, NF, n > "/dev/stderr"; exit 2 }
      for (i = 1; i <= NF; i++) { sub(/^-/, "", name[i]); print "-" name[i]; print $i }
      found = 1
    }
    END { if (!found) { printf "grid %s: no task %d\n", grid, task > "/dev/stderr"; exit 2 } }'
}

# One task of a sweep: its output is OUTDIR/task_<TASK>.h5.
eqrnn_sweep_task() { # COMMAND GRID DECK OUTDIR TASK [extra options...]
  local command="$1" grid="$2" deck="$3" outdir="$4" task="$5"
  shift 5
  local options
  options="$(eqrnn_grid_options "$grid" "$task")" || eqrnn_job_die "bad grid '$grid' (see above)"
  local args=()
  mapfile -t args <<<"$options"
  eqrnn_job "$command" "$deck" "$outdir/task_$task.h5" "${args[@]}" "$@"
}
