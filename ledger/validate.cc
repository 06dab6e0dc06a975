// Block validity: cheap structural checks first, signatures last (the only
// expensive step, batched through the backend).
#include "ledger/validate.h"

#include <absl/container/flat_hash_map.h>
#include <absl/strings/str_cat.h>

#include "host/hash.h"

namespace bg {

BlockDecodeError check_extends_tip(const BlockHeader& h, const TipInfo& tip) {
  if (h.version != 1) return {ErrorCode::kMalformed, std::nullopt, absl::StrCat("block version ", h.version)};
  if (h.height != tip.height + 1)
    return {ErrorCode::kNotExtendingTip, std::nullopt,
            absl::StrCat("height ", h.height, " does not follow tip height ", tip.height)};
  if (h.prev_hash != tip.hash)
    return {ErrorCode::kNotExtendingTip, std::nullopt,
            absl::StrCat("prev_hash ", to_hex(h.prev_hash), " is not the hash of block ", tip.height, " (",
                         to_hex(tip.hash), ")")};
  if (h.timestamp_ms < tip.timestamp_ms)
    return {ErrorCode::kBadTimestamp, std::nullopt,
            absl::StrCat("timestamp_ms ", h.timestamp_ms, " is before block ", tip.height, "'s ", tip.timestamp_ms)};
  return {};
}

BlockDecodeError check_block_contents(const Block& block, std::span<const Hash32> ids) {
  if (block.txs.size() != block.header.tx_count)
    return {ErrorCode::kTxCountMismatch, std::nullopt,
            absl::StrCat("tx_count ", block.header.tx_count, " but ", block.txs.size(), " transactions")};
  for (size_t i = 0; i < block.txs.size(); ++i)
    if (!scheme_from_byte(uint8_t(block.txs[i].scheme)))
      return {ErrorCode::kUnsupportedScheme, uint32_t(i), "unknown scheme"};
  if (merkle_root(ids) != block.header.merkle_root)
    return {ErrorCode::kBadMerkleRoot, std::nullopt, "merkle_root does not match the transactions"};
  absl::flat_hash_map<Hash32, uint32_t, Hash32Hasher> seen;
  seen.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto [it, fresh] = seen.emplace(ids[i], uint32_t(i));
    if (!fresh)
      return {ErrorCode::kDuplicate, uint32_t(i),
              absl::StrCat("transaction ", i, " repeats transaction ", it->second, " of the block")};
  }
  return {};
}

BlockDecodeError check_block_without_signatures(const Block& block, std::span<const Hash32> ids, const TipInfo& tip,
                                                const Ledger* ledger) {
  if (BlockDecodeError e = check_extends_tip(block.header, tip); !e.ok()) return e;
  if (BlockDecodeError e = check_block_contents(block, ids); !e.ok()) return e;
  if (ledger != nullptr)
    for (size_t i = 0; i < ids.size(); ++i)
      if (ledger->contains_id(ids[i]))
        return {ErrorCode::kDuplicate, uint32_t(i), absl::StrCat("transaction ", i, " is already in the ledger")};
  return {};
}

BlockVerdict validate_block(const Block& block, const TipInfo& tip, const Ledger* ledger, VerifyBackend& backend,
                            std::vector<Hash32>* ids_out) {
  std::vector<Hash32> ids;
  ids.reserve(block.txs.size());
  for (const Transaction& tx : block.txs) ids.push_back(tx.id());
  if (BlockDecodeError e = check_block_without_signatures(block, ids, tip, ledger); !e.ok())
    return BlockVerdict::invalid(std::move(e));
  std::vector<SigItem> items;
  items.reserve(block.txs.size());
  for (const Transaction& tx : block.txs) items.push_back(sig_item(tx));
  std::vector<uint8_t> valid(items.size(), 0);
  if (absl::Status st = backend.verify_batch(items, valid); !st.ok()) return BlockVerdict::unavailable(std::move(st));
  for (size_t i = 0; i < valid.size(); ++i)
    if (!valid[i])
      return BlockVerdict::invalid({ErrorCode::kInvalidSignature, uint32_t(i), "signature does not verify"});
  if (ids_out != nullptr) *ids_out = std::move(ids);
  return BlockVerdict{};
}

}  // namespace bg
