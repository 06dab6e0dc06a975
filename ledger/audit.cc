// The audit: one LedgerScan, a duplicate-id set, and signature batches that
// span blocks. The earliest failing height wins whichever check found it.
#include "ledger/audit.h"

#include <absl/container/flat_hash_map.h>
#include <absl/strings/str_cat.h>

#include <chrono>
#include <vector>

#include "host/status_macros.h"
#include "ledger/id_filter.h"
#include "ledger/id_index.h"
#include "ledger/record.h"
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

  // The index, read-only, when there is one.
  std::unique_ptr<IdIndex> index;
  std::optional<IndexMeta> meta;
  std::optional<ChainFault> index_fault;  // the first disagreement
  uint64_t index_expected = 0;             // transactions in blocks 0..covered
  {
    bool created = false;
    IndexTuning tuning;
    tuning.cache_mb = 64;
    auto ix = IdIndex::open(dir + "/index", tuning, &created, /*read_only=*/true);
    if (!ix.ok()) {
      if (absl::IsNotFound(ix.status()))
        rep.index_note = "no transaction index (`blockgate serve` or `blockgate reindex` builds it)";
      else
        index_fault = ChainFault{0, absl::StrCat("index: cannot open it: ", ix.status().message())};
    } else if (!(*ix)->meta()) {
      index_fault = ChainFault{0, "index: no meta record"};
    } else if ((*ix)->meta()->version != kIndexFormatVersion) {
      index_fault = ChainFault{0, absl::StrCat("index: format version ", (*ix)->meta()->version, ", expected ",
                                               kIndexFormatVersion)};
    } else {
      index = std::move(*ix);
      meta = index->meta();
    }
  }
  std::vector<uint8_t> found;
  std::vector<IndexEntry> entries;
  auto check_index = [&](const ScannedBlock& b) {
    const uint64_t h = b.header.height;
    if (!meta || index_fault || h > meta->covered_height) return;
    auto fail = [&](std::string why) { index_fault = ChainFault{h, absl::StrCat("index: ", why)}; };
    if (h == meta->covered_height && b.hash != meta->covered_hash)
      return fail(absl::StrCat("covers height ", h, " with hash ", to_hex(meta->covered_hash),
                               ", the ledger's block there is ", to_hex(b.hash)));
    auto loc = index->height_loc(h);
    if (!loc.ok()) return fail(std::string(loc.status().message()));
    if (loc->segment != b.segment || loc->offset != b.offset || loc->block_bytes != b.block_bytes.size())
      return fail(absl::StrCat("records block ", h, " at segment ", loc->segment, " offset ", loc->offset,
                               ", it is at segment ", b.segment, " offset ", b.offset));
    found.assign(b.ids.size(), 0);
    entries.assign(b.ids.size(), IndexEntry{});
    if (absl::Status st = index->multi_get(b.ids, found, entries.data()); !st.ok())
      return fail(std::string(st.message()));
    for (uint32_t i = 0; i < b.ids.size(); ++i) {
      const uint64_t off = b.offset + kRecordHeaderSize + uint64_t(b.tx_bytes[i].data() - b.block_bytes.data());
      const IndexEntry want{h, i, off, uint32_t(b.tx_bytes[i].size())};
      const IndexEntry& got = entries[i];
      if (!found[i]) return fail(absl::StrCat("transaction ", i, " (", to_hex(b.ids[i]), ") is missing"));
      if (got.height != want.height || got.index != want.index || got.offset != want.offset ||
          got.length != want.length)
        return fail(absl::StrCat("transaction ", i, " (", to_hex(b.ids[i]), ") recorded at height ", got.height,
                                 " index ", got.index, " offset ", got.offset, " length ", got.length,
                                 ", it is at offset ", want.offset, " length ", want.length));
    }
    index_expected += b.ids.size();
  };

  LedgerScan scan(dir);
  auto res = scan.run([&](const ScannedBlock& b) -> std::optional<std::string> {
    check_index(b);
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
  if (meta && !index_fault && !res->fault) {
    if (!res->tip || meta->covered_height > res->tip->height) {
      index_fault = ChainFault{res->tip ? res->tip->height : 0,
                               absl::StrCat("index: covers height ", meta->covered_height, " past the tip ",
                                            res->tip ? res->tip->height : 0)};
    } else {
      // No other entry: every one is inside the covered range, and there are
      // exactly as many as those blocks hold.
      uint64_t n = 0;
      // The id filter, if the next open would trust it: every indexed id
      // must pass it (a false negative would admit a duplicate).
      std::unique_ptr<IdFilter> filter;
      {
        const std::string fpath = dir + "/index/filter";
        std::string why;
        auto f = IdFilter::open_read_only(fpath, index->identity(), &why);
        if (absl::IsNotFound(f.status())) {
          rep.filter_note = "no id filter (the server builds it at start-up)";
        } else if (!f.ok()) {
          index_fault = ChainFault{0, absl::StrCat("index: id filter: ", f.status().message())};
        } else if (*f == nullptr) {
          rep.filter_note = absl::StrCat("id filter not checked: the next start-up rebuilds it (", why, ")");
        } else {
          filter = std::move(*f);
        }
      }
      std::optional<ChainFault> filter_miss;  // reported after the index's own checks
      absl::Status st = index_fault ? absl::OkStatus() : index->for_each([&](const Hash32& id, const IndexEntry& e) {
        ++n;
        if (filter && !filter_miss && !filter->may_contain(id)) filter_miss = ChainFault{e.height, to_hex(id)};
        if (e.height > meta->covered_height) {
          index_fault = ChainFault{e.height, absl::StrCat("index: extra entry for ", to_hex(id), " at height ",
                                                          e.height, ", above its covered height ",
                                                          meta->covered_height)};
          return false;
        }
        return true;
      });
      if (!st.ok() && !index_fault) index_fault = ChainFault{0, absl::StrCat("index: ", st.message())};
      if (!index_fault && n != index_expected)
        index_fault = ChainFault{meta->covered_height,
                                 absl::StrCat("index: ", n, " entries where blocks 0..", meta->covered_height,
                                              " hold ", index_expected, " transactions")};
      rep.index_entries_checked = n;
      if (filter_miss && !index_fault)
        index_fault = ChainFault{filter_miss->height,
                                 absl::StrCat("index: id filter: indexed id ", filter_miss->reason,
                                              " is missing from DIR/index/filter, which the next start-up would "
                                              "trust (delete the file to rebuild it)")};
      if (filter && !index_fault) rep.filter_note = absl::StrCat("id filter: all ", n, " indexed ids pass it");
    }
  }

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
  } else if (index_fault) {
    rep.failed_height = index_fault->height;
    rep.reason = index_fault->reason;
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
