#!/usr/bin/env bash
# Reproduces docs/LOADGEN.md: the CPU engine's all-core verify rate on N
# ed25519 transactions, then `blockgate loadgen` against a local
# `serve --backend cpu` (wait=commit and wait=verify), interleaved REPS times
# so that a noisy shared machine hits every measurement alike. Besides wall
# rates it prints CPU seconds per 1000 transactions (the verify process's own;
# the server's from /proc/PID/stat during each loadgen run): on a machine
# shared with other jobs that ratio is the stable one.
# Usage: scripts/bench-loadgen.sh [BINARY] [N] [REPS] [BATCH] [CONNECTIONS]
set -euo pipefail

bin=${1:-build/blockgate}
n=${2:-20000}
reps=${3:-3}
batch=${4:-500}
conns=${5:-8}
backend=${BACKEND:-cpu}

. "$(dirname "$0")/bench-lib.sh"
bench_init bg-bench

bench_header
"$bin" loadgen --out "$work/txs.jsonl" --transactions "$n" --scheme ed25519 2>/dev/null

bench_serve "$bin" --backend "$backend"

tck=$(getconf CLK_TCK)
server_cpu() { awk -v t="$tck" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$server_pid/stat"; }
per_k() { awk -v c="$1" -v n="$n" 'BEGIN { printf "%.3f", 1000 * c / n }'; }

for rep in $(seq "$reps"); do
  echo "## rep $rep"
  TIMEFORMAT='%U %S'
  { time "$bin" verify --backend "$backend" --input "$work/txs.jsonl" >/dev/null 2>"$work/verify.err"; } 2>"$work/verify.time"
  grep 'tx/s' "$work/verify.err"
  cpu=$(awk '{ print $1 + $2 }' "$work/verify.time")
  echo "verify: CPU ${cpu} s, $(per_k "$cpu") CPU s per 1000 tx"
  for wait in commit verify; do
    before=$(server_cpu)
    "$bin" loadgen --url "$url" --transactions "$n" --batch "$batch" --connections "$conns" --wait "$wait" 2>/dev/null
    cpu=$(awk -v a="$before" -v b="$(server_cpu)" 'BEGIN { print b - a }')
    echo "server ($wait): CPU ${cpu} s, $(per_k "$cpu") CPU s per 1000 tx"
  done
done
