// Deterministic test data: signing keys from fixed secrets, signed
// transactions with unique payloads, blocks that extend a tip, and their JSON
// and binary encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host/block.h"
#include "host/signer.h"
#include "host/transaction.h"
#include "ledger/ledger.h"

namespace bg::testing {

// `n` uniformly random 32-byte ids from `seed` (ids no ledger holds).
std::vector<Hash32> random_ids(size_t n, uint64_t seed);

// The key of `scheme` whose secret is {seed, 0, ..., 0, scheme id}.
KeyPair test_key(uint8_t seed, Scheme scheme);
// One test key per scheme, in scheme order.
std::vector<KeyPair> test_keys(uint8_t seed);

// Transactions numbered n = 0, 1, ...: payload starts with n, schemes rotate.
class TxFactory {
 public:
  explicit TxFactory(uint8_t seed = 7);
  Transaction tx(uint64_t n, size_t payload_bytes = 24);

 private:
  std::vector<KeyPair> keys_;
};

// Blocks of transactions whose payloads name (seed, height, index), so ids
// never repeat across a ledger.
class BlockMaker {
 public:
  explicit BlockMaker(uint64_t seed = 1, size_t payload_bytes = 24);
  // The next block on `tip`, with `n` signed transactions (schemes rotate).
  Block next(const TipInfo& tip, size_t n);
  Transaction tx(uint64_t height, uint32_t index);

 private:
  uint64_t seed_;
  size_t payload_bytes_;
  std::vector<KeyPair> keys_;
};

// A valid block extending `tip` with `txs`.
Block block_on(const TipInfo& tip, std::vector<Transaction> txs);
// The tip a block makes.
TipInfo tip_of(const Block& b);

std::string tx_json(const Transaction& tx);
std::string txs_json(const std::vector<Transaction>& txs);  // a JSON array
std::string txs_binary(const std::vector<Transaction>& txs);  // concatenated encodings

}  // namespace bg::testing
