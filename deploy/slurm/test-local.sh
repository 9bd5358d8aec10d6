#!/bin/bash
# A real Slurm test on one machine: start a single-node cluster on localhost (munge,
# slurmctld, slurmd from Debian's slurm-wlm), submit a sharded PSA of the default scenario as
# an array of 4 shards plus the dependent merge with submit.sh, wait for it, and compare the
# merged folder with a single run: every file but run.json byte-identical.
#
#   deploy/slurm/test-local.sh            # as root; installs slurm-wlm and munge if missing
#   VBPSIM=target/release/vbpsim deploy/slurm/test-local.sh   # a binary built beforehand
#
# Exit 0: passed; 1: the sharded run did not reproduce the single run (or vbpsim failed in a
# job); 77: Slurm itself could not run here (daemons or node not coming up, jobs not run),
# which .ci/run reports as skipped.
#
# It changes the machine (writes /etc/slurm/slurm.conf, a munge key, starts three daemons and
# stops them at the end), so run it in a throwaway VM or container, not on a cluster node.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$root"
skip() {
  echo "SKIP: $*" >&2
  tail -n 20 /var/log/slurm/*.log >&2 2>/dev/null || true
  exit 77
}
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge \
    || skip "cannot install slurm-wlm and munge"
fi
if [ -n "${VBPSIM:-}" ]; then
  vbpsim=$(realpath "$VBPSIM")
else
  cargo build --release --quiet
  vbpsim=$root/target/release/vbpsim
fi
work=$(mktemp -d /tmp/vbpsim-slurm.XXXXXX)
chmod 755 "$work"
host=$(hostname -s)
cpus=$(nproc)
conf=/etc/slurm/slurm.conf
marker="# written by vbpsim deploy/slurm/test-local.sh"
if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
  skip "$conf exists and was not written by this script: not touching a real Slurm installation"
fi

# munge: a key and the daemon.
mkdir -p /etc/munge /var/log/munge /var/lib/munge /run/munge
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
chown -R munge:munge /etc/munge /var/log/munge /var/lib/munge /run/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
munge_pid=/run/munge/munged.pid
started_munge=no
if ! { [ -s "$munge_pid" ] && kill -0 "$(cat "$munge_pid")" 2>/dev/null; }; then
  runuser -u munge -- /usr/sbin/munged 2>/dev/null || /usr/sbin/munged --force \
    || skip "munged does not start"
  started_munge=yes
fi

# Slurm: one node, one partition, no accounting.
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > "$conf" <<CONF
$marker
ClusterName=vbpsimtest
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
# A job whose dependency can no longer be met (a failed shard) is cancelled, not left pending.
DependencyParameters=kill_invalid_depend
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
# Stopped by their pid files (procps' pkill is not a dependency of slurm-wlm).
stop_slurm() {
  for pid in /run/slurmd.pid /run/slurmctld.pid; do
    [ -s "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
}
# On exit, the Slurm daemons and the munged this script started.
stop() {
  stop_slurm
  if [ "${started_munge:-no}" = yes ] && [ -s "$munge_pid" ]; then
    kill "$(cat "$munge_pid")" 2>/dev/null || true
  fi
}
trap stop EXIT
# Slurm daemons left by an earlier run (not munged: it was just started above when needed).
stop_slurm
slurmctld -c -i || skip "slurmctld does not start"
slurmd -c || skip "slurmd does not start"
up=no
for _ in $(seq 1 30); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then up=yes; break; fi
  sleep 1
done
[ $up = yes ] || skip "the node does not come up: $(sinfo -h -o %T 2>&1)"
sinfo

# The sharded run through Slurm, and the same run on this machine.
# A --set with a space inside checks that run options reach every shard as given.
sizes=(--samples 12 --patients 3000 --set 'scenario.horizon="15 years"')
VBPSIM=$vbpsim WORK=$work/shards deploy/slurm/submit.sh scenarios/nsclc_egfr.toml 4 \
  "$work/merged" "${sizes[@]}" || skip "sbatch refused the jobs"
for _ in $(seq 1 300); do
  [ -z "$(squeue -h)" ] && break
  sleep 1
done
if [ -n "$(squeue -h)" ]; then
  squeue >&2
  skip "jobs still queued or running after 300 s"
fi
# A vbpsim failure in a job is a failure; a job Slurm could not run is an environment problem.
if grep -l "^error" "$work"/shards/*.log >/dev/null 2>&1; then
  echo "FAIL: vbpsim failed in a job:" >&2
  cat "$work"/shards/*.log >&2
  exit 1
fi
# The same path as submit.sh gives the shards (absolute), so run.json and report.html name it alike.
"$vbpsim" run "$root/scenarios/nsclc_egfr.toml" "${sizes[@]}" --out "$work/single" --quiet
[ -d "$work/merged" ] || skip "no merged folder, and no vbpsim error in the job logs"
status=0
if [ "$(cd "$work/single" && ls)" != "$(cd "$work/merged" && ls)" ]; then
  echo "FAIL: the merged folder holds other files than the single run's" >&2
  status=1
fi
for f in $(cd "$work/single" && ls); do
  [ "$f" = run.json ] && continue
  cmp -s "$work/single/$f" "$work/merged/$f" || { echo "FAIL: $f differs" >&2; status=1; }
done
[ $status = 0 ] && echo "PASS: 4 shards on Slurm merged into the single run's output ($work)"
exit $status
