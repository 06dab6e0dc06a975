// Blocks (SPEC §1): the 85-byte header, binary and JSON codecs, genesis and
// the structural checks that need no ledger (version, count, Merkle root).
#pragma once

#include <array>
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/bytes.h"
#include "host/codes.h"
#include "host/transaction.h"

namespace bg {

constexpr size_t kHeaderSize = 85;

struct BlockHeader {
  uint8_t version = 1;
  uint64_t height = 0;
  Hash32 prev_hash{};
  Hash32 merkle_root{};
  uint64_t timestamp_ms = 0;
  uint32_t tx_count = 0;

  std::array<uint8_t, kHeaderSize> encode() const;
  // False when fewer than 85 bytes are given. The version is not checked here.
  static bool decode(ByteSpan in, BlockHeader* out);
  // SHA-256 of the 85-byte encoding.
  Hash32 hash() const;

  bool operator==(const BlockHeader&) const = default;
};

struct Block {
  BlockHeader header;
  std::vector<Transaction> txs;

  Bytes encode() const;  // header ‖ canonical transactions
  bool operator==(const Block&) const = default;
};

// The first block of every ledger: height 0, zero prev_hash, merkle_root =
// SHA-256(""), timestamp 0, no transactions.
Block genesis_block();

struct BlockDecodeError {
  ErrorCode code = ErrorCode::kOk;
  std::optional<uint32_t> tx_index;  // set when one transaction is at fault
  std::string detail;
  bool ok() const { return code == ErrorCode::kOk; }
};

// Binary: header ‖ transactions up to the end of `in`. A transaction that does
// not decode gives its code and index; a count other than header.tx_count gives
// kTxCountMismatch; a version other than 1 gives kMalformed.
BlockDecodeError decode_block_binary(ByteSpan in, size_t max_payload, Block* out);
// JSON: {"header":{...},"transactions":[...]}; "hash" is ignored.
BlockDecodeError decode_block_json(const boost::json::value& v, size_t max_payload, Block* out);
BlockDecodeError decode_block_json_text(std::string_view text, size_t max_payload, Block* out);

boost::json::object header_to_json(const BlockHeader& h);
boost::json::object block_to_json(const Block& b);
std::string block_to_json_text(const Block& b);

// Merkle root of the block's transaction ids.
Hash32 compute_merkle_root(const std::vector<Transaction>& txs);

}  // namespace bg
