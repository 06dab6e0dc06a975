// Deterministic test data (see tx_factory.h).
#include "testing/tx_factory.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <boost/json.hpp>

namespace bg::testing {

std::vector<Hash32> random_ids(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash32> ids(n);
  for (Hash32& id : ids)
    for (size_t k = 0; k < 32; k += 8) {
      const uint64_t r = rng();
      std::memcpy(id.data() + k, &r, 8);
    }
  return ids;
}

KeyPair test_key(uint8_t seed, Scheme scheme) {
  Bytes secret(32, 0);
  secret[0] = seed;
  secret[31] = uint8_t(scheme);
  return *key_from_secret(scheme, secret);
}

std::vector<KeyPair> test_keys(uint8_t seed) {
  std::vector<KeyPair> keys;
  for (const SchemeInfo& s : kSchemes) keys.push_back(test_key(seed, s.id));
  return keys;
}

TxFactory::TxFactory(uint8_t seed) : keys_(test_keys(seed)) {}

Transaction TxFactory::tx(uint64_t n, size_t payload_bytes) {
  Bytes payload(std::max<size_t>(payload_bytes, 8), 0xab);
  for (int i = 0; i < 8; ++i) payload[i] = uint8_t(n >> (8 * i));
  return sign_transaction(keys_[n % keys_.size()], std::move(payload));
}

BlockMaker::BlockMaker(uint64_t seed, size_t payload_bytes)
    : seed_(seed), payload_bytes_(payload_bytes), keys_(test_keys(uint8_t(seed))) {}

Transaction BlockMaker::tx(uint64_t height, uint32_t index) {
  Bytes payload(std::max<size_t>(payload_bytes_, 20), 0);
  for (int i = 0; i < 8; ++i) payload[i] = uint8_t(seed_ >> (8 * i));
  for (int i = 0; i < 8; ++i) payload[8 + i] = uint8_t(height >> (8 * i));
  for (int i = 0; i < 4; ++i) payload[16 + i] = uint8_t(index >> (8 * i));
  return sign_transaction(keys_[(height + index) % keys_.size()], std::move(payload));
}

Block BlockMaker::next(const TipInfo& tip, size_t n) {
  std::vector<Transaction> txs;
  for (size_t i = 0; i < n; ++i) txs.push_back(tx(tip.height + 1, uint32_t(i)));
  return block_on(tip, std::move(txs));
}

Block block_on(const TipInfo& tip, std::vector<Transaction> txs) {
  Block b;
  b.header.height = tip.height + 1;
  b.header.prev_hash = tip.hash;
  b.header.timestamp_ms = tip.timestamp_ms + 1;
  b.header.tx_count = uint32_t(txs.size());
  b.txs = std::move(txs);
  b.header.merkle_root = compute_merkle_root(b.txs);
  return b;
}

TipInfo tip_of(const Block& b) { return TipInfo{b.header.height, b.header.hash(), b.header.timestamp_ms}; }

std::string tx_json(const Transaction& tx) { return boost::json::serialize(tx_to_json(tx)); }

std::string txs_json(const std::vector<Transaction>& txs) {
  boost::json::array a;
  for (const Transaction& t : txs) a.push_back(tx_to_json(t));
  return boost::json::serialize(a);
}

std::string txs_binary(const std::vector<Transaction>& txs) {
  Bytes out;
  for (const Transaction& t : txs) t.append_encoding(out);
  return std::string(out.begin(), out.end());
}

}  // namespace bg::testing
