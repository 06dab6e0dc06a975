// Block validity against a tip (SPEC §2), shared by the server (candidate
// blocks), the ledger's open-time scan and `blockgate audit`. Results use the
// SPEC §3 codes; tx_index is set when one transaction is at fault.
#pragma once

#include <span>

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

// The full SPEC §2 check: check_block_without_signatures, then every
// signature through `backend` in one batch (the first invalid one is
// reported). A backend failure is reported as an absl::Status.
absl::StatusOr<BlockDecodeError> validate_block(const Block& block, const TipInfo& tip, const Ledger* ledger,
                                                VerifyBackend& backend);

}  // namespace bg
