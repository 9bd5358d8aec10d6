#!/bin/bash
# The engine against the hand-written floors of its bundled default scenario
# (examples/floor_default.rs, a plain loop one patient at a time, and
# examples/floor_default_soa.rs, the same model in blocks with batched transcendentals),
# measured in alternation so that all three see the same state of a noisy machine.
#
#   benches/floor_default.sh [ROUNDS]        # default 5 rounds; PATIENTS=N to change the size
#
# Each round runs, on 1 and then on 2 threads, `vbpsim bench scenarios/nsclc_egfr.toml`, the
# plain floor and the SoA floor, each with the same patients per strategy (default 2,000,000),
# and prints the nanoseconds per trajectory per core of each (a trajectory = one patient on one
# strategy; per core = wall seconds × threads / trajectories) and the paired ratios
# vbpsim/plain and vbpsim/soa; the last lines give the medians per thread count (the lower
# middle value for an even number of rounds) and the CPU.
# Binaries go to $CARGO_TARGET_DIR (default target/).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
patients=${PATIENTS:-2000000}
scenario=scenarios/nsclc_egfr.toml
bin=${CARGO_TARGET_DIR:-target}/release
cargo build --release --quiet --bin vbpsim --example floor_default --example floor_default_soa
engine_ns() {
  "$bin/vbpsim" bench "$scenario" --patients "$patients" --threads "$1" |
    awk -v t="$1" '/^trajectories_per_second:/ {printf "%.1f\n", 1e9 * t / $2}'
}
floor_ns() {
  "$bin/examples/$1" "$patients" "$2" | awk '/_ns_per_trajectory_per_core:/ {print $2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | sed -n "$(( (rounds + 1) / 2 ))p"; }
printf 'round threads vbpsim_ns plain_ns soa_ns vbpsim/plain vbpsim/soa\n'
declare -A plain_ratios soa_ratios
for round in $(seq 1 "$rounds"); do
  for threads in 1 2; do
    e=$(engine_ns "$threads")
    p=$(floor_ns floor_default "$threads")
    s=$(floor_ns floor_default_soa "$threads")
    rp=$(ratio "$e" "$p")
    rs=$(ratio "$e" "$s")
    plain_ratios[$threads]+="$rp "
    soa_ratios[$threads]+="$rs "
    printf '%s %s %s %s %s %s %s\n' "$round" "$threads" "$e" "$p" "$s" "$rp" "$rs"
  done
done
for threads in 1 2; do
  printf 'median on %s thread(s): vbpsim/plain %s, vbpsim/soa %s\n' "$threads" \
    "$(median "${plain_ratios[$threads]}")" "$(median "${soa_ratios[$threads]}")"
done
printf 'cpu: %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
