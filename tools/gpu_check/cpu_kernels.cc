// CPU runs of the kernels' per-record code (see cpu_kernels.h). Host-compiled
// (also under nvcc, which hands .cc files to the host compiler).
#include "tools/gpu_check/cpu_kernels.h"

#include <atomic>
#include <thread>
#include <vector>

#include "host/gpu/sig_record.h"
#include "kernels/carry.h"
#include "kernels/merkle.h"

namespace bg::gpucheck {
namespace {

// Work in chunks of `grain` items pulled from a shared counter: verification
// cost varies by item (early rejects are cheap), so static splits idle cores.
template <typename F>
void parallel(size_t n, size_t grain, F fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (;;) {
      size_t b = next.fetch_add(grain);
      if (b >= n) return;
      size_t e = b + grain < n ? b + grain : n;
      for (size_t i = b; i < e; ++i) fn(i);
    }
  };
  std::vector<std::thread> th;
  for (unsigned t = 1; t < cpu_threads(); ++t) th.emplace_back(worker);
  worker();
  for (auto& t : th) t.join();
}

// The record's scheme with the batch's variant for it (the same functions
// the kernels of host/gpu/verify_*.cu instantiate).
uint8_t verify_one(const gpu::SigRecord& r, const uint8_t* blob, const int variant[4]) {
  const int v = r.scheme < 4 ? variant[r.scheme] : 0;
#define BG_CPU_CASE(S, V) \
  case int(S) * 16 + V: return gpu::verify_record_variant<S, V>(r, blob);
  switch (int(r.scheme) * 16 + v) {
    BG_KERNEL_VARIANTS(BG_CPU_CASE)
    default: return 0;
  }
#undef BG_CPU_CASE
}

}  // namespace

unsigned cpu_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

void cpu_verify(const VerifyBatch& b, size_t begin, size_t end, uint8_t* valid) {
  parallel(end - begin, 16, [&](size_t i) { valid[i] = verify_one(b.recs[begin + i], b.blob, b.variant); });
}

void cpu_sha256(const HashBatch& b, uint8_t* out) {
  parallel(b.n, 1024, [&](size_t i) { gpu::hash_record(b.recs[i], b.blob, out + 32 * i); });
}

void cpu_merkle_root(const uint8_t* ids, size_t n, uint8_t root[32]) {
  if (n == 0) {
    k::sha256(nullptr, 0, root);
    return;
  }
  std::vector<uint8_t> level(n * 32), next((n + 1) / 2 * 32);
  parallel(n, 4096, [&](size_t i) { k::merkle_leaf(ids + 32 * i, level.data() + 32 * i); });
  for (size_t m = n; m > 1; m = (m + 1) / 2) {
    parallel((m + 1) / 2, 4096, [&](size_t i) { k::merkle_level_item(level.data(), m, next.data(), i); });
    level.swap(next);
  }
  std::copy(level.begin(), level.begin() + 32, root);
}

void cpu_carry_case(const uint32_t* in, uint32_t* out) {
  out[8] = k::carry::add8(out, in, in + 8);
  out[17] = k::carry::sub8(out + 9, in, in + 8);
  for (int i = 0; i < 10; ++i) out[18 + i] = in[16 + i];
  k::carry::mad_row8(out + 18, in, in[26]);
}

}  // namespace bg::gpucheck
