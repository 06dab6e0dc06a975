// ns per ECDSA verification on one CPU core: the kernel's own per-item code
// (kernels/verify_item.h, as `kernels-on-cpu` and the GPU run it; `V2`: the v2
// kernels of kernels/ecdsa_verify_v2.h) against the reference libraries
// (host/reference_verify.h: libsecp256k1, OpenSSL + low S) in the same run,
// per curve. All hash the 32-byte payload first.
#include <benchmark/benchmark.h>

#include <vector>

#include "host/reference_verify.h"
#include "host/signer.h"
#include "kernels/ecdsa_verify_v2.h"
#include "kernels/sha256.h"
#include "kernels/verify_item.h"

namespace bg {
namespace {

// 64 valid transactions from 4 fixed keys, built once per scheme.
const std::vector<Transaction>& corpus(Scheme scheme) {
  static std::vector<Transaction> txs[kSchemeCount];
  std::vector<Transaction>& v = txs[scheme_index(scheme)];
  if (v.empty()) {
    for (int k = 0; k < 4; ++k) {
      uint8_t secret[32];
      for (int i = 0; i < 32; ++i) secret[i] = uint8_t(17 * k + 3 * i + 1);
      const KeyPair key = *key_from_secret(scheme, ByteSpan(secret, 32));
      for (int j = 0; j < 16; ++j) v.push_back(sign_transaction(key, Bytes(32, uint8_t(16 * k + j))));
    }
  }
  return v;
}

enum class Impl { kReference, kKernelV1, kKernelV2 };

bool verify_v2(const Transaction& tx) {
  uint8_t digest[32];
  k::sha256(tx.payload.data(), uint32_t(tx.payload.size()), digest);
  return tx.scheme == Scheme::kSecp256k1
             ? k::secp256k1_ecdsa_verify_v2(tx.public_key.data(), tx.signature.data(), digest)
             : k::p256_ecdsa_verify_v2(tx.public_key.data(), tx.signature.data(), digest);
}

void run(benchmark::State& state, Scheme scheme, Impl impl) {
  reference_init();
  const std::vector<Transaction>& txs = corpus(scheme);
  size_t i = 0, ok = 0;
  for (auto _ : state) {
    const Transaction& tx = txs[i++ % txs.size()];
    const bool v = impl == Impl::kKernelV1
                       ? k::verify_item(uint8_t(tx.scheme), tx.public_key.data(), tx.signature.data(),
                                        tx.payload.data(), uint32_t(tx.payload.size()))
                   : impl == Impl::kKernelV2 ? verify_v2(tx)
                                             : reference_verify(sig_item(tx));
    ok += v;
    benchmark::DoNotOptimize(ok);
  }
  if (ok != size_t(state.iterations())) state.SkipWithError("a valid signature was rejected");
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_Secp256k1_Kernel(benchmark::State& s) { run(s, Scheme::kSecp256k1, Impl::kKernelV1); }
void BM_Secp256k1_KernelV2(benchmark::State& s) { run(s, Scheme::kSecp256k1, Impl::kKernelV2); }
void BM_Secp256k1_Libsecp256k1(benchmark::State& s) { run(s, Scheme::kSecp256k1, Impl::kReference); }
void BM_P256_Kernel(benchmark::State& s) { run(s, Scheme::kP256, Impl::kKernelV1); }
void BM_P256_KernelV2(benchmark::State& s) { run(s, Scheme::kP256, Impl::kKernelV2); }
void BM_P256_OpenSSL(benchmark::State& s) { run(s, Scheme::kP256, Impl::kReference); }

BENCHMARK(BM_Secp256k1_Kernel);
BENCHMARK(BM_Secp256k1_KernelV2);
BENCHMARK(BM_Secp256k1_Libsecp256k1);
BENCHMARK(BM_P256_Kernel);
BENCHMARK(BM_P256_KernelV2);
BENCHMARK(BM_P256_OpenSSL);

}  // namespace
}  // namespace bg

// main() comes from benchmark::benchmark_main: every bench/*_bench.cc links
// into the one blockgate_bench (bench/CMakeLists.txt).
