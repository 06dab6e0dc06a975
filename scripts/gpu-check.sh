#!/usr/bin/env bash
# The GPU check, run on the lent GPU machine from the repository root (see
# docs/GPU.md §7 for the exact call): unpacks the carried pack
# (out/gpu.tar.xz from scripts/gpu-pack.sh), runs a compute-sanitizer
# memcheck pass on a small batch, the backend's device test, the reference
# libraries' CPU rates (the carried `blockgate bench`), then the full
# comparison (the carry primitives, every verdict of every kernel variant,
# hashes and roots against the carried corpus) and the timings (variant x
# threads per block x batch per scheme, the mixed batch); the table, the
# TUNING lines and one RESULT line come last, then one STEPS line. Logs,
# table.tsv and tuning.tsv go to $OUT. Exit 0 only when every step ran and
# passed: a step skipped (no sanitizer, no backend test, no bench, timings
# cut by the deadline) is a non-zero exit.
#
#   scripts/gpu-check.sh               the whole check (needs a GPU)
#   scripts/gpu-check.sh --cpu         dry run without a GPU: the same steps on the
#                                      same pack, with gpu_check_cpu (the kernels'
#                                      code on CPU threads) and small batches
#   scripts/gpu-check.sh --build-only  just the nvcc build of gpu_check (no GPU needed)
#
# Environment: OUT (log folder, default out/gpu-check), GPU_CHECK_ARCHIVE
# (default out/gpu.tar.xz; unpacked into GPU_CHECK_UNPACK, default
# /tmp/blockgate-gpu-pack), GPU_CHECK_PACK (an unpacked pack folder; default:
# the unpacked archive, else out/gpu), GPU_CHECK_CORPUS (default
# $PACK/corpus.bin), GPU_CHECK_ARGS (gpu_check flags; --cpu has small-batch
# defaults), GPU_CHECK_BENCH_ARGS (blockgate bench flags), GPU_CHECK_DEADLINE_S (whole-script budget, default 450; --cpu
# 300), GPU_CHECK_PREBUILT (default $PACK/gpu_check; the script builds one
# with nvcc when it is missing or does not run).
set -uo pipefail
cd "$(dirname "$0")/.."

MODE=gpu
case "${1:-}" in
  --cpu) MODE=cpu ;;
  --build-only) MODE=build ;;
  "") ;;
  *) echo "usage: scripts/gpu-check.sh [--cpu | --build-only]" >&2; exit 2 ;;
esac
OUT=${OUT:-out/gpu-check}
BUILD=${GPU_CHECK_BUILD_DIR:-/tmp/gpu_check_build}
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
mkdir -p "$OUT" "$BUILD"
start=$(date +%s)
say() { echo "gpu-check [$(( $(date +%s) - start ))s] $*"; }
status=0
# Every step ends as ok, FAILED or SKIPPED; the STEPS line lists them and any
# step that is not ok makes the exit status non-zero.
steps=()
step() {  # step NAME ok|FAILED|SKIPPED
  steps+=("$1=$2")
  [[ "$2" == ok ]] || status=1
}

# --- Build (when no prebuilt gpu_check runs): each translation unit in parallel (the three verify kernels
# take ~50 s of nvcc each on one core), then one link. --------------------------
build() {
  local flags=(-O3 -std=c++20 -arch=sm_90 -I. -Xptxas -v -Xcompiler -pthread)
  # Every kernel unit (one per scheme and variant) is a host/gpu/verify_*.cu.
  local srcs=(host/gpu/verify_*.cu
              host/gpu/hash_kernels.cu tools/gpu_check/engine_cuda.cu tools/gpu_check/gpu_check.cc
              tools/gpu_check/batches.cc tools/gpu_check/cpu_kernels.cc)
  local objs=() pids=() s o t0=$(date +%s)
  say "building gpu_check with $("$NVCC" --version | tail -1)"
  for s in "${srcs[@]}"; do
    o="$BUILD/$(basename "$s").o"
    objs+=("$o")
    "$NVCC" "${flags[@]}" -c "$s" -o "$o" >"$BUILD/$(basename "$s").log" 2>&1 &
    pids+=($!)
  done
  local failed=0 i
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then failed=1; echo "nvcc failed on ${srcs[$i]}:"; cat "$BUILD/$(basename "${srcs[$i]}").log"; fi
  done
  cat "$BUILD"/*.log >"$OUT/build.log" 2>/dev/null
  ((failed)) && return 1
  "$NVCC" -arch=sm_90 -Xcompiler -pthread "${objs[@]}" -o "$BUILD/gpu_check" >>"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; return 1; }
  say "built $BUILD/gpu_check in $(( $(date +%s) - t0 ))s; kernel resources (ptxas):"
  awk "/Compiling entry function '_ZN2bg3gpu13verify_kernelIL/ && match(\$0, /SchemeE[0-9]+ELi[0-9]+E/) { m = substr(\$0, RSTART + 7, RLENGTH - 8); split(m, a, \"ELi\"); s = a[1]; v = a[2] }
       s && /spill/ { sp = \$0 } s && /Used [0-9]+ registers/ { print \"  verify kernel scheme \" s \" v\" v \": \" \$5 \" registers;\" sp; s = 0 }" "$OUT/build.log"
}

# The whole script keeps inside GPU_CHECK_DEADLINE_S (default 450 s; the
# dry run 300 s): each step gets what is left, so a slow step costs timing
# rows, not the results.
default_deadline=450
[[ $MODE == cpu ]] && default_deadline=300
DEADLINE=$(( start + ${GPU_CHECK_DEADLINE_S:-$default_deadline} ))
left() { echo $(( DEADLINE - $(date +%s) )); }

if [[ $MODE == build ]]; then
  build || { say "BUILD FAILED"; echo "RESULT BUILD-FAILED"; exit 3; }
  exit 0
fi

# --- 1. The pack: out/gpu.tar.xz as scripts/gpu-pack.sh made it, unpacked
# fresh (tar with xz, or Python's tarfile where xz is missing). -------------
ARCHIVE=${GPU_CHECK_ARCHIVE:-out/gpu.tar.xz}
if [[ -n "${GPU_CHECK_PACK:-}" ]]; then
  PACK=$GPU_CHECK_PACK
elif [[ -f "$ARCHIVE" ]]; then
  UNPACK=${GPU_CHECK_UNPACK:-/tmp/blockgate-gpu-pack}
  rm -rf "$UNPACK/gpu" && mkdir -p "$UNPACK"
  if command -v xz >/dev/null; then
    tar -C "$UNPACK" -xJf "$ARCHIVE"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$ARCHIVE" "$UNPACK"
  fi || { say "cannot unpack $ARCHIVE"; echo "RESULT NO-PACK"; exit 2; }
  PACK=$UNPACK/gpu
  say "unpacked $ARCHIVE ($(( $(stat -c %s "$ARCHIVE") / 1048576 )) MiB) into $PACK ($(du -sm "$PACK" | cut -f1) MiB)"
else
  PACK=out/gpu
fi
CORPUS=${GPU_CHECK_CORPUS:-$PACK/corpus.bin}
if [[ ! -f "$CORPUS" ]]; then say "no corpus at $CORPUS (run scripts/gpu-pack.sh: see docs/GPU.md)"; echo "RESULT NO-CORPUS"; exit 2; fi

# The check program: the carried gpu_check on a GPU (built here when it is
# missing or does not start), gpu_check_cpu in the dry run.
if [[ $MODE == cpu ]]; then
  CHECK=$PACK/gpu_check_cpu
  if [[ ! -x "$CHECK" ]]; then say "no $CHECK (scripts/gpu-pack.sh makes it)"; echo "RESULT NO-CHECK"; exit 2; fi
  say "dry run without a GPU: $CHECK (the kernels' code on CPU threads), small batches"
  step build ok
else
  PREBUILT=${GPU_CHECK_PREBUILT:-$PACK/gpu_check}
  if [[ -x "$PREBUILT" ]] && "$PREBUILT" --version >/dev/null 2>&1; then
    cp "$PREBUILT" "$BUILD/gpu_check"
    say "using the prebuilt $PREBUILT (no build here; delete it to build here)"
  elif ! build; then
    say "BUILD FAILED"; echo "RESULT BUILD-FAILED"; exit 3
  fi
  CHECK=$BUILD/gpu_check
  step build ok
fi
# Small batches for the dry run (every code path, seconds of CPU each).
if [[ $MODE == cpu ]]; then
  CHECK_ARGS=${GPU_CHECK_ARGS:---expand 3000 --cpu-sample 300 --corpus-limit 100 --sizes 64,1024 --small-sizes 16 --big 20000 --reps 3 --budget-ms 50 --threads-list 128,64 --carry-cases 4096}
else
  CHECK_ARGS=${GPU_CHECK_ARGS:-}
fi

# --- 2. The machine, as found (nothing is changed on it). ---------------------
{ nvidia-smi; nvidia-smi -q -d CLOCK,POWER,PERFORMANCE; uname -a; nproc; free -g; } >"$OUT/machine.txt" 2>&1
if [[ $MODE == cpu ]]; then
  say "device: none (dry run); $(nproc) CPU threads"
else
  say "device: $(nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader 2>&1 | head -1)"
fi

# --- 3. compute-sanitizer memcheck on a small batch (every kernel and path);
# the dry run runs the same --quick pass without the sanitizer. --------------
sl=$(( $(left) - 200 )); (( sl > 150 )) && sl=150; (( sl < 30 )) && sl=30
if [[ $MODE == cpu ]]; then
  say "memcheck stand-in (dry run: gpu_check_cpu --quick, no compute-sanitizer)"
  timeout $sl "$CHECK" --corpus "$CORPUS" --quick >"$OUT/sanitizer.log" 2>&1
  rc=$?
  say "quick pass exit $rc ($(grep -E '^RESULT' "$OUT/sanitizer.log" | tail -1))"
  if ((rc == 0)); then step memcheck ok; else step memcheck FAILED; fi
elif command -v compute-sanitizer >/dev/null; then
  say "compute-sanitizer memcheck (gpu_check --quick)"
  timeout $sl compute-sanitizer --tool memcheck --leak-check full --print-limit 50 --error-exitcode 9 \
      "$CHECK" --corpus "$CORPUS" --quick >"$OUT/sanitizer.log" 2>&1
  rc=$?
  errors=$(grep -Eo "ERROR SUMMARY: [0-9]+ error" "$OUT/sanitizer.log" | tail -1)
  say "sanitizer exit $rc, ${errors:-no summary} ($(grep -E '^RESULT' "$OUT/sanitizer.log" | tail -1))"
  if ((rc == 0)); then step memcheck ok; else step memcheck FAILED; fi
else
  say "compute-sanitizer not found: memcheck pass SKIPPED (exit status 1)"
  step memcheck SKIPPED
fi

# --- 4. The backend's own device test (carried by scripts/gpu-pack.sh): the
# two-stream pipeline, buffer growth and concurrency against the cpu backend.
# On a GPU every test must run (BLOCKGATE_REQUIRE_GPU); the dry run proves the
# carried binary starts with the carried libraries (its device tests skip).
bt=$PACK/backend_test
if [[ -x "$bt/host_gpu_gpu_backend_test" ]]; then
  say "backend device test ($bt)"
  envs=(LD_LIBRARY_PATH="$PACK/lib" BLOCKGATE_TESTVECTORS="$bt/testvectors")
  [[ $MODE == cpu ]] || envs+=(BLOCKGATE_REQUIRE_GPU=1)
  env -u BLOCKGATE_REQUIRE_GPU "${envs[@]}" timeout 150 "$bt/host_gpu_gpu_backend_test" >"$OUT/backend_test.log" 2>&1
  rc=$?
  say "backend test exit $rc: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ test' "$OUT/backend_test.log" | tr '\n' ' ')"
  grep -E '^\[  FAILED  \] GpuBackend|Failure|error while loading' "$OUT/backend_test.log" | head -20
  if ((rc == 0)); then step backend-test ok; else step backend-test FAILED; fi
else
  say "no $bt (scripts/gpu-pack.sh makes it): backend device test SKIPPED (exit status 1)"
  step backend-test SKIPPED
fi

# --- 5. The reference libraries' rates on this machine's CPU (blockgate bench from
# the pack, 1 s per scheme) make tuning.tsv's crossover a real one; without
# it gpu_check compares against the kernel code on the CPU and says so.
args=()
bench=$PACK/bench/blockgate
bench_args=(--batch 16k --seconds 1)
[[ $MODE == cpu ]] && bench_args=(--batch 1k --seconds 0.2)
# shellcheck disable=SC2206
[[ -n "${GPU_CHECK_BENCH_ARGS:-}" ]] && bench_args=($GPU_CHECK_BENCH_ARGS)
if [[ ! -x "$bench" ]]; then
  say "no $bench (scripts/gpu-pack.sh makes it): cpu reference rates SKIPPED (exit status 1)"
  step bench SKIPPED
elif (( $(left) > 200 )); then
  say "cpu reference rates ($bench bench --backend cpu ${bench_args[*]})"
  LD_LIBRARY_PATH=$PACK/lib timeout 60 "$bench" bench --backend cpu --scheme all "${bench_args[@]}" \
    --json >"$OUT/bench_cpu.json" 2>"$BUILD/bench_cpu.log"
  rates=$(python3 - "$OUT/bench_cpu.json" <<'PY' 2>/dev/null
import json, sys
rows = json.load(open(sys.argv[1]))["verify"]
print(",".join("%s=%.0f" % (r["scheme"], r["per_s"]) for r in rows if r["backend"] == "cpu" and r["scheme"] != "mixed"))
PY
)
  if [[ -n "$rates" ]]; then
    args+=(--cpu-rates "$rates"); say "cpu reference rates: $rates"; step bench ok
  else
    say "bench gave no rates; its last lines:"; tail -20 "$BUILD/bench_cpu.log"; step bench FAILED
  fi
else
  say "too little time left: cpu reference rates SKIPPED (exit status 1)"
  step bench SKIPPED
fi

# --- 6. The full comparison and the timings; the table is printed last. -------
fl=$(left); (( fl < 60 )) && fl=60
args+=(--corpus "$CORPUS" --tsv "$OUT/table.tsv" --tuning "$OUT/tuning.tsv" --deadline-s $(( fl - 45 )))
say "full check: $CHECK ${args[*]} $CHECK_ARGS (limit ${fl}s)"
# shellcheck disable=SC2086
timeout $fl "$CHECK" "${args[@]}" $CHECK_ARGS 2>&1 | tee "$OUT/check.log"
rc=${PIPESTATUS[0]}
case $rc in
  0) step check ok ;;
  3) step check SKIPPED ;;  # timings cut by the deadline
  *) step check FAILED ;;
esac
say "gpu_check exit $rc (0 pass, 1 mismatch, 2 error, 3 timings skipped, 124 timeout); total $(( $(date +%s) - start ))s; logs in $OUT"
echo "STEPS ${steps[*]} (mode $MODE): exit $status"
exit $status
