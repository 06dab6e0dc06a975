// What gpu_check runs its batches on: the CUDA kernels of host/gpu (the real
// check, engine_cuda.cu) or the same per-record functions on CPU threads
// (engine_cpu.cc, the GPU_CHECK_CPU_ONLY build that proves gpu_check's own
// parsing, comparison and reporting on a machine without a GPU).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "host/gpu/sig_record.h"

namespace bg::gpucheck {

// Records grouped by scheme in kSchemes order: count[scheme_index(s)]
// records of each scheme s; payload offsets index `blob`.
struct VerifyBatch {
  const gpu::SigRecord* recs = nullptr;
  size_t n = 0;
  const uint8_t* blob = nullptr;
  size_t blob_len = 0;
  std::array<uint32_t, kSchemeCount> count{};
};

struct HashBatch {
  const gpu::MsgRecord* recs = nullptr;
  size_t n = 0;
  const uint8_t* blob = nullptr;
  size_t blob_len = 0;
};

// Medians over `reps` timed runs after one warm-up. kernel_ms: kernels only,
// inputs already resident on the device. total_ms: host (pinned) → device
// copies, kernels, results back.
struct Timing {
  double kernel_ms = 0;
  double total_ms = 0;
  int reps = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string describe() const = 0;
  // Registers and local memory (spills + stack) of each verify kernel.
  virtual std::string resources() const = 0;
  virtual void verify(const VerifyBatch& b, uint8_t* valid) = 0;
  virtual void sha256(const HashBatch& b, uint8_t* digests) = 0;
  virtual void merkle_root(const uint8_t* ids, size_t n, uint8_t root[32]) = 0;
  // Up to max_reps timed runs within about budget_ms (see reps_for).
  virtual Timing time_verify(const VerifyBatch& b, int max_reps, double budget_ms) = 0;
  virtual Timing time_sha256(const HashBatch& b, int max_reps, double budget_ms) = 0;
  virtual Timing time_merkle(const uint8_t* ids, size_t n, int max_reps, double budget_ms) = 0;
  // Threads per block of the verify launches from now on (0: the default).
  virtual void set_verify_threads(int threads) = 0;
};

// Thrown by an engine on a device error; gpu_check reports it and exits 2.
struct EngineError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::unique_ptr<Engine> make_engine(int verify_threads_per_block);

// Timed runs wanted after a warm-up run of first_ms: as many as fit the
// budget, at most max_reps; 3 at least unless one run alone is over a third
// of the budget (then as many as fit, at least 1), so a slow kernel cannot
// push the whole check past its time on the device.
inline int reps_for(double first_ms, int max_reps, double budget_ms) {
  int r = first_ms > 0 ? int(budget_ms / first_ms) : max_reps;
  if (r > max_reps) r = max_reps;
  if (r < 3 && first_ms * 3 <= budget_ms) r = 3;
  return r < 1 ? 1 : r;
}

}  // namespace bg::gpucheck
