// The `gpu` backend's knobs. make_gpu_backend(BackendOptions) (host/backend.h)
// uses the defaults; tests and benchmarks build one with their own options.
#pragma once

#include <absl/status/statusor.h>

#include <array>
#include <cstddef>
#include <memory>

#include "host/backend.h"

namespace bg::gpu {

struct GpuOptions {
  size_t cpu_threads = 0;  // threads of the internal cpu backend (small batches)
  int device = 0;
  // Crossovers: smaller batches go to the internal cpu backend. A GPU batch
  // costs at least one thread's whole verification (~0.3-0.7 ms predicted:
  // ~3-4k dependent field multiplications on one SIMT lane) plus launch and
  // copies, while 16 CPU cores clear 256 signatures in ~0.6 ms; so 256 until
  // gpu_check's small-batch rows measure it (docs/GPU.md). Hashing is cheap
  // per item and PCIe-bound, so its crossover is much higher.
  size_t min_verify_batch = 256;
  size_t min_hash_batch = 4096;
  size_t min_merkle_leaves = 4096;
  // One chunk: records and payload bytes per buffer set. Two sets, one stream
  // each, so chunk k+1 is packed and copied while chunk k computes. 2^17
  // records ≈ one full wave of a register-heavy kernel on 132 SMs.
  size_t chunk_items = size_t(1) << 17;
  size_t chunk_blob_bytes = size_t(32) << 20;
  int verify_threads_per_block = 0;  // 0: the kernels' default
  // Kernel variant per SPEC §1 scheme byte (kernels/verify_variant.h); the
  // defaults follow the last recorded tuning.tsv (docs/PERFORMANCE.md), and
  // stay 1 until one exists.
  std::array<int, 4> verify_variant{1, 1, 1, 1};
  // Callers served at once (each lane: two buffer sets and their streams).
  // 2 matches the server's default --verify-depth.
  int lanes = 2;
  // cudaDeviceReset() before use: a re-creation after a sticky fault.
  bool reset_device = false;
};

absl::StatusOr<std::unique_ptr<VerifyBackend>> make_gpu_backend(const GpuOptions& opts);

}  // namespace bg::gpu
