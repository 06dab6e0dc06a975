// The CPU engine against the bare reference-library calls, in one run: per
// scheme, `cpu` backend verify_batch on one thread and on all threads vs the
// library call itself (items/s); SHA-256 ids of 128-byte transactions and
// Merkle roots (bytes/s). Every signature benchmark reports wall time (the
// items/s counter) and the CPU time of the whole process (the "CPU" column):
// on a shared machine the CPU column gives the per-core rate, the wall column
// the speed-up across threads.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <sodium.h>

#include <map>
#include <memory>
#include <mutex>

#include "bench/signed_corpus.h"
#include "host/backend.h"
#include "host/hash.h"
#include "host/reference_verify.h"

namespace bg::bench {
namespace {

constexpr size_t kMaxBatch = 16384;

// kMaxBatch signed transactions per scheme (64 signers, 32-byte payloads),
// built once on first use.
const std::vector<Transaction>& corpus(Scheme s) {
  static std::mutex mu;
  static std::map<Scheme, std::vector<Transaction>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(s);
  if (it == cache.end()) {
    CorpusOptions o;
    o.scheme = s;
    o.count = kMaxBatch;
    ThreadPool pool;
    it = cache.emplace(s, make_signed_txs(o, &pool)).first;
  }
  return it->second;
}

std::vector<SigItem> items_for(Scheme s, size_t n) {
  const auto& txs = corpus(s);
  std::vector<SigItem> items;
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) items.push_back(sig_item(txs[i]));
  return items;
}

// ---- bare library calls: what a program calling the library directly pays ----

bool bare_ed25519(const SigItem& it) {
  return crypto_sign_verify_detached(it.signature, it.message, it.message_len, it.public_key) == 0;
}

secp256k1_context* bare_secp_ctx() {
  static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  return ctx;
}

bool bare_secp256k1(const SigItem& it) {
  secp256k1_pubkey pk;
  secp256k1_ecdsa_signature sig;
  uint8_t digest[32];
  SHA256(it.message, it.message_len, digest);
  return secp256k1_ec_pubkey_parse(bare_secp_ctx(), &pk, it.public_key, public_key_size(Scheme::kSecp256k1)) == 1 &&
         secp256k1_ecdsa_signature_parse_compact(bare_secp_ctx(), &sig, it.signature) == 1 &&
         secp256k1_ecdsa_verify(bare_secp_ctx(), &sig, digest, &pk) == 1;
}

// EC_KEY + ECDSA_do_verify, the key decoded per item as a caller must (each
// transaction carries its own key); the low-S rule is left out, so this is
// slightly less work than SPEC §2 asks of the engine.
bool bare_p256(const SigItem& it) {
  uint8_t digest[32];
  SHA256(it.message, it.message_len, digest);
  EC_KEY* key = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(it.signature, 32, nullptr);
  BIGNUM* s = BN_bin2bn(it.signature + 32, 32, nullptr);
  bool ok = false;
  if (key && sig && r && s && EC_KEY_oct2key(key, it.public_key, public_key_size(Scheme::kP256), nullptr) == 1 &&
      ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;
    ok = ECDSA_do_verify(digest, 32, sig, key) == 1;
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  EC_KEY_free(key);
  return ok;
}

void BM_Bare(benchmark::State& state, Scheme scheme, bool (*verify)(const SigItem&)) {
  reference_init();
  const auto items = items_for(scheme, size_t(state.range(0)));
  size_t valid = 0;
  for (auto _ : state) {
    for (const SigItem& it : items) valid += verify(it) ? 1 : 0;
  }
  if (valid != items.size() * state.iterations()) state.SkipWithError("a signature did not verify");
  state.SetItemsProcessed(int64_t(state.iterations() * items.size()));
}

// ---- the engine ----

// args: batch size, threads (0: all cores).
void BM_Engine(benchmark::State& state, Scheme scheme) {
  const size_t batch = size_t(state.range(0));
  BackendOptions opts;
  opts.cpu_threads = size_t(state.range(1));
  auto backend = make_backend("cpu", opts);
  if (!backend.ok()) {
    state.SkipWithError(std::string(backend.status().message()).c_str());
    return;
  }
  const auto items = items_for(scheme, batch);
  std::vector<uint8_t> valid(batch);
  for (auto _ : state) {
    if (!(*backend)->verify_batch(items, valid).ok()) state.SkipWithError("verify_batch failed");
  }
  for (uint8_t v : valid)
    if (!v) state.SkipWithError("a signature did not verify");
  state.SetItemsProcessed(int64_t(state.iterations() * batch));
  state.SetLabel((*backend)->description());
}

void BatchArgs(benchmark::internal::Benchmark* b) {
  b->ArgName("batch");
  for (int64_t n : {1, 64, 1024, 16384}) b->Arg(n);
  b->MeasureProcessCPUTime()->UseRealTime();
}
void EngineArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"batch", "threads"});
  for (int64_t n : {1, 64, 1024, 16384})
    for (int64_t t : {1, 0}) b->Args({n, t});
  b->MeasureProcessCPUTime()->UseRealTime();
}

BENCHMARK_CAPTURE(BM_Bare, ed25519, Scheme::kEd25519, &bare_ed25519)->Apply(BatchArgs);
BENCHMARK_CAPTURE(BM_Engine, ed25519, Scheme::kEd25519)->Apply(EngineArgs);
BENCHMARK_CAPTURE(BM_Bare, secp256k1, Scheme::kSecp256k1, &bare_secp256k1)->Apply(BatchArgs);
BENCHMARK_CAPTURE(BM_Engine, secp256k1, Scheme::kSecp256k1)->Apply(EngineArgs);
BENCHMARK_CAPTURE(BM_Bare, p256, Scheme::kP256, &bare_p256)->Apply(BatchArgs);
BENCHMARK_CAPTURE(BM_Engine, p256, Scheme::kP256)->Apply(EngineArgs);

// ---- hashing ----

constexpr size_t kTxBytes = 128;

std::vector<Bytes> tx_blobs(size_t n) {
  std::vector<Bytes> blobs(n, Bytes(kTxBytes));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < kTxBytes; ++j) blobs[i][j] = uint8_t(i * 31 + j);
  return blobs;
}

void BM_Sha256IdsBare(benchmark::State& state) {
  const auto blobs = tx_blobs(size_t(state.range(0)));
  std::vector<Hash32> out(blobs.size());
  for (auto _ : state) {
    for (size_t i = 0; i < blobs.size(); ++i) SHA256(blobs[i].data(), kTxBytes, out[i].data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * blobs.size() * kTxBytes));
  state.SetItemsProcessed(int64_t(state.iterations() * blobs.size()));
}
BENCHMARK(BM_Sha256IdsBare)->Arg(1024)->Arg(16384)->MeasureProcessCPUTime()->UseRealTime();

void BM_Sha256IdsEngine(benchmark::State& state) {
  BackendOptions opts;
  opts.cpu_threads = size_t(state.range(1));
  auto backend = make_backend("cpu", opts);
  const auto blobs = tx_blobs(size_t(state.range(0)));
  std::vector<ByteSpan> spans(blobs.begin(), blobs.end());
  std::vector<Hash32> out(blobs.size());
  for (auto _ : state) {
    if (!(*backend)->hash_batch(spans, out).ok()) state.SkipWithError("hash_batch failed");
  }
  state.SetBytesProcessed(int64_t(state.iterations() * blobs.size() * kTxBytes));
  state.SetItemsProcessed(int64_t(state.iterations() * blobs.size()));
}
BENCHMARK(BM_Sha256IdsEngine)->ArgNames({"batch", "threads"})->Args({1024, 1})->Args({1024, 0})
    ->Args({16384, 1})->Args({16384, 0})->MeasureProcessCPUTime()->UseRealTime();

// Merkle root over n ids; bytes/s counts the 32-byte ids consumed.
void BM_MerkleRoot(benchmark::State& state) {
  auto backend = make_backend("cpu");
  std::vector<Hash32> ids(size_t(state.range(0)));
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = sha256(ByteSpan(reinterpret_cast<const uint8_t*>(&i), sizeof i));
  for (auto _ : state) {
    auto root = (*backend)->merkle_root(ids);
    benchmark::DoNotOptimize(root);
  }
  state.SetBytesProcessed(int64_t(state.iterations() * ids.size() * 32));
  state.SetItemsProcessed(int64_t(state.iterations() * ids.size()));
}
BENCHMARK(BM_MerkleRoot)->Arg(1024)->Arg(16384)->Arg(262144)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace bg::bench
