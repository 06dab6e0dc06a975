// Reading a ledger directory from disk: lists the segment files, walks every
// record in order (framing and checksums in order, decoding and hashing of
// each chunk of blocks on all cores) and checks what the disk must guarantee (checksums, height
// sequence, hash chain, timestamps, genesis, well-formed transactions, Merkle
// roots). It never writes; the caller decides what to do with a torn tail.
// Used by Ledger::open (to recover and build its indexes) and by audit.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/block.h"
#include "ledger/ledger.h"

namespace bg {

class ThreadPool;

// "segment-00000007.log": segments are numbered from 0 with no gaps.
std::string segment_file_name(uint32_t index);

struct SegmentFile {
  uint32_t index = 0;
  std::string path;
  uint64_t size = 0;       // on disk
  uint64_t valid_end = 0;  // end of its last good record (== size unless a tail is cut)
};

// One block as read from disk, checked. Spans point into the scanner's maps
// and stay valid while the LedgerScan lives.
struct ScannedBlock {
  uint32_t segment = 0;
  uint64_t offset = 0;        // of the record
  uint64_t record_bytes = 0;  // framing included
  ByteSpan block_bytes;       // Block::encode()
  BlockHeader header;
  Hash32 hash{};
  std::vector<ByteSpan> tx_bytes;  // each transaction's canonical encoding
  std::vector<Hash32> ids;
};

// A torn or corrupt tail: the last segment should be cut at `offset`.
struct TailCut {
  uint32_t segment = 0;
  std::string path;
  uint64_t offset = 0;
  uint64_t bytes = 0;          // bytes past `offset`
  uint64_t first_height = 0;   // the height the first cut record would have had
  size_t intact_records = 0;   // checksummed records of the same unfinished batch cut with it
  std::string reason;
};

// Data that must not be opened: corruption before the tail or a broken chain.
struct ChainFault {
  uint64_t height = 0;
  std::string reason;
};

struct ScanResult {
  uint64_t blocks = 0;
  uint64_t txs = 0;
  std::optional<TipInfo> tip;  // none when there is no block at all
  std::vector<SegmentFile> segments;
  std::optional<TailCut> tail_cut;
  std::optional<ChainFault> fault;  // the scan stopped here
};

// Where a scan may start instead of height 0: the record after a block already
// known good (the index's covered height), and that block's tip for the link
// check of the first block read.
struct ScanStart {
  uint32_t segment = 0;
  uint64_t offset = 0;  // the first record to read in `segment`
  TipInfo prev;         // the block just before it
};

class LedgerScan {
 public:
  // threads: for decoding and hashing blocks (0: all cores).
  explicit LedgerScan(std::string dir, size_t threads = 0);
  ~LedgerScan();
  LedgerScan(const LedgerScan&) = delete;
  LedgerScan& operator=(const LedgerScan&) = delete;

  // Return a reason to stop the scan with a fault at that block's height.
  using Visitor = std::function<std::optional<std::string>(const ScannedBlock&)>;

  // Walks the whole ledger, calling `visit` for every good block in height
  // order. I/O errors (unreadable directory or file) are a Status; problems in
  // the data are reported in the result.
  // With `from`, segments before from->segment are only listed (size from
  // stat, taken as complete), and blocks/txs count what was read.
  absl::StatusOr<ScanResult> run(const Visitor& visit, const ScanStart* from = nullptr);

 private:
  struct Mapping;
  std::string dir_;
  size_t threads_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<std::unique_ptr<Mapping>> maps_;
};

}  // namespace bg
