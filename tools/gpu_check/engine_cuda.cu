// The CUDA engine of gpu_check: the backend's own kernels (host/gpu/launch.h)
// on the device, timed with CUDA events. Every CUDA call is checked; a failure
// throws EngineError naming the expression and file:line.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "host/gpu/cuda_raii.h"
#include "host/gpu/launch.h"
#include "kernels/carry.h"
#include "tools/gpu_check/cpu_kernels.h"
#include "tools/gpu_check/engine.h"

namespace bg::gpucheck {
namespace {

#define GC_CUDA(expr)                                                                             \
  do {                                                                                            \
    cudaError_t gc_err_ = (expr);                                                                 \
    if (gc_err_ != cudaSuccess)                                                                   \
      throw EngineError(std::string(#expr) + " failed at " + __FILE__ + ":" + std::to_string(__LINE__) + \
                        ": " + cudaGetErrorName(gc_err_) + " (" + cudaGetErrorString(gc_err_) + ")"); \
  } while (0)

// One thread per case: kernels/carry.h's device (PTX) versions.
__global__ void carry_kernel(const uint32_t* __restrict__ in, uint32_t n, uint32_t* __restrict__ out) {
  const uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  uint32_t a[8], b[8], t[10], r[8], d[8];
  const uint32_t* x = in + kCarryInWords * size_t(i);
  for (int j = 0; j < 8; ++j) a[j] = x[j], b[j] = x[8 + j];
  for (int j = 0; j < 10; ++j) t[j] = x[16 + j];
  uint32_t* y = out + kCarryOutWords * size_t(i);
  y[8] = k::carry::add8(r, a, b);
  y[17] = k::carry::sub8(d, a, b);
  k::carry::mad_row8(t, a, x[26]);
  for (int j = 0; j < 8; ++j) y[j] = r[j], y[9 + j] = d[j];
  for (int j = 0; j < 10; ++j) y[18 + j] = t[j];
}

class CudaEngine final : public Engine {
 public:
  explicit CudaEngine(int threads) : threads_(threads) {
    int count = 0;
    GC_CUDA(cudaGetDeviceCount(&count));
    if (count == 0) throw EngineError("no CUDA device");
    GC_CUDA(cudaSetDevice(0));
    GC_CUDA(cudaGetDeviceProperties(&prop_, 0));
    GC_CUDA(stream_.create());
    GC_CUDA(start_.create(true));
    GC_CUDA(stop_.create(true));
  }

  std::string describe() const override {
    // Clocks and driver: cudaDeviceProp lost its clock fields in CUDA 13, the
    // attributes remain. Values are the device's maximum clocks.
    int sm_khz = 0, mem_khz = 0, driver = 0;
    cudaDeviceGetAttribute(&sm_khz, cudaDevAttrClockRate, 0);
    cudaDeviceGetAttribute(&mem_khz, cudaDevAttrMemoryClockRate, 0);
    cudaDriverGetVersion(&driver);
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%s, cc %d.%d, %d SMs, %.1f GiB, L2 %.0f MiB, SM clock %d MHz, memory clock %d MHz, CUDA driver "
                  "%d.%d, threads/block %d",
                  prop_.name, prop_.major, prop_.minor, prop_.multiProcessorCount,
                  double(prop_.totalGlobalMem) / (1 << 30), double(prop_.l2CacheSize) / (1 << 20), sm_khz / 1000,
                  mem_khz / 1000, driver / 1000, driver % 1000 / 10,
                  threads_ > 0 ? threads_ : gpu::kDefaultVerifyThreads);
    return buf;
  }

  std::string resources() const override {
    std::string out;
    for (const SchemeInfo& s : kSchemes) {
      for (int v = 1; v <= k::variant_count(uint8_t(s.id)); ++v) {
        gpu::KernelResources r;
        int t = threads_ > 0 ? threads_ : gpu::kDefaultVerifyThreads;
        GC_CUDA(gpu::verify_kernel_resources(s.id, t, &r, v));
        out += std::string(out.empty() ? "" : "\n") + "verify_" + s.name + " v" + std::to_string(v) + ": " +
               std::to_string(r.registers) + " registers, " + std::to_string(r.local_bytes) +
               " B local (stack+spill) per thread, " + std::to_string(r.blocks_per_sm) + " blocks of " +
               std::to_string(t) + " per SM (" + std::to_string(r.blocks_per_sm * t * prop_.multiProcessorCount) +
               " threads resident)";
      }
    }
    return out;
  }

  void set_verify_threads(int threads) override { threads_ = threads; }

  void carry_primitives(const uint32_t* in, size_t n, uint32_t* out) override {
    gpu::DeviceBuffer<uint32_t> d_in, d_res;
    GC_CUDA(d_in.reserve(std::max<size_t>(n, 1) * kCarryInWords));
    GC_CUDA(d_res.reserve(std::max<size_t>(n, 1) * kCarryOutWords));
    GC_CUDA(cudaMemcpyAsync(d_in.get(), in, n * kCarryInWords * 4, cudaMemcpyHostToDevice, stream_.get()));
    GC_CUDA(cudaMemsetAsync(d_res.get(), 0xA5, n * kCarryOutWords * 4, stream_.get()));
    if (n) carry_kernel<<<uint32_t((n + 127) / 128), 128, 0, stream_.get()>>>(d_in.get(), uint32_t(n), d_res.get());
    GC_CUDA(cudaGetLastError());
    GC_CUDA(cudaMemcpyAsync(out, d_res.get(), n * kCarryOutWords * 4, cudaMemcpyDeviceToHost, stream_.get()));
    GC_CUDA(cudaStreamSynchronize(stream_.get()));
  }

  void verify(const VerifyBatch& b, uint8_t* valid) override {
    upload_verify(b, /*pinned=*/false);
    launch_verify(b);
    GC_CUDA(cudaMemcpyAsync(valid, d_out_.get(), b.n, cudaMemcpyDeviceToHost, stream_.get()));
    GC_CUDA(cudaStreamSynchronize(stream_.get()));
  }

  void sha256(const HashBatch& b, uint8_t* out) override {
    upload_hash(b, false);
    GC_CUDA(gpu::launch_sha256(reinterpret_cast<const gpu::MsgRecord*>(d_recs_.get()), d_blob_.get(),
                               uint32_t(b.n), d_out_.get(), stream_.get()));
    GC_CUDA(cudaMemcpyAsync(out, d_out_.get(), b.n * 32, cudaMemcpyDeviceToHost, stream_.get()));
    GC_CUDA(cudaStreamSynchronize(stream_.get()));
  }

  void merkle_root(const uint8_t* ids, size_t n, uint8_t root[32]) override {
    if (n == 0) {
      cpu_merkle_root(ids, 0, root);  // SHA-256(""): no launch for an empty tree
      return;
    }
    GC_CUDA(d_ids_.reserve(n * 32));
    GC_CUDA(cudaMemcpyAsync(d_ids_.get(), ids, n * 32, cudaMemcpyHostToDevice, stream_.get()));
    const uint8_t* r = run_merkle(n);
    GC_CUDA(cudaMemcpyAsync(root, r, 32, cudaMemcpyDeviceToHost, stream_.get()));
    GC_CUDA(cudaStreamSynchronize(stream_.get()));
  }

  Timing time_verify(const VerifyBatch& b, int max_reps, double budget_ms) override {
    upload_verify(b, true);
    Timing t;
    t.kernel_ms = median([&] { launch_verify(b); }, max_reps, budget_ms, &t.reps);
    t.total_ms = median(
        [&] {
          copy_verify_inputs(b);
          launch_verify(b);
          GC_CUDA(cudaMemcpyAsync(h_out_.get(), d_out_.get(), b.n, cudaMemcpyDeviceToHost, stream_.get()));
        },
        max_reps, budget_ms, nullptr);
    return t;
  }

  Timing time_sha256(const HashBatch& b, int max_reps, double budget_ms) override {
    upload_hash(b, true);
    auto run = [&] {
      GC_CUDA(gpu::launch_sha256(reinterpret_cast<const gpu::MsgRecord*>(d_recs_.get()), d_blob_.get(),
                                 uint32_t(b.n), d_out_.get(), stream_.get()));
    };
    Timing t;
    t.kernel_ms = median(run, max_reps, budget_ms, &t.reps);
    t.total_ms = median(
        [&] {
          GC_CUDA(cudaMemcpyAsync(d_recs_.get(), h_recs_.get(), b.n * sizeof(gpu::MsgRecord), cudaMemcpyHostToDevice,
                                  stream_.get()));
          GC_CUDA(cudaMemcpyAsync(d_blob_.get(), h_blob_.get(), b.blob_len, cudaMemcpyHostToDevice, stream_.get()));
          run();
          GC_CUDA(cudaMemcpyAsync(h_out_.get(), d_out_.get(), b.n * 32, cudaMemcpyDeviceToHost, stream_.get()));
        },
        max_reps, budget_ms, nullptr);
    return t;
  }

  Timing time_merkle(const uint8_t* ids, size_t n, int max_reps, double budget_ms) override {
    GC_CUDA(d_ids_.reserve(n * 32));
    GC_CUDA(h_blob_.reserve(n * 32));
    std::memcpy(h_blob_.get(), ids, n * 32);
    GC_CUDA(cudaMemcpyAsync(d_ids_.get(), ids, n * 32, cudaMemcpyHostToDevice, stream_.get()));
    Timing t;
    t.kernel_ms = median([&] { run_merkle(n); }, max_reps, budget_ms, &t.reps);
    t.total_ms = median(
        [&] {
          GC_CUDA(cudaMemcpyAsync(d_ids_.get(), h_blob_.get(), n * 32, cudaMemcpyHostToDevice, stream_.get()));
          const uint8_t* r = run_merkle(n);
          GC_CUDA(cudaMemcpyAsync(h_out_.get(), r, 32, cudaMemcpyDeviceToHost, stream_.get()));
        },
        max_reps, budget_ms, nullptr);
    return t;
  }

 private:
  void upload_verify(const VerifyBatch& b, bool pinned) {
    GC_CUDA(d_recs_.reserve(b.n * sizeof(gpu::SigRecord)));
    GC_CUDA(d_blob_.reserve(std::max<size_t>(b.blob_len, 1)));
    GC_CUDA(d_out_.reserve(std::max<size_t>(b.n, 1)));
    if (pinned) {
      // Timed copies come from pinned memory, as the backend's do.
      GC_CUDA(h_recs_.reserve(b.n * sizeof(gpu::SigRecord)));
      GC_CUDA(h_blob_.reserve(std::max<size_t>(b.blob_len, 1)));
      GC_CUDA(h_out_.reserve(std::max<size_t>(b.n, 1)));
      std::memcpy(h_recs_.get(), b.recs, b.n * sizeof(gpu::SigRecord));
      if (b.blob_len) std::memcpy(h_blob_.get(), b.blob, b.blob_len);
      copy_verify_inputs(b);
    } else {
      GC_CUDA(cudaMemcpyAsync(d_recs_.get(), b.recs, b.n * sizeof(gpu::SigRecord), cudaMemcpyHostToDevice, stream_.get()));
      if (b.blob_len) GC_CUDA(cudaMemcpyAsync(d_blob_.get(), b.blob, b.blob_len, cudaMemcpyHostToDevice, stream_.get()));
    }
    // Poison the verdicts so an item no kernel wrote shows up as a mismatch.
    GC_CUDA(cudaMemsetAsync(d_out_.get(), 0xA5, b.n, stream_.get()));
  }

  void copy_verify_inputs(const VerifyBatch& b) {
    GC_CUDA(cudaMemcpyAsync(d_recs_.get(), h_recs_.get(), b.n * sizeof(gpu::SigRecord), cudaMemcpyHostToDevice,
                            stream_.get()));
    if (b.blob_len)
      GC_CUDA(cudaMemcpyAsync(d_blob_.get(), h_blob_.get(), b.blob_len, cudaMemcpyHostToDevice, stream_.get()));
  }

  void launch_verify(const VerifyBatch& b) {
    auto* recs = reinterpret_cast<const gpu::SigRecord*>(d_recs_.get());
    uint32_t off = 0;
    for (const SchemeInfo& s : kSchemes) {
      const uint32_t n = b.count[scheme_index(s.id)];
      GC_CUDA(gpu::launch_verify(s.id, recs + off, d_blob_.get(), n, d_out_.get() + off, stream_.get(), threads_,
                                 b.variant[size_t(s.id)]));
      off += n;
    }
  }

  void upload_hash(const HashBatch& b, bool pinned) {
    GC_CUDA(d_recs_.reserve(b.n * sizeof(gpu::MsgRecord)));
    GC_CUDA(d_blob_.reserve(std::max<size_t>(b.blob_len, 1)));
    GC_CUDA(d_out_.reserve(std::max<size_t>(b.n * 32, 1)));
    GC_CUDA(cudaMemcpyAsync(d_recs_.get(), b.recs, b.n * sizeof(gpu::MsgRecord), cudaMemcpyHostToDevice, stream_.get()));
    if (b.blob_len) GC_CUDA(cudaMemcpyAsync(d_blob_.get(), b.blob, b.blob_len, cudaMemcpyHostToDevice, stream_.get()));
    if (pinned) {
      GC_CUDA(h_recs_.reserve(b.n * sizeof(gpu::MsgRecord)));
      GC_CUDA(h_blob_.reserve(std::max<size_t>(b.blob_len, 1)));
      GC_CUDA(h_out_.reserve(std::max<size_t>(b.n * 32, 1)));
      std::memcpy(h_recs_.get(), b.recs, b.n * sizeof(gpu::MsgRecord));
      if (b.blob_len) std::memcpy(h_blob_.get(), b.blob, b.blob_len);
    }
    GC_CUDA(cudaMemsetAsync(d_out_.get(), 0xA5, b.n * 32, stream_.get()));
  }

  // Leaf kernel into A, then one launch per level alternating A and B.
  // Returns the device address holding the root.
  const uint8_t* run_merkle(size_t n) {
    GC_CUDA(m_a_.reserve(n * 32));
    GC_CUDA(m_b_.reserve((n + 1) / 2 * 32));
    GC_CUDA(h_out_.reserve(32));
    GC_CUDA(gpu::launch_merkle_leaves(d_ids_.get(), uint32_t(n), m_a_.get(), stream_.get()));
    uint8_t* in = m_a_.get();
    uint8_t* out = m_b_.get();
    for (size_t m = n; m > 1; m = (m + 1) / 2) {
      GC_CUDA(gpu::launch_merkle_level(in, uint32_t(m), out, stream_.get()));
      std::swap(in, out);
    }
    return in;
  }

  // host/timing.h's median over runs clocked by CUDA events on the stream.
  template <typename F>
  double median(F run, int max_reps, double budget_ms, int* reps_out) {
    auto once = [&] {
      GC_CUDA(cudaEventRecord(start_.get(), stream_.get()));
      run();
      GC_CUDA(cudaEventRecord(stop_.get(), stream_.get()));
      GC_CUDA(cudaEventSynchronize(stop_.get()));
      float ms = 0;
      GC_CUDA(cudaEventElapsedTime(&ms, start_.get(), stop_.get()));
      return double(ms);
    };
    return timing::median_ms(once, max_reps, budget_ms, reps_out);
  }

  int threads_;
  cudaDeviceProp prop_{};
  gpu::Stream stream_;
  gpu::Event start_, stop_;
  gpu::DeviceBuffer<uint8_t> d_recs_, d_blob_, d_out_, d_ids_, m_a_, m_b_;
  gpu::PinnedBuffer<uint8_t> h_recs_, h_blob_, h_out_;
};

}  // namespace

std::unique_ptr<Engine> make_engine(int verify_threads_per_block) {
  return std::make_unique<CudaEngine>(verify_threads_per_block);
}

}  // namespace bg::gpucheck
