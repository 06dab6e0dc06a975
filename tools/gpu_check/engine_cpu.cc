// The CPU engine of gpu_check (built with -DGPU_CHECK_CPU_ONLY, no CUDA): the
// kernels' per-record functions on std::threads, timed with a steady clock.
// It proves gpu_check's parsing, expansion, comparison and report here.
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "kernels/merkle.h"
#include "tools/gpu_check/cpu_kernels.h"
#include "tools/gpu_check/engine.h"

namespace bg::gpucheck {
namespace {

class CpuEngine final : public Engine {
 public:
  std::string describe() const override {
    return "CPU engine (GPU_CHECK_CPU_ONLY build): kernel code on " + std::to_string(cpu_threads()) + " threads";
  }
  std::string resources() const override { return "verify kernels: n/a on the CPU engine"; }
  void verify(const VerifyBatch& b, uint8_t* valid) override { cpu_verify(b, 0, b.n, valid); }
  void set_verify_threads(int) override {}
  void sha256(const HashBatch& b, uint8_t* out) override { cpu_sha256(b, out); }
  void merkle_root(const uint8_t* ids, size_t n, uint8_t root[32]) override { cpu_merkle_root(ids, n, root); }
  void carry_primitives(const uint32_t* in, size_t n, uint32_t* out) override {
    for (size_t i = 0; i < n; ++i) cpu_carry_case(in + kCarryInWords * i, out + kCarryOutWords * i);
  }

  Timing time_verify(const VerifyBatch& b, int max_reps, double budget_ms) override {
    std::vector<uint8_t> out(b.n);
    return time([&] { verify(b, out.data()); }, max_reps, budget_ms);
  }
  Timing time_sha256(const HashBatch& b, int max_reps, double budget_ms) override {
    std::vector<uint8_t> out(b.n * 32);
    return time([&] { sha256(b, out.data()); }, max_reps, budget_ms);
  }
  Timing time_merkle(const uint8_t* ids, size_t n, int max_reps, double budget_ms) override {
    uint8_t root[32];
    return time([&] { merkle_root(ids, n, root); }, max_reps, budget_ms);
  }

 private:
  template <typename F>
  Timing time(F run, int max_reps, double budget_ms) {
    Timing t;
    t.kernel_ms = t.total_ms = timing::median_host_ms(run, max_reps, budget_ms, &t.reps);
    return t;
  }
};

}  // namespace

std::unique_ptr<Engine> make_engine(int) { return std::make_unique<CpuEngine>(); }

}  // namespace bg::gpucheck
