// Building gpu_check's packed batches (see batches.h).
#include "tools/gpu_check/batches.h"

#include <cstring>

#include "tools/gpu_check/damage.h"

namespace bg::gpucheck {
namespace {

void append(OwnedBatch& b, uint8_t scheme, const uint8_t* key, const uint8_t* sig, const uint8_t* payload,
            size_t len, uint8_t expected, uint8_t damage, uint8_t origin, uint32_t source) {
  gpu::SigRecord r;
  gpu::pack_sig_record(r, Scheme(scheme), key, sig, b.blob.size(), uint32_t(len));
  b.blob.insert(b.blob.end(), payload, payload + len);
  b.recs.push_back(r);
  b.expected.push_back(expected);
  b.damage.push_back(damage);
  b.origin.push_back(origin);
  b.source.push_back(source);
  ++b.count[scheme_index(Scheme(scheme))];
}

void append_record(OwnedBatch& to, const OwnedBatch& from, size_t i) {
  const gpu::SigRecord& r = from.recs[i];
  append(to, r.scheme, r.public_key, r.signature, from.blob.data() + r.message_offset, r.message_len,
         from.expected[i], from.damage[i], from.origin[i], from.source[i]);
}

}  // namespace

VerifyBatch OwnedBatch::view() const {
  VerifyBatch v;
  v.recs = recs.data();
  v.n = recs.size();
  v.blob = blob.data();
  v.blob_len = blob.size();
  v.count = count;
  for (int s = 0; s < 4; ++s) v.variant[s] = variant[s];
  return v;
}

OwnedBatch batch_from_corpus(const Corpus& c, size_t limit) {
  OwnedBatch b;
  for (uint8_t s = 1; s <= kSchemeCount; ++s) {
    size_t taken[3] = {0, 0, 0};
    for (const CorpusTx& t : c.txs) {
      if (t.scheme != s || t.origin > 2) continue;
      if (limit && taken[t.origin]++ >= limit) continue;
      append(b, s, t.key, t.sig, t.payload.data(), t.payload.size(), t.expected_valid, t.damage, t.origin,
             t.source);
    }
  }
  return b;
}

OwnedBatch expand_scheme(const Corpus& c, uint8_t scheme, size_t n) {
  std::vector<TxParts> seeds;
  for (const CorpusTx& t : c.txs) {
    if (t.scheme != scheme || t.origin != kRandom || t.damage != kNone || !t.expected_valid) continue;
    TxParts p;
    p.scheme = scheme;
    std::memcpy(p.key, t.key, sizeof p.key);
    std::memcpy(p.sig, t.sig, sizeof p.sig);
    p.payload = t.payload;
    seeds.push_back(std::move(p));
  }
  OwnedBatch b;
  if (seeds.empty()) return b;
  b.recs.reserve(n);
  for (size_t j = 0; j < n; ++j) {
    SplitMix64 rng(c.expand_seed ^ (uint64_t(scheme) << 56) ^ (j * 0xd1b54a32d192ed03ULL));
    const TxParts& seed = seeds[rng.below(uint32_t(seeds.size()))];
    const TxParts& donor = seeds[rng.below(uint32_t(seeds.size()))];
    uint8_t damage = pick_damage(rng);
    TxParts p = seed;
    apply_damage(p, damage, donor, rng);
    append(b, scheme, p.key, p.sig, p.payload.data(), p.payload.size(), damage == kNone ? 1 : 0, damage, kRandom,
           uint32_t(j));
  }
  return b;
}

OwnedBatch mixed_batch(const std::vector<const OwnedBatch*>& parts, size_t n_per_scheme) {
  OwnedBatch b;
  for (const OwnedBatch* p : parts)
    for (size_t i = 0; i < p->size() && i < n_per_scheme; ++i) append_record(b, *p, i);
  return b;
}

OwnedBatch prefix(const OwnedBatch& from, size_t n) {
  OwnedBatch b;
  for (size_t i = 0; i < from.size() && i < n; ++i) append_record(b, from, i);
  return b;
}

OwnedHashBatch hash_batch_of_tx_encodings(const Corpus& c, size_t limit, std::vector<const uint8_t*>* expected) {
  OwnedHashBatch h;
  for (const CorpusTx& t : c.txs) {
    if (limit && h.recs.size() >= limit) break;
    std::vector<uint8_t> enc = t.encode();
    h.recs.push_back(gpu::MsgRecord{h.blob.size(), uint32_t(enc.size()), 0});
    h.blob.insert(h.blob.end(), enc.begin(), enc.end());
    expected->push_back(t.id);
  }
  return h;
}

OwnedHashBatch hash_batch_of_vectors(const Corpus& c, size_t max_len, std::vector<const uint8_t*>* expected) {
  OwnedHashBatch h;
  for (const HashVector& v : c.hashes) {
    if (max_len && v.message.size() > max_len) continue;
    h.recs.push_back(gpu::MsgRecord{h.blob.size(), uint32_t(v.message.size()), 0});
    h.blob.insert(h.blob.end(), v.message.begin(), v.message.end());
    expected->push_back(v.digest);
  }
  return h;
}

OwnedHashBatch random_messages(size_t n, size_t len, uint64_t seed) {
  OwnedHashBatch h;
  SplitMix64 rng(seed);
  h.blob.resize(n * len);
  for (size_t i = 0; i + 8 <= h.blob.size(); i += 8) {
    uint64_t v = rng.next();
    std::memcpy(h.blob.data() + i, &v, 8);
  }
  for (size_t i = 0; i < n; ++i) h.recs.push_back(gpu::MsgRecord{i * len, uint32_t(len), 0});
  return h;
}

}  // namespace bg::gpucheck
