// Block validity against a tip (SPEC §2), shared by the server (candidate
// blocks), the ledger's open-time scan and `blockgate audit`. Results use the
// SPEC §3 codes; tx_index is set when one transaction is at fault.
#pragma once

#include <absl/status/status.h>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "host/backend.h"
#include "host/block.h"
#include "ledger/ledger.h"

namespace bg {

// version 1 (else malformed); height = tip + 1 and prev_hash = tip hash (else
// not_extending_tip); timestamp >= tip's (else bad_timestamp).
BlockDecodeError check_extends_tip(const BlockHeader& header, const TipInfo& tip);

// What needs neither the tip nor the ledger nor a signature check, given the
// ids: tx_count, well-formed transactions (known scheme), the Merkle root and
// no id twice inside the block.
BlockDecodeError check_block_contents(const Block& block, std::span<const Hash32> ids);

// Everything that needs no signature check, given the transaction ids
// (ids[i] = txs[i].id()): the header against the tip, tx_count, well-formed
// transactions (known scheme), the Merkle root, no id twice inside the block,
// and, when `ledger` is not null, no id already in it (durable or pending).
BlockDecodeError check_block_without_signatures(const Block& block, std::span<const Hash32> ids, const TipInfo& tip,
                                                const Ledger* ledger);

// What validate_block concludes: the block is valid; or it is invalid, with
// the SPEC §3 code (and tx_index when one transaction is at fault); or no
// verdict could be reached because the backend failed (`status`).
struct BlockVerdict {
  ErrorCode code = ErrorCode::kOk;
  std::optional<uint32_t> tx_index;
  std::string detail;
  absl::Status status;  // not OK: the backend failed and `code` means nothing

  static BlockVerdict invalid(BlockDecodeError e) {
    return BlockVerdict{e.code, e.tx_index, std::move(e.detail), absl::OkStatus()};
  }
  static BlockVerdict unavailable(absl::Status st) { return BlockVerdict{ErrorCode::kOk, std::nullopt, "", std::move(st)}; }

  bool valid() const { return status.ok() && code == ErrorCode::kOk; }
  bool unavailable() const { return !status.ok(); }
  bool invalid() const { return status.ok() && code != ErrorCode::kOk; }
};

// The full SPEC §2 check: check_block_without_signatures, then every
// signature through `backend` in one batch (the first invalid one is
// reported). When `ids` is not null it receives the transaction ids
// (ids[i] = txs[i].id()), so a caller can hand them to
// Ledger::submit_with_ids instead of hashing every transaction again.
BlockVerdict validate_block(const Block& block, const TipInfo& tip, const Ledger* ledger, VerifyBackend& backend,
                            std::vector<Hash32>* ids = nullptr);

}  // namespace bg
