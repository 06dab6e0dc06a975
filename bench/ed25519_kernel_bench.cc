// ns per Ed25519 verification on one core: the kernel's own per-item code
// (bg::k::ed25519_verify, what the GPU runs per thread and `kernels-on-cpu`
// runs per item) against libsodium's crypto_sign_verify_detached, same inputs.
// Links: bg_kernels, PkgConfig::SODIUM, benchmark::benchmark(_main).
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/ed25519_verify.h"

namespace {

struct Signed {
  std::array<uint8_t, 32> pk;
  std::array<uint8_t, 64> sig;
  std::vector<uint8_t> msg;
};

// 256 valid signatures over `len`-byte messages, 16 keys; fixed seed.
const std::vector<Signed>& corpus(size_t len) {
  static std::vector<std::vector<Signed>> cache(2);
  auto& c = cache[len > 64 ? 1 : 0];
  if (!c.empty()) return c;
  if (sodium_init() < 0) std::abort();
  std::mt19937_64 rng(42);
  std::vector<std::array<uint8_t, 64>> sks(16);
  std::vector<std::array<uint8_t, 32>> pks(16);
  for (int i = 0; i < 16; ++i) {
    uint8_t seed[32];
    for (auto& b : seed) b = uint8_t(rng());
    crypto_sign_seed_keypair(pks[i].data(), sks[i].data(), seed);
  }
  for (int i = 0; i < 256; ++i) {
    Signed s;
    s.pk = pks[i % 16];
    s.msg.resize(len);
    for (auto& b : s.msg) b = uint8_t(rng());
    crypto_sign_detached(s.sig.data(), nullptr, s.msg.data(), len, sks[i % 16].data());
    c.push_back(std::move(s));
  }
  return c;
}

void BM_KernelVerify(benchmark::State& state) {
  const auto& c = corpus(size_t(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    const Signed& s = c[i++ % c.size()];
    bool ok = bg::k::ed25519_verify(s.pk.data(), s.sig.data(), s.msg.data(), s.msg.size());
    if (!ok) state.SkipWithError("kernel rejected a valid signature");
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LibsodiumVerify(benchmark::State& state) {
  const auto& c = corpus(size_t(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    const Signed& s = c[i++ % c.size()];
    int rc = crypto_sign_verify_detached(s.sig.data(), s.msg.data(), s.msg.size(), s.pk.data());
    if (rc != 0) state.SkipWithError("libsodium rejected a valid signature");
    benchmark::DoNotOptimize(rc);
  }
  state.SetItemsProcessed(state.iterations());
}

// 32-byte payloads (typical small transactions) and 1 KiB.
BENCHMARK(BM_KernelVerify)->Arg(32)->Arg(1024);
BENCHMARK(BM_LibsodiumVerify)->Arg(32)->Arg(1024);

}  // namespace

// main() comes from benchmark::benchmark_main: every bench/*_bench.cc links
// into the one blockgate_bench (bench/CMakeLists.txt).
