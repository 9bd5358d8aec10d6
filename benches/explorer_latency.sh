#!/usr/bin/env bash
# The contract explorer's latency: the time from a control's change to the updated page in
# headless Chromium, and the API's round trip, at 100,000 patients per strategy on the default
# scenario (20 distinct changes each). Needs Debian's chromium. Prints; compare runs on an idle
# machine and state its CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -m1 "model name" /proc/cpuinfo || true
cargo test --profile ci --test suite explorer::explorer_latency -- --ignored --nocapture 2>&1 |
  grep -E "explorer latency|change to|round trip|evaluation:"
