#!/usr/bin/env bash
# CPU cost of the server outside signature verification, per committed
# transaction, in total and per stage. Runs `blockgate serve` with the
# test-accept-all backend (a test double that checks no signature: every
# CPU-second the server spends is spent outside verification) and drives it
# with `blockgate loadgen --binary`; the server's threads are named by stage
# (bg-io, bg-batcher, bg-blocks, bg-sealer, bg-ledger, bg-verify), so
# /proc/PID/task/*/stat before and after the run gives each stage's CPU.
# A serial stage's ceiling is 1 / (its CPU-seconds per transaction).
# Usage: scripts/bench-stages.sh [BINARY] [N] [BATCH] [CONNECTIONS] [REPS]
set -euo pipefail

bin=${1:-build/blockgate}
n=${2:-200000}
batch=${3:-1000}
conns=${4:-8}
reps=${5:-3}

. "$(dirname "$0")/bench-lib.sh"
bench_init bg-stages

bench_header

bench_serve "$bin" --backend test-accept-all ${SERVE_FLAGS:-}

tck=$(getconf CLK_TCK)
# "name ticks" per thread of the server (comm may not contain spaces here).
snapshot() {
  for t in /proc/"$server_pid"/task/*; do
    [[ -r "$t/stat" ]] || continue
    printf '%s %s\n' "$(cat "$t/comm")" "$(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }')"
  done | awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' | sort
}
committed() { curl -s "$url/metrics" | awk '/^blockgate_transactions_total\{outcome="committed"\}/ { print $2 }'; }

for rep in $(seq "$reps"); do
  snapshot >"$work/before"
  c0=$(committed)
  "$bin" loadgen --url "$url" --transactions "$n" --batch "$batch" --connections "$conns" --binary 2>/dev/null | head -1
  c1=$(committed)
  snapshot >"$work/after"
  txs=$((c1 - c0))
  echo "## rep $rep: $txs committed; server CPU per committed tx by thread:"
  join -a2 -e 0 -o 0,1.2,2.2 "$work/before" "$work/after" |
    awk -v t="$tck" -v n="$txs" '{ us = 1e6 * ($3 - $2) / t / n; total += us;
      ceil = (us > 0) ? sprintf("%.2fM", 1 / us) : "-";
      printf "  %-14s %8.3f us/tx  (ceiling %s tx/s on one core)\n", $1, us, ceil }
      END { printf "  %-14s %8.3f us/tx\n", "total", total }'
done
