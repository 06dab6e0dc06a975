# gpu_check_script_dry_run: scripts/gpu-check.sh --cpu end to end on a pack
# assembled from this build (corpus, gpu_check_cpu, blockgate, the backend
# test when this is a CUDA build): every step runs, the table, TUNING lines,
# RESULT and STEPS lines come out, tuning.tsv has a row per scheme, and a
# skipped step (no bench carried; timings cut by the deadline) makes the
# script exit non-zero.
set(P ${DIR}/script_pack/gpu)
set(O ${DIR}/script_out)
file(REMOVE_RECURSE ${DIR}/script_pack ${O})
file(MAKE_DIRECTORY ${P}/bench ${P}/backend_test/testvectors)
execute_process(COMMAND ${GEN} --out ${P}/corpus.bin --per-scheme 60 --seed 5
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_gpu_corpus failed (${rc}): ${err}")
endif()
file(CREATE_LINK ${CHECK} ${P}/gpu_check_cpu SYMBOLIC)
file(CREATE_LINK ${BLOCKGATE} ${P}/bench/blockgate SYMBOLIC)
set(want_backend "backend-test=SKIPPED")
set(want_rc 1)
if(BACKEND_TEST)
  file(CREATE_LINK ${BACKEND_TEST} ${P}/backend_test/host_gpu_gpu_backend_test SYMBOLIC)
  file(COPY ${VECTORS}/blockgate_wycheproof.jsonl ${VECTORS}/blockgate_speccheck.jsonl
       DESTINATION ${P}/backend_test/testvectors)
  set(want_backend "backend-test=ok")
  set(want_rc 0)
endif()
set(args "--expand 300 --cpu-sample 60 --corpus-limit 20 --sizes 16,64 --small-sizes 8 --big 3000 --reps 1 --budget-ms 20 --threads-list 64 --carry-cases 512")

function(dry_run extra_args)
  execute_process(COMMAND env OUT=${O} GPU_CHECK_PACK=${P} GPU_CHECK_DEADLINE_S=250
                          "GPU_CHECK_ARGS=${args} ${extra_args}" "GPU_CHECK_BENCH_ARGS=--batch 64 --seconds 0.05"
                          ${SRC}/scripts/gpu-check.sh --cpu
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(rc ${rc} PARENT_SCOPE)
  set(out "${out}${err}" PARENT_SCOPE)
endfunction()

# 1. Every step: exit 0 on a CUDA build (the backend test is carried), 1 on a
#    build without CUDA (its backend test is missing: SKIPPED).
dry_run("")
message("${out}")
if(NOT rc EQUAL want_rc)
  message(FATAL_ERROR "gpu-check.sh --cpu exited ${rc}, want ${want_rc}")
endif()
foreach(want "dry run without a GPU" "quick pass exit 0" "CHECK corpus-verify-v2 " "TABLE " "RESULT PASS: 0 mismatches"
             "TUNING p256: v[12], 64 threads/block" "STEPS build=ok memcheck=ok ${want_backend} bench=ok check=ok \\(mode cpu\\): exit ${want_rc}")
  if(NOT out MATCHES "${want}")
    message(FATAL_ERROR "gpu-check.sh --cpu output lacks '${want}'")
  endif()
endforeach()
file(STRINGS ${O}/tuning.tsv tuning REGEX "^(ed25519|secp256k1|p256)\t[0-9]+\t64\t64\t[1-9]")
list(LENGTH tuning n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "tuning.tsv: want 3 scheme rows, got ${n}: ${tuning}")
endif()

# 2. Timings cut by the deadline: the comparisons pass, the check step is
#    SKIPPED and the script exits 1.
dry_run("--deadline-s 0")
if(NOT rc EQUAL 1 OR NOT out MATCHES "RESULT INCOMPLETE: 0 mismatches" OR NOT out MATCHES "check=SKIPPED")
  message(FATAL_ERROR "gpu-check.sh --cpu with the timings cut did not fail (${rc}):\n${out}")
endif()

# 3. No bench carried: SKIPPED and exit 1, though the check itself passes.
file(REMOVE ${P}/bench/blockgate)
dry_run("--no-timing")
if(NOT rc EQUAL 1 OR NOT out MATCHES "bench=SKIPPED" OR NOT out MATCHES "RESULT PASS")
  message(FATAL_ERROR "gpu-check.sh --cpu without a bench did not fail (${rc}):\n${out}")
endif()
