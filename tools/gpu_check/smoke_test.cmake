# gpu_check_cpu end to end (ctest gpu_check_cpu_smoke): a small corpus must
# PASS; the same corpus with a flipped byte must be refused (exit 2).
execute_process(COMMAND ${GEN} --out ${DIR}/smoke_corpus.bin --per-scheme 150 --seed 3
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_gpu_corpus failed (${rc}):\n${out}\n${err}")
endif()
execute_process(COMMAND ${CHECK} --corpus ${DIR}/smoke_corpus.bin --expand 1500 --cpu-sample 300
                        --sizes 64,512 --big 5000 --reps 3 --budget-ms 50 --alt-threads 64 --tsv ${DIR}/smoke_table.tsv
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "RESULT PASS" OR NOT out MATCHES "TABLE")
  message(FATAL_ERROR "gpu_check_cpu did not pass (${rc}):\n${err}")
endif()
if(NOT EXISTS ${DIR}/smoke_table.tsv)
  message(FATAL_ERROR "gpu_check_cpu wrote no --tsv table")
endif()
# The checker must catch a disagreement: the same corpus with 3 expected
# verdicts inverted gives exit 1 and exactly 3 corpus mismatches.
execute_process(COMMAND ${GEN} --out ${DIR}/smoke_flipped.bin --per-scheme 150 --seed 3 --flip-expected 3
                RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
execute_process(COMMAND ${CHECK} --corpus ${DIR}/smoke_flipped.bin --expand 30 --cpu-sample 30 --big 100 --no-timing
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT out MATCHES "CHECK corpus-verify +[0-9]+ compared +3 mismatches" OR NOT out MATCHES "MISMATCH corpus-verify")
  message(FATAL_ERROR "gpu_check_cpu missed inverted verdicts (${rc}):\n${out}\n${err}")
endif()
# A truncated copy must be refused (exit 2), not half-checked.
execute_process(COMMAND head -c 100000 ${DIR}/smoke_corpus.bin OUTPUT_FILE ${DIR}/smoke_truncated.bin)
execute_process(COMMAND ${CHECK} --corpus ${DIR}/smoke_truncated.bin RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "checksum")
  message(FATAL_ERROR "gpu_check_cpu accepted a truncated corpus (${rc}):\n${out}\n${err}")
endif()
