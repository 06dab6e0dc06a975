#!/usr/bin/env bash
# The GPU check, run on the lent GPU machine from the repository root (see
# docs/GPU.md for the exact `run` call): builds tools/gpu_check with nvcc
# alone, runs a compute-sanitizer memcheck pass on a small batch, the backend's
# device test, then the full comparison (the carry primitives, every verdict of
# every kernel variant, hashes and roots against the carried corpus) and the
# timings (variant x threads per block x batch per scheme, the mixed batch);
# the table, the TUNING lines and one RESULT line come last. Logs, table.tsv
# and tuning.tsv go to $OUT. Exit 0 only when every step ran and passed: a
# step skipped (no sanitizer, no backend test, timings cut by the deadline)
# is a non-zero exit.
#
#   scripts/gpu-check.sh               the whole check (needs a GPU and out/gpu/corpus.bin)
#   scripts/gpu-check.sh --build-only  just the nvcc build (works without a GPU)
#
# Environment: OUT (log folder, default out/gpu-check), GPU_CHECK_CORPUS
# (default out/gpu/corpus.bin), GPU_CHECK_ARGS (extra gpu_check flags),
# GPU_CHECK_DEADLINE_S (whole-script budget, default 450), GPU_CHECK_PREBUILT
# (a gpu_check built elsewhere, default out/gpu/gpu_check from
# scripts/gpu-pack.sh; used when it runs here, else the script builds).
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-out/gpu-check}
CORPUS=${GPU_CHECK_CORPUS:-out/gpu/corpus.bin}
BUILD=${GPU_CHECK_BUILD_DIR:-/tmp/gpu_check_build}
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
mkdir -p "$OUT" "$BUILD"
start=$(date +%s)
say() { echo "gpu-check [$(( $(date +%s) - start ))s] $*"; }
status=0

# --- 1. Build: each translation unit in parallel (the three verify kernels
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

# The whole script keeps inside GPU_CHECK_DEADLINE_S (default 450 s): each
# step gets what is left, so a slow step costs timing rows, not the results.
DEADLINE=$(( start + ${GPU_CHECK_DEADLINE_S:-450} ))
left() { echo $(( DEADLINE - $(date +%s) )); }

PREBUILT=${GPU_CHECK_PREBUILT:-out/gpu/gpu_check}
if [[ "${1:-}" != "--build-only" && -x "$PREBUILT" ]] && "$PREBUILT" --version >/dev/null 2>&1; then
  cp "$PREBUILT" "$BUILD/gpu_check"
  say "using the prebuilt $PREBUILT (no build here; delete it to build here)"
elif ! build; then
  say "BUILD FAILED"; echo "RESULT BUILD-FAILED"; exit 3
fi
[[ "${1:-}" == "--build-only" ]] && exit 0

# --- 2. The machine, as found (nothing is changed on it). ---------------------
{ nvidia-smi; nvidia-smi -q -d CLOCK,POWER,PERFORMANCE; uname -a; nproc; free -g; } >"$OUT/machine.txt" 2>&1
say "device: $(nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader 2>&1 | head -1)"

if [[ ! -f "$CORPUS" ]]; then say "no corpus at $CORPUS (carry it: see docs/GPU.md)"; echo "RESULT NO-CORPUS"; exit 2; fi

# --- 3. compute-sanitizer memcheck on a small batch (every kernel and path). --
if command -v compute-sanitizer >/dev/null; then
  say "compute-sanitizer memcheck (gpu_check --quick)"
  sl=$(( $(left) - 200 )); (( sl > 150 )) && sl=150; (( sl < 30 )) && sl=30
  timeout $sl compute-sanitizer --tool memcheck --leak-check full --print-limit 50 --error-exitcode 9 \
      "$BUILD/gpu_check" --corpus "$CORPUS" --quick >"$OUT/sanitizer.log" 2>&1
  rc=$?
  errors=$(grep -Eo "ERROR SUMMARY: [0-9]+ error" "$OUT/sanitizer.log" | tail -1)
  say "sanitizer exit $rc, ${errors:-no summary} ($(grep -E '^RESULT' "$OUT/sanitizer.log" | tail -1))"
  ((rc != 0)) && status=1
else
  say "compute-sanitizer not found: memcheck pass SKIPPED (exit status 1)"
  status=1
fi

# --- 4. The backend's own device test (carried by scripts/gpu-pack.sh): the
# two-stream pipeline, buffer growth and concurrency against the cpu backend.
bt=out/gpu/backend_test
if [[ -x "$bt/host_gpu_gpu_backend_test" ]]; then
  say "backend device test ($bt)"
  LD_LIBRARY_PATH=out/gpu/lib BLOCKGATE_TESTVECTORS="$bt/testvectors" BLOCKGATE_REQUIRE_GPU=1 \
    timeout 150 "$bt/host_gpu_gpu_backend_test" >"$OUT/backend_test.log" 2>&1
  rc=$?
  say "backend test exit $rc: $(grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ test' "$OUT/backend_test.log" | tr '\n' ' ')"
  grep -E '^\[  FAILED  \] GpuBackend|Failure|error while loading' "$OUT/backend_test.log" | head -20
  ((rc != 0)) && status=1
else
  say "no $bt (scripts/gpu-pack.sh makes it): backend device test SKIPPED (exit status 1)"
  status=1
fi

# --- 5. The reference libraries' rates on this machine's CPU (blockgate bench from
# the pack, 1 s per scheme) make tuning.tsv's crossover a real one; without
# it gpu_check compares against the kernel code on the CPU and says so.
args=()
bench=out/gpu/bench/blockgate
if [[ ! -x "$bench" ]]; then
  say "no $bench (scripts/gpu-pack.sh makes it): cpu reference rates SKIPPED (exit status 1)"
  status=1
elif (( $(left) > 200 )); then
  say "cpu reference rates ($bench bench --backend cpu --batch 16k --seconds 1)"
  LD_LIBRARY_PATH=out/gpu/lib timeout 60 "$bench" bench --backend cpu --scheme all --batch 16k --seconds 1 \
    --json >"$OUT/bench_cpu.json" 2>"$OUT/bench_cpu.log"
  rates=$(python3 - "$OUT/bench_cpu.json" <<'PY' 2>/dev/null
import json, sys
rows = json.load(open(sys.argv[1]))["verify"]
print(",".join("%s=%.0f" % (r["scheme"], r["per_s"]) for r in rows if r["backend"] == "cpu" and r["scheme"] != "mixed"))
PY
)
  if [[ -n "$rates" ]]; then args+=(--cpu-rates "$rates"); say "cpu reference rates: $rates"; else say "bench gave no rates (see bench_cpu.log)"; status=1; fi
else
  say "too little time left: cpu reference rates SKIPPED (exit status 1)"
  status=1
fi

# --- 6. The full comparison and the timings; the table is printed last. -------
fl=$(left); (( fl < 60 )) && fl=60
args+=(--corpus "$CORPUS" --tsv "$OUT/table.tsv" --tuning "$OUT/tuning.tsv" --deadline-s $(( fl - 45 )))
say "full check: gpu_check ${args[*]} ${GPU_CHECK_ARGS:-} (limit ${fl}s)"
# shellcheck disable=SC2086
timeout $fl "$BUILD/gpu_check" "${args[@]}" ${GPU_CHECK_ARGS:-} 2>&1 | tee "$OUT/check.log"
rc=${PIPESTATUS[0]}
((rc != 0)) && status=1
say "gpu_check exit $rc (0 pass, 1 mismatch, 2 error, 3 timings skipped, 124 timeout); total $(( $(date +%s) - start ))s; logs in $OUT"
exit $status
