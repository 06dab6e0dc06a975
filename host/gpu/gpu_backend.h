// The `gpu` backend's knobs. make_gpu_backend(BackendOptions) (host/backend.h)
// uses the defaults; tests and benchmarks build one with their own options.
#pragma once

#include <absl/status/statusor.h>

#include <cstddef>
#include <memory>

#include "host/backend.h"

namespace bg::gpu {

struct GpuOptions {
  size_t cpu_threads = 0;  // threads of the internal cpu backend (small batches)
  int device = 0;
  // Crossovers: smaller batches go to the internal cpu backend, where a
  // launch plus two copies (~20-40 us) would cost more than the work. 64
  // signatures is a guess to be replaced by the measured crossover
  // (docs/GPU.md); hashing is cheap per item, so its crossover is higher.
  size_t min_verify_batch = 64;
  size_t min_hash_batch = 4096;
  size_t min_merkle_leaves = 4096;
  // One chunk: records and payload bytes per buffer set. Two sets, one stream
  // each, so chunk k+1 is packed and copied while chunk k computes. 2^17
  // records ≈ one full wave of a register-heavy kernel on 132 SMs.
  size_t chunk_items = size_t(1) << 17;
  size_t chunk_blob_bytes = size_t(32) << 20;
  int verify_threads_per_block = 0;  // 0: the kernels' default
};

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_gpu_backend(const GpuOptions& opts);

}  // namespace bg::gpu
