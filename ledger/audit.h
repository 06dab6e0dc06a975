// The whole-ledger audit behind `blockgate audit` (SPEC §5): a read-only scan
// (checksums, heights, chain links, timestamps, Merkle roots) plus every
// signature through a VerifyBackend, batched across many blocks, no
// transaction id twice in the ledger, and the index agreeing with the
// segments. It never writes to the directory.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <optional>
#include <string>

#include "host/backend.h"
#include "ledger/ledger.h"

namespace bg {

struct AuditOptions {
  // Signatures of blocks below this height are taken as checked (tests that
  // audit a growing ledger many times); 0 checks them all.
  uint64_t verify_signatures_from = 0;
  // Signatures handed to the backend per call: large enough to fill a GPU or
  // all cores, small enough to bound memory.
  size_t batch_items = 1 << 16;
};

struct AuditReport {
  bool ok = false;
  uint64_t blocks = 0;  // genesis included
  uint64_t transactions = 0;
  uint64_t signatures_checked = 0;
  TipInfo tip;
  uint64_t failed_height = 0;  // when !ok
  std::string reason;          // when !ok
  std::string tail_note;       // a torn tail that the server would cut (not a failure)
  // The transaction index (DIR/index), when there is one: every transaction
  // of blocks 0..covered at its recorded place, no other entry, covered <= tip.
  // A disagreement fails the audit ("index: ..."); no index at all is a note.
  std::string index_note;
  uint64_t index_entries_checked = 0;
  // The id filter (DIR/index/filter), when the index is there and checked:
  // a filter the next open would trust must hold every indexed id (a
  // missing one fails the audit: "index: id filter ..."). filter_note says
  // what was checked, or why not (absent, or not trusted: rebuilt at open).
  std::string filter_note;
  double seconds = 0;
};

// NotFound when there is no ledger at `dir`; other non-OK statuses for I/O or
// backend failures. Problems in the data are a report with ok = false.
absl::StatusOr<AuditReport> audit_ledger(const std::string& dir, VerifyBackend& backend,
                                         const AuditOptions& opts = {});

// "audit ok: N blocks, M transactions, tip HEIGHT HASH" or
// "audit failed at height H: REASON".
std::string audit_last_line(const AuditReport& r);

}  // namespace bg
