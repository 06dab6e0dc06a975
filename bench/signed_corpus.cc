// Seeded keys (SHA-256 of seed, scheme, index) and payloads (SHA-256 in counter
// mode), signed with host/signer.h.
#include "bench/signed_corpus.h"

#include <cstring>

#include "host/hash.h"
#include "host/signer.h"

namespace bg::bench {
namespace {

Hash32 tagged_hash(const char* tag, uint64_t a, uint64_t b, uint64_t c) {
  Bytes buf(tag, tag + std::strlen(tag));
  put_u64le(buf, a);
  put_u64le(buf, b);
  put_u64le(buf, c);
  return sha256(buf);
}

KeyPair seeded_key(Scheme scheme, uint64_t seed, uint64_t index) {
  // A derived secret is an invalid ECDSA scalar with probability ~2^-128; the
  // attempt counter makes the loop total anyway.
  for (uint64_t attempt = 0;; ++attempt) {
    Hash32 secret = tagged_hash("blockgate-bench-key", seed, uint64_t(scheme) << 32 | attempt, index);
    auto key = key_from_secret(scheme, ByteSpan(secret.data(), secret.size()));
    if (key.ok()) return *std::move(key);
  }
}

Bytes seeded_payload(uint64_t seed, uint64_t index, size_t size) {
  Bytes out;
  out.reserve(size + 32);
  for (uint64_t block = 0; out.size() < size; ++block) {
    Hash32 h = tagged_hash("blockgate-bench-payload", seed, index, block);
    out.insert(out.end(), h.begin(), h.end());
  }
  out.resize(size);
  return out;
}

}  // namespace

std::vector<Transaction> make_signed_txs(const CorpusOptions& opts, ThreadPool* pool) {
  const size_t nkeys = std::max<size_t>(opts.keys, 1);
  // Keys per scheme, derived once: key k of a scheme is the same whatever the mix.
  std::vector<std::vector<KeyPair>> keys(kSchemeCount);
  for (const SchemeInfo& info : kSchemes) {
    if (opts.scheme && *opts.scheme != info.id) continue;
    for (size_t k = 0; k < nkeys; ++k) keys[scheme_index(info.id)].push_back(seeded_key(info.id, opts.seed, k));
  }
  std::vector<Transaction> txs(opts.count);
  auto sign_range = [&](size_t b, size_t e) {
    for (size_t j = b; j < e; ++j) {
      const uint64_t i = opts.first_index + j;
      Scheme s = opts.scheme ? *opts.scheme : kSchemes[i % kSchemeCount].id;
      const KeyPair& key = keys[scheme_index(s)][(opts.scheme ? i : i / kSchemeCount) % nkeys];
      txs[j] = sign_transaction(key, seeded_payload(opts.seed, i, opts.payload_bytes));
      if (opts.invalid_every > 0 && (i + 1) % opts.invalid_every == 0) txs[j].signature[31] ^= 1;
    }
  };
  if (pool != nullptr) {
    pool->parallel_for(txs.size(), 64, sign_range);
  } else {
    sign_range(0, txs.size());
  }
  return txs;
}

}  // namespace bg::bench
