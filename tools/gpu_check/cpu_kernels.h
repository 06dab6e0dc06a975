// The kernels' per-record functions run over a batch on all CPU threads: the
// CPU engine's whole work, and in the CUDA build the cross-check that the GPU
// agrees with the same code compiled for the host.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tools/gpu_check/engine.h"

namespace bg::gpucheck {

unsigned cpu_threads();
// valid[i - begin] for records [begin, end) of the batch.
void cpu_verify(const VerifyBatch& b, size_t begin, size_t end, uint8_t* valid);
void cpu_sha256(const HashBatch& b, uint8_t* digests);
void cpu_merkle_root(const uint8_t* ids, size_t n, uint8_t root[32]);
// kernels/carry.h's host versions on one case (see engine.h).
void cpu_carry_case(const uint32_t* in, uint32_t* out);

}  // namespace bg::gpucheck
