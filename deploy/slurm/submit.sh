#!/bin/bash
# Submit a sharded PSA to Slurm: an array of N shard tasks, then a merge that runs only if
# every shard succeeded. Prints the two job ids.
#
#   deploy/slurm/submit.sh SCENARIO SHARDS OUT [vbpsim run options, e.g. --samples 10000]
#
# VBPSIM (default: vbpsim on PATH) must be the same build on every node: merge refuses
# shards of another version. WORK (default: OUT.shards) must be on a filesystem every node
# sees. Extra sbatch options (partition, account, time) go in SBATCH_OPTS, e.g.
#   SBATCH_OPTS="--partition=short --time=01:00:00" deploy/slurm/submit.sh …
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 SCENARIO SHARDS OUT [vbpsim run options]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
scenario=$(realpath "$1"); shards=$2; out=$(realpath -m "$3"); shift 3
# Absolute: the jobs run in WORK.
vbpsim=$(command -v "${VBPSIM:-vbpsim}") || { echo "error: vbpsim not found (set VBPSIM)" >&2; exit 2; }
vbpsim=$(realpath "$vbpsim")
work=$(realpath -m "${WORK:-$out.shards}")
mkdir -p "$work"
# The run options, each quoted for the shell, so that `--set 'scenario.horizon="15 years"'`
# reaches every shard as one argument.
extra=$(printf '%q ' "$@")
export VBPSIM=$vbpsim SCENARIO=$scenario SHARDS=$shards WORK=$work OUT=$out EXTRA=$extra
# shellcheck disable=SC2086 # SBATCH_OPTS holds several options on purpose
array=$(sbatch --parsable --export=ALL --chdir="$work" --array="1-$shards" ${SBATCH_OPTS:-} \
  "$here/psa-shard.sbatch")
# shellcheck disable=SC2086
merge=$(sbatch --parsable --export=ALL --chdir="$work" --dependency="afterok:${array%%;*}" \
  ${SBATCH_OPTS:-} "$here/merge.sbatch")
echo "shards: job ${array%%;*} (array 1-$shards); merge: job ${merge%%;*} → $out"
