#!/bin/bash
# The engine against the hardware floor (examples/floor.rs), measured in alternation so that
# both see the same state of a noisy machine: docs/src/performance.md, "Against the hardware floor".
#
#   benches/floor_ratio.sh [SCENARIO] [ROUNDS]     # defaults: the bundled default, 5 rounds
#
# Each round runs, on 1 and then on 2 threads, the floor loop (20 million trajectories) and
# `vbpsim bench SCENARIO` (2 million patients × its strategies), and prints the nanoseconds per
# trajectory per core of both and their ratio; the last lines give the median ratio per thread
# count. Per core = wall seconds × threads / trajectories.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-scenarios/nsclc_egfr.toml}
rounds=${2:-5}
cargo build --release --quiet --bin vbpsim --example floor
floor_ns() {
  ./target/release/examples/floor 20000000 "$1" | awk '/^floor_ns_per_trajectory_per_core:/ {print $2}'
}
engine_ns() {
  ./target/release/vbpsim bench "$scenario" --patients 2000000 --threads "$1" |
    awk -v t="$1" '/^trajectories_per_second:/ {printf "%.1f\n", 1e9 * t / $2}'
}
printf 'round threads floor_ns engine_ns ratio\n'
declare -A ratios
for round in $(seq 1 "$rounds"); do
  for threads in 1 2; do
    f=$(floor_ns "$threads")
    e=$(engine_ns "$threads")
    r=$(awk -v e="$e" -v f="$f" 'BEGIN { printf "%.2f", e / f }')
    ratios[$threads]+="$r "
    printf '%s %s %s %s %s\n' "$round" "$threads" "$f" "$e" "$r"
  done
done
for threads in 1 2; do
  median=$(tr ' ' '\n' <<<"${ratios[$threads]}" | sed '/^$/d' | sort -n | sed -n "$(( (rounds + 1) / 2 ))p")
  printf 'median ratio on %s thread(s): %s\n' "$threads" "$median"
done
