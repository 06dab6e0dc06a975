// Deterministic signed transactions for benchmarks, make_tx_file and anyone
// who needs many: keys and payloads follow from a seed. P-256 signatures use
// OpenSSL's random k, so their bytes vary between runs; all of them verify.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "host/thread_pool.h"
#include "host/transaction.h"

namespace bg::bench {

struct CorpusOptions {
  std::optional<Scheme> scheme = Scheme::kEd25519;  // nullopt: cycle through kSchemes
  size_t count = 1024;
  uint64_t first_index = 0;   // transaction i of the output is number first_index + i of the sequence
  uint64_t seed = 1;
  size_t payload_bytes = 32;
  size_t keys = 64;           // distinct signers, used round robin
  size_t invalid_every = 0;   // when > 0, every Nth transaction (1-based) carries a broken signature
};

// Signs on `pool` when given (the output order and bytes do not depend on it).
std::vector<Transaction> make_signed_txs(const CorpusOptions& opts, ThreadPool* pool = nullptr);

}  // namespace bg::bench
