// The audit: one LedgerScan, a duplicate-id set, and signature batches that
// span blocks. The earliest failing height wins whichever check found it.
#include "ledger/audit.h"

#include <absl/container/flat_hash_map.h>
#include <absl/strings/str_cat.h>

#include <chrono>
#include <vector>

#include "host/status_macros.h"
#include "ledger/scan.h"

namespace bg {
namespace {

// A signature check waiting in the batch, with where it came from.
struct PendingSig {
  uint64_t height;
  uint32_t index;
};

class SigBatcher {
 public:
  SigBatcher(VerifyBackend& backend, size_t limit) : backend_(backend), limit_(limit) {}

  // Items point into the scan's segment maps, which outlive the batcher.
  void add(const ScannedBlock& b) {
    for (uint32_t i = 0; i < b.tx_bytes.size(); ++i) {
      const uint8_t* p = b.tx_bytes[i].data();
      const Scheme s = Scheme(p[1]);  // the scan decoded it: a known scheme
      const size_t pk = public_key_size(s);
      const size_t fixed = tx_fixed_size(s);
      items_.push_back(SigItem{s, p + 2, p + 2 + pk, p + fixed, get_u32le(p + fixed - 4)});
      where_.push_back(PendingSig{b.header.height, i});
    }
  }
  bool full() const { return items_.size() >= limit_; }

  // Verifies what is queued; remembers the first invalid signature.
  absl::Status flush() {
    if (items_.empty()) return absl::OkStatus();
    valid_.assign(items_.size(), 0);
    BG_RETURN_IF_ERROR(backend_.verify_batch(items_, valid_));
    checked_ += items_.size();
    for (size_t i = 0; i < valid_.size() && !failure_; ++i)
      if (!valid_[i]) failure_ = where_[i];
    items_.clear();
    where_.clear();
    return absl::OkStatus();
  }
  const std::optional<PendingSig>& failure() const { return failure_; }
  uint64_t checked() const { return checked_; }

 private:
  VerifyBackend& backend_;
  size_t limit_;
  std::vector<SigItem> items_;
  std::vector<PendingSig> where_;
  std::vector<uint8_t> valid_;
  std::optional<PendingSig> failure_;
  uint64_t checked_ = 0;
};

}  // namespace

absl::StatusOr<AuditReport> audit_ledger(const std::string& dir, VerifyBackend& backend, const AuditOptions& opts) {
  const auto t0 = std::chrono::steady_clock::now();
  AuditReport rep;
  SigBatcher sigs(backend, opts.batch_items);
  absl::Status backend_error;
  absl::flat_hash_map<Hash32, TxLocation, Hash32Hasher> seen;
  LedgerScan scan(dir);
  auto res = scan.run([&](const ScannedBlock& b) -> std::optional<std::string> {
    for (uint32_t i = 0; i < b.ids.size(); ++i) {
      auto [it, fresh] = seen.try_emplace(b.ids[i], TxLocation{b.header.height, i});
      if (!fresh)
        return absl::StrCat("duplicate: transaction ", i, " has the id of transaction ", it->second.index,
                            " at height ", it->second.height, " (", to_hex(b.ids[i]), ")");
    }
    if (b.header.height >= opts.verify_signatures_from) sigs.add(b);
    if (sigs.full()) {
      backend_error = sigs.flush();
      if (!backend_error.ok()) return "backend failed";
      if (sigs.failure()) return "invalid signature";  // reported below with its own height
    }
    return std::nullopt;
  });
  if (!res.ok()) return res.status();
  if (backend_error.ok()) backend_error = sigs.flush();
  if (!backend_error.ok()) return backend_error;
  if (!res->tip && !res->fault) return absl::NotFoundError(absl::StrCat("no ledger in ", dir));

  rep.blocks = res->blocks;
  rep.transactions = res->txs;
  rep.signatures_checked = sigs.checked();
  if (res->tip) rep.tip = *res->tip;
  if (res->tail_cut) {
    const TailCut& c = *res->tail_cut;
    rep.tail_note = absl::StrCat("torn tail in ", c.path, " at offset ", c.offset, " (", c.reason, "), ", c.bytes,
                                 " bytes from height ", c.first_height,
                                 " on: not committed; `blockgate serve` cuts it at start-up");
  }
  if (const auto& f = sigs.failure()) {
    rep.failed_height = f->height;
    rep.reason = absl::StrCat("invalid_signature: transaction ", f->index, " does not verify");
  } else if (res->fault) {
    rep.failed_height = res->fault->height;
    rep.reason = res->fault->reason;
  } else {
    rep.ok = true;
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

std::string audit_last_line(const AuditReport& r) {
  if (r.ok)
    return absl::StrCat("audit ok: ", r.blocks, " blocks, ", r.transactions, " transactions, tip ", r.tip.height, " ",
                        to_hex(r.tip.hash));
  return absl::StrCat("audit failed at height ", r.failed_height, ": ", r.reason);
}

}  // namespace bg
