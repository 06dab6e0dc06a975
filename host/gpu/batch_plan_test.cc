// The GPU backend's packing, checked without a GPU: every item lands in
// exactly one record of its scheme's segment, byte for byte, and running the
// kernels' per-record function over the packed chunks then scattering gives
// the verdicts of the kernels-on-cpu backend; hash packing gives OpenSSL's ids.
#include "host/gpu/batch_plan.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "host/hash.h"
#include "host/signer.h"

namespace bg::gpu {
namespace {

struct Corpus {
  std::vector<Transaction> txs;
  std::vector<SigItem> items;
};

// Mixed schemes, payloads 0..600 bytes, every third signature damaged, plus
// two items of an unknown scheme byte.
Corpus make_corpus(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<KeyPair> keys;
  for (const SchemeInfo& s : kSchemes) keys.push_back(generate_key(s.id));
  Corpus c;
  for (size_t i = 0; i < n; ++i) {
    Bytes payload(rng() % 601);
    for (auto& b : payload) b = uint8_t(rng());
    Transaction tx = sign_transaction(keys[rng() % keys.size()], payload);
    if (i % 3 == 1) tx.signature[rng() % signature_size(tx.scheme)] ^= uint8_t(1 + rng() % 255);
    c.txs.push_back(std::move(tx));
  }
  for (const auto& tx : c.txs) c.items.push_back(sig_item(tx));
  c.items[5].scheme = Scheme(kSchemeCount + 1);
  c.items[n - 1].scheme = Scheme(0);
  return c;
}

TEST(BatchPlan, VerifyChunksCoverEveryItemOnceGroupedByScheme) {
  Corpus c = make_corpus(200, 1);
  const size_t kMaxItems = 7, kMaxBlob = 500;
  VerifyPlan plan = plan_verify(c.items, kMaxItems, kMaxBlob);
  EXPECT_EQ(plan.order.size(), c.items.size() - 2);  // the two unknown schemes are left out
  std::vector<int> seen(c.items.size(), 0);
  size_t next = 0;
  for (const VerifyChunk& ch : plan.chunks) {
    ASSERT_EQ(ch.begin, next);
    next = ch.end;
    ASSERT_GE(ch.size(), 1u);
    ASSERT_LE(ch.size(), kMaxItems);
    uint32_t total = 0;
    for (uint32_t n : ch.count) total += n;
    ASSERT_EQ(total, ch.size());
    // Over the limit only for a lone item whose payload alone exceeds it.
    if (ch.blob_bytes > kMaxBlob) EXPECT_EQ(ch.size(), 1u);
    std::vector<SigRecord> recs(ch.size());
    std::vector<uint8_t> blob(ch.blob_bytes);
    pack_verify_chunk(c.items, plan, ch, recs.data(), blob.data());
    for (size_t k = ch.begin; k < ch.end; ++k) {
      uint32_t idx = plan.order[k];
      ++seen[idx];
      const SigItem& it = c.items[idx];
      const SigRecord& r = recs[k - ch.begin];
      ASSERT_EQ(r.scheme, uint8_t(it.scheme));
      size_t pos = k - ch.begin;
      EXPECT_GE(pos, ch.offset(it.scheme));
      EXPECT_LT(pos, ch.offset(it.scheme) + ch.count[scheme_index(it.scheme)]);
      EXPECT_EQ(0, std::memcmp(r.signature, it.signature, signature_size(it.scheme)));
      EXPECT_EQ(0, std::memcmp(r.public_key, it.public_key, public_key_size(it.scheme)));
      ASSERT_EQ(r.message_len, it.message_len);
      ASSERT_LE(r.message_offset + r.message_len, blob.size());
      EXPECT_EQ(0, std::memcmp(blob.data() + r.message_offset, it.message, it.message_len));
    }
  }
  EXPECT_EQ(next, plan.order.size());
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], (i == 5 || i == seen.size() - 1) ? 0 : 1) << i;
}

TEST(BatchPlan, PackedChunksGiveTheKernelsOnCpuVerdicts) {
  Corpus c = make_corpus(90, 2);
  VerifyPlan plan = plan_verify(c.items, 16, 2000);
  std::vector<uint8_t> valid(c.items.size(), 0);
  for (const VerifyChunk& ch : plan.chunks) {
    std::vector<SigRecord> recs(ch.size());
    std::vector<uint8_t> blob(ch.blob_bytes), out(ch.size(), 9);
    pack_verify_chunk(c.items, plan, ch, recs.data(), blob.data());
    // Exactly what the backend launches: one kernel per scheme segment, each
    // running verify_record<S> for its own scheme.
    for (size_t si = 0; si < kSchemeCount; ++si) {
      const uint32_t off = ch.offset(scheme_at(si));
      for (uint32_t i = 0; i < ch.count[si]; ++i)
        out[off + i] = visit_scheme(
            uint8_t(scheme_at(si)), [&](auto tag) { return verify_record<decltype(tag)::value>(recs[off + i], blob.data()); },
            uint8_t(9));
    }
    for (size_t k = ch.begin; k < ch.end; ++k) valid[plan.order[k]] = out[k - ch.begin];
  }
  std::vector<uint8_t> want(c.items.size(), 9);
  ASSERT_TRUE(make_kernels_cpu_backend({})->verify_batch(c.items, want).ok());
  EXPECT_EQ(valid, want);
}

TEST(BatchPlan, RecordOfTheWrongSchemeIsRejected) {
  Corpus c = make_corpus(4, 3);
  SigRecord r;
  pack_sig_record(r, Scheme::kSecp256k1, c.items[0].public_key, c.items[0].signature, 0, 0);
  EXPECT_EQ(verify_record<Scheme::kEd25519>(r, nullptr), 0);
  EXPECT_EQ(verify_record<Scheme::kP256>(r, nullptr), 0);
}

TEST(BatchPlan, HashChunksGiveOpenSslIds) {
  std::mt19937_64 rng(4);
  std::vector<Bytes> msgs(300);
  for (size_t i = 0; i < msgs.size(); ++i) {
    msgs[i].resize(i < 130 ? i : rng() % 3000);  // every padding boundary below 130, then long ones
    for (auto& b : msgs[i]) b = uint8_t(rng());
  }
  std::vector<ByteSpan> spans(msgs.begin(), msgs.end());
  auto chunks = plan_hash(spans, 33, 1024);
  size_t next = 0;
  std::vector<Hash32> got(spans.size());
  for (const HashChunk& ch : chunks) {
    ASSERT_EQ(ch.begin, next);
    next = ch.end;
    std::vector<MsgRecord> recs(ch.size());
    std::vector<uint8_t> blob(ch.blob_bytes);
    pack_hash_chunk(spans, ch, recs.data(), blob.data());
    for (size_t i = ch.begin; i < ch.end; ++i) hash_record(recs[i - ch.begin], blob.data(), got[i].data());
  }
  EXPECT_EQ(next, spans.size());
  for (size_t i = 0; i < spans.size(); ++i) EXPECT_EQ(got[i], sha256(spans[i])) << "message " << i;
}

TEST(BatchPlan, EmptyBatchHasNoChunks) {
  EXPECT_TRUE(plan_verify({}, 8, 100).chunks.empty());
  EXPECT_TRUE(plan_hash({}, 8, 100).empty());
}

}  // namespace
}  // namespace bg::gpu
