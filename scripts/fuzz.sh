#!/usr/bin/env bash
# Runs every libFuzzer target of BUILD_DIR/fuzz for SECONDS each, as many at
# once as there are cores, and fails on any crash, leak, timeout or OOM.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS   (make test: 20 s, make fuzz: 600 s)
# FUZZ_TARGETS="fuzz_tx_json ..." runs a subset; FUZZ_JOBS caps the parallelism.
# Working corpora persist in BUILD_DIR/fuzz-corpus/<target> (seeded from the
# committed fuzz/corpus/<target>); crashing inputs land in BUILD_DIR/fuzz-artifacts.
set -uo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd) || exit 2
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${FUZZ_JOBS:-$(nproc)}

# target:max_len. Lengths cover a few transactions (binary and JSON) and keep
# each input cheap enough for tens of thousands of executions per second.
targets=(fuzz_tx_binary:4096 fuzz_tx_json:8192 fuzz_block_binary:16384 fuzz_block_json:16384 fuzz_hex:512)
if [[ -n ${FUZZ_TARGETS:-} ]]; then
  chosen=()
  for t in "${targets[@]}"; do
    [[ " $FUZZ_TARGETS " == *" ${t%%:*} "* ]] && chosen+=("$t")
  done
  targets=("${chosen[@]}")
  if ((${#targets[@]} == 0)); then
    echo "fuzz: FUZZ_TARGETS names no known target" >&2
    exit 2
  fi
fi

logs=$build/fuzz-logs
mkdir -p "$logs"

run_one() {
  local name=$1 max_len=$2
  local bin=$build/fuzz/$name corpus=$build/fuzz-corpus/$name artifacts=$build/fuzz-artifacts/$name
  mkdir -p "$corpus" "$artifacts"
  local dict=()
  [[ $name == *json* ]] && dict=(-dict="$root/fuzz/json.dict")
  # The outer timeout only catches a fuzzer that hangs outside libFuzzer's control.
  timeout --signal=KILL $((seconds * 2 + 120)) "$bin" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
    "$corpus" "$root/fuzz/corpus/$name" >"$logs/$name.log" 2>&1
  echo $? >"$logs/$name.rc"
}

running=0
for t in "${targets[@]}"; do
  name=${t%%:*}
  if [[ ! -x $build/fuzz/$name ]]; then
    echo "fuzz: $build/fuzz/$name is missing (run make fuzz-build)" >&2
    exit 1
  fi
  rm -f "$logs/$name.rc"
  run_one "$name" "${t##*:}" &
  running=$((running + 1))
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
done
wait

passed=0
failed=0
for t in "${targets[@]}"; do
  name=${t%%:*}
  log=$logs/$name.log
  rc=$(cat "$logs/$name.rc" 2>/dev/null || echo 1)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$done_line")
  if [[ $rc -eq 0 && -n $done_line ]]; then
    passed=$((passed + 1))
    echo "fuzz: $name ok: ${execs:-?} runs in ${seconds} s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
  else
    failed=$((failed + 1))
    echo "fuzz: $name FAILED (exit $rc): ${execs:-?} runs; log $log"
    grep -E 'ERROR|FUZZ_CHECK|SUMMARY|Test unit written|runtime error' "$log" | head -20 | sed 's/^/  /'
    ls "$build/fuzz-artifacts/$name" 2>/dev/null | sed 's/^/  artifact: /'
  fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
