// gpu_check's inputs in packed form: verify batches grouped by scheme (from
// the corpus, or expanded from its valid seeds with damage.h), and hash
// batches. Each record keeps what it came from, for mismatch reports.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "host/gpu/sig_record.h"
#include "tools/gpu_check/corpus.h"
#include "tools/gpu_check/engine.h"

namespace bg::gpucheck {

struct OwnedBatch {
  std::vector<gpu::SigRecord> recs;
  std::vector<uint8_t> blob;
  std::array<uint32_t, kSchemeCount> count{};  // by scheme_index
  std::vector<uint8_t> expected;  // verdict each record must get
  std::vector<uint8_t> damage;    // damage.h kind
  std::vector<uint8_t> origin;    // corpus.h Origin
  std::vector<uint32_t> source;   // vector line / random index / expansion index
  int variant[4] = {1, 1, 1, 1};  // kernel variant per scheme byte the batch runs with

  void set_variant(uint8_t scheme, int v) { variant[scheme] = v; }

  VerifyBatch view() const;
  size_t size() const { return recs.size(); }
};

// All corpus transactions (at most `limit_per_scheme` of each scheme and
// origin when nonzero), grouped by scheme.
OwnedBatch batch_from_corpus(const Corpus& c, size_t limit_per_scheme);

// n items of `scheme` made from the corpus's valid random transactions of that
// scheme: item j takes seed hash(j) and, about half the time, one damage.
// Expected verdict: valid exactly when undamaged (make_gpu_corpus checked
// with the reference that each damage kind is rejected).
OwnedBatch expand_scheme(const Corpus& c, uint8_t scheme, size_t n);

// The first n records of each scheme in `parts` (each a single-scheme batch),
// concatenated into one mixed batch with a compact blob.
OwnedBatch mixed_batch(const std::vector<const OwnedBatch*>& parts, size_t n_per_scheme);

// The first n records of a single-scheme batch, with a compact blob.
OwnedBatch prefix(const OwnedBatch& b, size_t n);

struct OwnedHashBatch {
  std::vector<gpu::MsgRecord> recs;
  std::vector<uint8_t> blob;
  HashBatch view() const { return HashBatch{recs.data(), recs.size(), blob.data(), blob.size()}; }
};

// Canonical encodings of the corpus transactions (expected: their ids).
OwnedHashBatch hash_batch_of_tx_encodings(const Corpus& c, size_t limit, std::vector<const uint8_t*>* expected);
OwnedHashBatch hash_batch_of_vectors(const Corpus& c, size_t max_len, std::vector<const uint8_t*>* expected);
// n random messages of len bytes each (seeded).
OwnedHashBatch random_messages(size_t n, size_t len, uint64_t seed);

}  // namespace bg::gpucheck
