# gpu_check_cpu end to end (ctest gpu_check_cpu_smoke): a small corpus must
# PASS; the same corpus with a flipped byte must be refused (exit 2).
execute_process(COMMAND ${GEN} --out ${DIR}/smoke_corpus.bin --per-scheme 150 --seed 3
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_gpu_corpus failed (${rc}):\n${out}\n${err}")
endif()
execute_process(COMMAND ${CHECK} --corpus ${DIR}/smoke_corpus.bin --expand 1500 --cpu-sample 300
                        --sizes 64,512 --small-sizes 16 --big 5000 --reps 3 --budget-ms 50 --threads-list 128,64
                        --carry-cases 4096 --tsv ${DIR}/smoke_table.tsv --tuning ${DIR}/smoke_tuning.tsv
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "RESULT PASS" OR NOT out MATCHES "TABLE")
  message(FATAL_ERROR "gpu_check_cpu did not pass (${rc}):\n${err}")
endif()
# Every variant is checked and timed (kernels/verify_variant.h: ed25519 has
# v1 and v2), the carry primitives are compared, and each scheme gets a
# tuning row.
foreach(want "CHECK carry-primitives +4096 compared +0 mismatches" "CHECK corpus-verify-v2 "
             "CHECK expanded-ed25519-v2 +1500 compared +0 mismatches" "verify ed25519 v2 \\[64 thr/blk\\] +512"
             "verify p256 v1 \\[(64|128) thr/blk\\] +16 " "TUNING ed25519: v[12], (64|128) threads/block")
  if(NOT out MATCHES "${want}")
    message(FATAL_ERROR "gpu_check_cpu output lacks '${want}'")
  endif()
endforeach()
if(NOT EXISTS ${DIR}/smoke_table.tsv)
  message(FATAL_ERROR "gpu_check_cpu wrote no --tsv table")
endif()
file(STRINGS ${DIR}/smoke_tuning.tsv tuning REGEX "^(ed25519|secp256k1|p256)\t[0-9]+\t(64|128)\t512\t[1-9]")
list(LENGTH tuning n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "smoke_tuning.tsv: want 3 scheme rows, got ${n}: ${tuning}")
endif()
# A skipped step is a failure: with no time for timings the check passes its
# comparisons but exits 3 (RESULT INCOMPLETE), which scripts/gpu-check.sh
# turns into a non-zero exit.
execute_process(COMMAND ${CHECK} --corpus ${DIR}/smoke_corpus.bin --expand 30 --cpu-sample 30 --big 100
                        --sizes 16 --deadline-s 0
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 3 OR NOT out MATCHES "RESULT INCOMPLETE: 0 mismatches")
  message(FATAL_ERROR "gpu_check_cpu with skipped timings did not exit 3 (${rc}):\n${out}\n${err}")
endif()
# The checker must catch a disagreement: the same corpus with 3 expected
# verdicts inverted gives exit 1 and exactly 3 corpus mismatches.
execute_process(COMMAND ${GEN} --out ${DIR}/smoke_flipped.bin --per-scheme 150 --seed 3 --flip-expected 3
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
execute_process(COMMAND ${CHECK} --corpus ${DIR}/smoke_flipped.bin --expand 30 --cpu-sample 30 --big 100 --no-timing
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT out MATCHES "CHECK corpus-verify-v1 +[0-9]+ compared +3 mismatches" OR NOT out MATCHES "MISMATCH corpus-verify")
  message(FATAL_ERROR "gpu_check_cpu missed inverted verdicts (${rc}):\n${out}\n${err}")
endif()
# A truncated copy must be refused (exit 2), not half-checked.
execute_process(COMMAND head -c 100000 ${DIR}/smoke_corpus.bin OUTPUT_FILE ${DIR}/smoke_truncated.bin)
execute_process(COMMAND ${CHECK} --corpus ${DIR}/smoke_truncated.bin RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "checksum")
  message(FATAL_ERROR "gpu_check_cpu accepted a truncated corpus (${rc}):\n${out}\n${err}")
endif()
