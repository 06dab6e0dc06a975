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
#include "host/timing.h"

namespace bg::gpucheck {

// Records grouped by scheme in kSchemes order: count[scheme_index(s)]
// records of each scheme s; payload offsets index `blob`.
struct VerifyBatch {
  const gpu::SigRecord* recs = nullptr;
  size_t n = 0;
  const uint8_t* blob = nullptr;
  size_t blob_len = 0;
  std::array<uint32_t, kSchemeCount> count{};
  // Kernel variant per scheme byte (kernels/verify_variant.h).
  int variant[4] = {1, 1, 1, 1};
};

struct HashBatch {
  const gpu::MsgRecord* recs = nullptr;
  size_t n = 0;
  const uint8_t* blob = nullptr;
  size_t blob_len = 0;
};

using timing::reps_for;
using timing::Timing;  // kernel_ms, total_ms, reps: host/timing.h

// Inputs and outputs of the carry-primitive check (kernels/carry.h): per case
// 8 words a, 8 words b, 10 words t and one multiplier in; add8's 8 words +
// carry, sub8's 8 words + borrow and mad_row8's 10 words out.
constexpr size_t kCarryInWords = 27, kCarryOutWords = 28;

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
  // kernels/carry.h's primitives on n cases (see kCarryInWords): on the
  // device in the CUDA engine (its PTX carry chains), on the host here.
  virtual void carry_primitives(const uint32_t* in, size_t n, uint32_t* out) = 0;
};

// Thrown by an engine on a device error; gpu_check reports it and exits 2.
struct EngineError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::unique_ptr<Engine> make_engine(int verify_threads_per_block);

}  // namespace bg::gpucheck
