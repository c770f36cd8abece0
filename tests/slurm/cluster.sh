#!/usr/bin/env bash
# A private one-node SLURM cluster on localhost for the tests of jobs/ (real munged, slurmctld and slurmd; no
# systemd, nothing under /etc touched). Everything lives in DIR: configuration, munge key and socket, state,
# spool, logs and pid files.
#   bash tests/slurm/cluster.sh start DIR    # prints "export SLURM_CONF=DIR/slurm.conf" once the node is idle
#   bash tests/slurm/cluster.sh stop DIR     # stops the three daemons by the process ids in DIR
# Needs root (slurmd runs jobs as their submitter) and Debian's slurm-wlm and munge.
set -euo pipefail
action="${1:?usage: cluster.sh start|stop DIR}"
DIR="$(mkdir -p "${2:?usage: cluster.sh start|stop DIR}" && cd "$2" && pwd)"

die() { echo "cluster.sh: error: $*" >&2; exit 1; }

# A free TCP port on localhost (two consecutive ones are not needed: each daemon gets its own).
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

write_config() {
  local node cpus mem ctld_port d_port
  node="$(hostname -s)"
  cpus="$(nproc)"
  mem="$(awk '/MemTotal/ {print int($2/1024/2)}' /proc/meminfo)" # MB; half, so the node is never "low memory"
  ctld_port="$(free_port)"
  d_port="$(free_port)"
  mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
  cat >"$DIR/slurm.conf" <<CONF
ClusterName=eqrnntest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# cred_expire: a requeued job may start again once its old credential has expired; 10 s instead of 120.
AuthInfo=socket=$DIR/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
LaunchParameters=use_interactive_step
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
PlugStackConfig=$DIR/plugstack.conf
KillWait=30
MinJobAge=600
InactiveLimit=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE OverSubscribe=FORCE:4 State=UP
CONF
  : >"$DIR/plugstack.conf"
}

start() {
  [ "$(id -u)" -eq 0 ] || die "must run as root"
  for exe in munged slurmctld slurmd sinfo; do command -v "$exe" >/dev/null || die "'$exe' not found (apt-get install slurm-wlm munge)"; done
  write_config
  dd if=/dev/urandom of="$DIR/munge.key" bs=1024 count=1 status=none
  chmod 600 "$DIR/munge.key"
  munged --force --key-file="$DIR/munge.key" --socket="$DIR/munge.socket" --pid-file="$DIR/munged.pid" \
         --log-file="$DIR/log/munged.log" --seed-file="$DIR/munged.seed"
  export SLURM_CONF="$DIR/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 1 60); do
    if sinfo -h -o %t 2>/dev/null | grep -qx idle; then echo "export SLURM_CONF=$SLURM_CONF"; return 0; fi
    sleep 0.5
  done
  die "node not idle after 30 s: $(sinfo -h -o '%t %E' 2>&1 | head -1); logs in $DIR/log"
}

stop_pid() { # name pidfile
  [ -f "$2" ] || return 0
  local pid; pid="$(cat "$2")"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop() {
  # Jobs first, while the controller can still cancel them: their slurmstepd processes have no pid file.
  if [ -f "$DIR/slurmctld.pid" ] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
    export SLURM_CONF="$DIR/slurm.conf"
    scancel --full --user=root 2>/dev/null || true
    for _ in $(seq 1 80); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  stop_pid slurmd "$DIR/slurmd.pid"
  stop_pid slurmctld "$DIR/slurmctld.pid"
  stop_pid munged "$DIR/munged.pid"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) die "unknown action '$action' (start|stop)" ;;
esac
