#!/usr/bin/env bash
# The ledger index at scale (not part of `make test`; minutes to hours):
# builds (or extends) a ledger of N real signed 128-byte transactions with
# bench/ledger_scale, audits it, then measures the server's start-up (process
# start to its "listening" line) and RSS, and the in-process lookups
# (find_tx/read_tx p50/p99, RSS after 1 M lookups, duplicate checks/s).
#
#   scripts/ledger-scale.sh DIR N [BUILD_DIR]
#
# Run it again with a larger N on the same DIR to grow the ledger and compare.
# Needs the targets blockgate and ledger_scale built in BUILD_DIR (default build).
# FAST_SIGN=1 builds with `ledger_scale build --fast-sign` (one nonce per
# public benchmark key: ~10x cheaper signing, signatures audit accepts).
# COLD=1 (root) also times lookups after dropping the page cache.
# Every figure is printed with the load average beside it.
set -euo pipefail
dir=${1:?usage: ledger-scale.sh DIR N [BUILD_DIR]}
n=${2:?usage: ledger-scale.sh DIR N [BUILD_DIR]}
build=${3:-build}

have=0
if [[ -f "$dir/segment-00000000.log" ]]; then
  have=$("$build/bench/ledger_scale" measure --data "$dir" --lookups 1 2>/dev/null | sed -n 's/.*, \([0-9]*\) transactions,.*/\1/p' | head -1)
fi
if (( have < n )); then
  echo "build: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  nice -n 5 "$build/bench/ledger_scale" build --data "$dir" --transactions $((n - have)) ${FAST_SIGN:+--fast-sign}
fi

# Start-up: process start to "listening", three times.
for i in 1 2 3; do
  out=$(mktemp)
  t0=$(date +%s.%N)
  "$build/blockgate" serve --data "$dir" --listen 127.0.0.1:0 --backend cpu >"$out" 2>&1 &
  pid=$!
  until grep -q "listening" "$out"; do
    if ! kill -0 $pid 2>/dev/null; then cat "$out"; exit 1; fi
    sleep 0.01
  done
  t1=$(date +%s.%N)
  rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  kill -TERM $pid
  wait $pid || true
  echo "serve start-up $i: $(echo "$t1 - $t0" | bc) s to listening, RSS $((rss / 1024)) MB (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -f "$out"
done

echo "measure: load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/ledger_scale" measure --data "$dir" --lookups 1000000 ${COLD:+--drop-caches}
echo "done: load average $(cut -d' ' -f1-3 /proc/loadavg)"
