// Block header layout, block codecs, genesis, and RFC 6962 Merkle roots
// checked against an independent recursive implementation and the published
// reference values in tests/vectors/merkle_rfc6962.json.
#include "host/block.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "host/backend.h"
#include "host/hash.h"

namespace bg {
namespace {

Hash32 evp_sha256(const Bytes& data) {
  Hash32 out;
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

// RFC 6962 §2.1 written directly from the definition, recursively.
Hash32 mth(const std::vector<Bytes>& leaves, size_t begin, size_t end) {
  size_t n = end - begin;
  if (n == 0) return evp_sha256({});
  if (n == 1) {
    Bytes b{0x00};
    b.insert(b.end(), leaves[begin].begin(), leaves[begin].end());
    return evp_sha256(b);
  }
  size_t k = 1;
  while (k * 2 < n) k *= 2;  // largest power of two smaller than n
  Hash32 l = mth(leaves, begin, begin + k), r = mth(leaves, begin + k, end);
  Bytes b{0x01};
  b.insert(b.end(), l.begin(), l.end());
  b.insert(b.end(), r.begin(), r.end());
  return evp_sha256(b);
}

TEST(Merkle, ReferenceImplementationMatchesPublishedRoots) {
  std::ifstream f(std::string(BLOCKGATE_TESTVECTORS) + "/merkle_rfc6962.json");
  ASSERT_TRUE(f) << "missing merkle_rfc6962.json";
  std::stringstream ss;
  ss << f.rdbuf();
  auto doc = boost::json::parse(ss.str()).as_object();
  std::vector<Bytes> leaves;
  for (const auto& l : doc["leaves"].as_array()) leaves.push_back(*from_hex(std::string(l.as_string())));
  const auto& roots = doc["roots"].as_object();
  ASSERT_EQ(roots.size(), 9u);
  for (size_t n = 0; n <= 8; ++n) {
    std::string want(roots.at(std::to_string(n)).as_string());
    EXPECT_EQ(to_hex(mth(leaves, 0, n)), want) << n;
  }
}

TEST(Merkle, RootOverIdsEqualsReferenceForManySizes) {
  std::mt19937_64 rng(7);
  auto kernels = make_kernels_cpu_backend({.cpu_threads = 2});
  auto cpu = make_cpu_backend({.cpu_threads = 2});
  for (size_t n : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 256, 257, 1000, 4097}) {
    std::vector<Hash32> ids(n);
    std::vector<Bytes> leaves(n);
    for (size_t i = 0; i < n; ++i) {
      for (auto& b : ids[i]) b = uint8_t(rng());
      leaves[i].assign(ids[i].begin(), ids[i].end());
    }
    Hash32 want = mth(leaves, 0, n);
    EXPECT_EQ(merkle_root(ids), want) << n;
    EXPECT_EQ(*cpu->merkle_root(ids), want) << n;
    EXPECT_EQ(*kernels->merkle_root(ids), want) << n;
  }
}

TEST(Hashing, BackendsHashLikeOpenSsl) {
  std::mt19937_64 rng(8);
  auto kernels = make_kernels_cpu_backend({.cpu_threads = 2});
  auto cpu = make_cpu_backend({.cpu_threads = 2});
  std::vector<Bytes> msgs;
  for (size_t len = 0; len < 1000; len += 1 + len / 7) {
    Bytes m(len);
    for (auto& b : m) b = uint8_t(rng());
    msgs.push_back(m);
  }
  std::vector<ByteSpan> spans(msgs.begin(), msgs.end());
  std::vector<Hash32> a(msgs.size()), b(msgs.size());
  ASSERT_TRUE(cpu->hash_batch(spans, a).ok());
  ASSERT_TRUE(kernels->hash_batch(spans, b).ok());
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(a[i], evp_sha256(msgs[i])) << msgs[i].size();
    EXPECT_EQ(b[i], evp_sha256(msgs[i])) << msgs[i].size();
  }
}

TEST(Block, HeaderLayoutIsExactlyTheSpec) {
  BlockHeader h;
  h.version = 1;
  h.height = 0x0102030405060708ull;
  for (int i = 0; i < 32; ++i) { h.prev_hash[i] = uint8_t(0x10 + i); h.merkle_root[i] = uint8_t(0x80 + i); }
  h.timestamp_ms = 0x1112131415161718ull;
  h.tx_count = 0xa1a2a3a4;
  auto e = h.encode();
  EXPECT_EQ(e[0], 1);
  EXPECT_EQ(e[1], 0x08);  // height little-endian
  EXPECT_EQ(e[8], 0x01);
  EXPECT_EQ(e[9], 0x10);
  EXPECT_EQ(e[40], 0x10 + 31);
  EXPECT_EQ(e[41], 0x80);
  EXPECT_EQ(e[73], 0x18);
  EXPECT_EQ(e[80], 0x11);
  EXPECT_EQ(e[81], 0xa4);
  EXPECT_EQ(e[84], 0xa1);
  EXPECT_EQ(h.hash(), evp_sha256(Bytes(e.begin(), e.end())));
  BlockHeader back;
  ASSERT_TRUE(BlockHeader::decode(ByteSpan(e.data(), e.size()), &back));
  EXPECT_EQ(back, h);
  EXPECT_FALSE(BlockHeader::decode(ByteSpan(e.data(), 84), &back));
}

TEST(Block, GenesisIsTheSpecGenesis) {
  Block g = genesis_block();
  EXPECT_EQ(g.header.version, 1);
  EXPECT_EQ(g.header.height, 0u);
  EXPECT_EQ(g.header.prev_hash, Hash32{});
  EXPECT_EQ(to_hex(g.header.merkle_root), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(g.header.timestamp_ms, 0u);
  EXPECT_EQ(g.header.tx_count, 0u);
  EXPECT_TRUE(g.txs.empty());
  // Hash of version 1, 8 zero bytes, 32 zero bytes, the empty-string hash, 12 zero bytes.
  Bytes enc(85, 0);
  enc[0] = 1;
  auto root = *from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::copy(root.begin(), root.end(), enc.begin() + 41);
  EXPECT_EQ(g.header.hash(), evp_sha256(enc));
}

Block random_block(std::mt19937_64& rng, size_t ntx) {
  Block b;
  b.header.height = rng() % 1000;
  for (auto& x : b.header.prev_hash) x = uint8_t(rng());
  b.header.timestamp_ms = rng();
  for (size_t i = 0; i < ntx; ++i) {
    Transaction tx;
    tx.scheme = scheme_at(rng() % kSchemeCount);
    for (auto& x : tx.public_key) x = uint8_t(rng());
    if (tx.scheme == Scheme::kEd25519) tx.public_key[32] = 0;
    for (auto& x : tx.signature) x = uint8_t(rng());
    tx.payload.resize(rng() % 64);
    for (auto& x : tx.payload) x = uint8_t(rng());
    b.txs.push_back(tx);
  }
  b.header.tx_count = uint32_t(ntx);
  b.header.merkle_root = compute_merkle_root(b.txs);
  return b;
}

TEST(Block, BinaryAndJsonRoundTrip) {
  std::mt19937_64 rng(9);
  for (size_t n : {0, 1, 2, 7, 50}) {
    Block b = random_block(rng, n);
    Block back;
    ASSERT_TRUE(decode_block_binary(b.encode(), kDefaultMaxPayload, &back).ok());
    EXPECT_EQ(back, b);
    std::string json = block_to_json_text(b);
    Block from_json;
    ASSERT_TRUE(decode_block_json_text(json, kDefaultMaxPayload, &from_json).ok()) << json;
    EXPECT_EQ(from_json, b);
    auto v = boost::json::parse(json).as_object();
    EXPECT_EQ(std::string(v["hash"].as_string()), to_hex(b.header.hash()));
  }
}

TEST(Block, DecodeErrorsNameTheFault) {
  std::mt19937_64 rng(10);
  Block b = random_block(rng, 5);
  Bytes enc = b.encode();
  Block out;
  // Short header.
  EXPECT_EQ(decode_block_binary(ByteSpan(enc.data(), 84), kDefaultMaxPayload, &out).code, ErrorCode::kMalformed);
  // Version.
  Bytes bad = enc;
  bad[0] = 2;
  EXPECT_EQ(decode_block_binary(bad, kDefaultMaxPayload, &out).code, ErrorCode::kMalformed);
  // Count lower / higher than the transactions present.
  bad = enc;
  bad[81] = 4;
  EXPECT_EQ(decode_block_binary(bad, kDefaultMaxPayload, &out).code, ErrorCode::kTxCountMismatch);
  bad[81] = 6;
  EXPECT_EQ(decode_block_binary(bad, kDefaultMaxPayload, &out).code, ErrorCode::kTxCountMismatch);
  // Third transaction with an unknown scheme: its index is reported.
  size_t off = kHeaderSize + b.txs[0].encoded_size() + b.txs[1].encoded_size();
  bad = enc;
  bad[off + 1] = 9;
  auto err = decode_block_binary(bad, kDefaultMaxPayload, &out);
  EXPECT_EQ(err.code, ErrorCode::kUnsupportedScheme);
  ASSERT_TRUE(err.tx_index.has_value());
  EXPECT_EQ(*err.tx_index, 2u);
  // Truncated last transaction.
  err = decode_block_binary(ByteSpan(enc.data(), enc.size() - 1), kDefaultMaxPayload, &out);
  EXPECT_EQ(err.code, ErrorCode::kMalformed);
  EXPECT_EQ(*err.tx_index, 4u);

  // JSON: count mismatch, a bad transaction, bad header fields.
  auto v = boost::json::parse(block_to_json_text(b)).as_object();
  auto j = v;
  j["header"].as_object()["tx_count"] = 9;
  EXPECT_EQ(decode_block_json(j, kDefaultMaxPayload, &out).code, ErrorCode::kTxCountMismatch);
  j = v;
  j["transactions"].as_array()[3].as_object()["scheme"] = "dsa";
  err = decode_block_json(j, kDefaultMaxPayload, &out);
  EXPECT_EQ(err.code, ErrorCode::kUnsupportedScheme);
  EXPECT_EQ(*err.tx_index, 3u);
  for (const char* field : {"height", "prev_hash", "merkle_root", "timestamp_ms", "tx_count", "version"}) {
    j = v;
    j["header"].as_object().erase(field);
    EXPECT_EQ(decode_block_json(j, kDefaultMaxPayload, &out).code, ErrorCode::kMalformed) << field;
    j = v;
    j["header"].as_object()[field] = -1;
    EXPECT_EQ(decode_block_json(j, kDefaultMaxPayload, &out).code, ErrorCode::kMalformed) << field;
  }
  j = v;
  j["header"].as_object()["version"] = 2;
  EXPECT_EQ(decode_block_json(j, kDefaultMaxPayload, &out).code, ErrorCode::kMalformed);
  EXPECT_EQ(decode_block_json_text("[1,2]", kDefaultMaxPayload, &out).code, ErrorCode::kMalformed);
  EXPECT_EQ(decode_block_json_text("{\"header\":{}}", kDefaultMaxPayload, &out).code, ErrorCode::kMalformed);
  // "hash" is output only: a wrong one on input is ignored.
  j = v;
  j["hash"] = std::string(64, '0');
  EXPECT_TRUE(decode_block_json(j, kDefaultMaxPayload, &out).ok());
}

}  // namespace
}  // namespace bg
