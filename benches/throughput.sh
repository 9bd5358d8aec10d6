#!/bin/bash
# Throughput of every bundled scenario on 1 and 2 threads: the table in docs/src/performance.md.
#
#   benches/throughput.sh [PATIENTS] [ROUNDS]     # defaults: 1000000 patients, 3 rounds
#
# Each line: scenario, threads, median trajectories per second over the rounds (min–max),
# peak memory. `vbpsim bench` simulates without writing outputs (docs/src/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
patients=${1:-1000000}
rounds=${2:-3}
cargo build --release --quiet
printf '| scenario | threads | trajectories per second (median, min–max of %s) | peak memory (MiB) |\n' "$rounds"
printf '| --- | --- | --- | --- |\n'
for file in scenarios/*.toml; do
  for threads in 1 2; do
    rates=()
    memory=0
    for _ in $(seq 1 "$rounds"); do
      out=$(./target/release/vbpsim bench "$file" --patients "$patients" --threads "$threads")
      rates+=("$(awk '/^trajectories_per_second:/ {print $2}' <<<"$out")")
      memory=$(awk '/^peak_memory_mib:/ {print $2}' <<<"$out")
    done
    sorted=$(printf '%s\n' "${rates[@]}" | sort -n)
    median=$(sed -n "$(( (rounds + 1) / 2 ))p" <<<"$sorted")
    low=$(head -1 <<<"$sorted")
    high=$(tail -1 <<<"$sorted")
    awk -v f="$(basename "$file")" -v t="$threads" -v m="$median" -v l="$low" -v h="$high" -v mem="$memory" \
      'BEGIN { printf "| `%s` | %d | %.2f M (%.2f–%.2f M) | %s |\n", f, t, m / 1e6, l / 1e6, h / 1e6, mem }'
  done
done
