#!/usr/bin/env bash
# End-to-end check of the offline verifier: times `blockgate verify --backend
# cpu` (whole process: start, JSON decode, verify, output) on COUNT seeded
# ed25519 transactions and compares it with libsodium's single-core rate
# (blockgate_bench BM_Bare/ed25519/batch:1024, the bare crypto_sign_verify_detached
# loop, per CPU-second, so a busy machine does not flatter the ratio).
# Usage: scripts/bench-verify-cli.sh [BUILD_DIR] [COUNT] [RUNS]   (defaults: build 20000 5)
set -euo pipefail

build=${1:-build}
count=${2:-20000}
runs=${3:-5}
for bin in "$build/blockgate" "$build/bench/make_tx_file" "$build/bench/blockgate_bench"; do
  if [[ ! -x $bin ]]; then
    echo "bench-verify-cli: $bin is missing (cmake --build $build --target blockgate make_tx_file blockgate_bench)" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bench/make_tx_file" --scheme ed25519 --count "$count" --seed 1 >"$tmp/txs.jsonl"

echo "bench-verify-cli: $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
times=()
for ((r = 0; r < runs; ++r)); do
  t0=$(date +%s%N)
  "$build/blockgate" verify --backend cpu --input "$tmp/txs.jsonl" >"$tmp/verdicts" 2>"$tmp/summary"
  t1=$(date +%s%N)
  valid=$(grep -c '^valid$' "$tmp/verdicts" || true)
  if [[ $valid -ne $count ]]; then
    echo "bench-verify-cli: expected $count valid verdicts, got $valid" >&2
    exit 1
  fi
  times+=($((t1 - t0)))
done
median_ns=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
cli_rate=$(python3 -c "print(f'{$count / ($median_ns / 1e9):.0f}')")
echo "bench-verify-cli: blockgate verify: $count tx, median wall $(python3 -c "print(f'{$median_ns/1e9:.3f}')") s of $runs runs -> $cli_rate tx/s"
sed 's/^/  /' "$tmp/summary" | head -1

"$build/bench/blockgate_bench" --benchmark_filter='^BM_Bare/ed25519/batch:1024/' --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$tmp/sodium.json" 2>/dev/null
sodium_rate=$(python3 -c "
import json
b = [x for x in json.load(open('$tmp/sodium.json'))['benchmarks'] if x.get('aggregate_name') == 'median']
print(f\"{b[0]['items_per_second'] * b[0]['real_time'] / b[0]['cpu_time']:.0f}\")")
ratio=$(python3 -c "print(f'{$cli_rate / $sodium_rate:.2f}')")
echo "bench-verify-cli: libsodium crypto_sign_verify_detached, one core: $sodium_rate tx/s (median of 3)"
echo "bench-verify-cli: ratio $ratio x (target >= 1.6 on 2 cores); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
