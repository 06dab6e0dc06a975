// Host-side packing for the gpu backend (host/gpu/batch_plan.*): grouping a
// batch by scheme and writing the device records and payload blob, at one
// full device wave (2^17 items) per call. `threads` packs that many chunks at
// once, one per thread (what the gpu backend's buffer sets would each do).
// Pure host code: runs on a machine without a GPU.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "host/backend.h"
#include "host/gpu/batch_plan.h"
#include "host/thread_pool.h"

namespace bg {
namespace {

struct PackInput {
  std::vector<uint8_t> bytes;  // keys, signatures, payloads
  std::vector<SigItem> items;
};

// Synthetic items: packing copies bytes and never looks at their validity.
const PackInput& pack_input() {
  static const PackInput in = [] {
    constexpr size_t kItems = size_t(1) << 17, kPayload = 64, kPer = kMaxPublicKeySize + kMaxSignatureSize + kPayload;
    PackInput p;
    p.bytes.resize(kItems * kPer);
    std::mt19937_64 rng(42);
    for (auto& b : p.bytes) b = uint8_t(rng());
    for (size_t i = 0; i < kItems; ++i) {
      const uint8_t* base = p.bytes.data() + i * kPer;
      p.items.push_back(SigItem{kSchemes[rng() % kSchemeCount].id, base, base + kMaxPublicKeySize,
                                base + kMaxPublicKeySize + kMaxSignatureSize, uint32_t(kPayload)});
    }
    return p;
  }();
  return in;
}

void BM_HostPack(benchmark::State& state) {
  const size_t threads = size_t(state.range(0));
  const PackInput& in = pack_input();
  const size_t n = in.items.size();
  const size_t chunk_items = (n + threads - 1) / threads;
  ThreadPool pool(threads);
  std::vector<std::vector<gpu::SigRecord>> recs(threads, std::vector<gpu::SigRecord>(chunk_items));
  std::vector<std::vector<uint8_t>> blobs(threads, std::vector<uint8_t>(size_t(64) << 20));
  for (auto _ : state) {
    gpu::VerifyPlan plan = gpu::plan_verify(in.items, chunk_items, size_t(64) << 20);
    pool.parallel_for(plan.chunks.size(), 1, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c)
        gpu::pack_verify_chunk(in.items, plan, plan.chunks[c], recs[c].data(), blobs[c].data());
    });
    benchmark::DoNotOptimize(recs[0].data());
  }
  state.SetItemsProcessed(int64_t(state.iterations() * n));
}
BENCHMARK(BM_HostPack)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bg
