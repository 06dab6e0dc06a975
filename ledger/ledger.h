// The append-only ledger (SPEC §4): segment files of checksummed records, a
// single group-commit writer thread, height and transaction-id indexes.
//
// Contract used by the server:
//  - open() recovers (truncates a torn/corrupt tail, logging what was cut),
//    creates genesis in a new directory, and refuses corruption before the tail.
//  - submit() checks that the block extends the *pending* tip (the last block
//    submitted, durable or not): height = tip + 1, prev_hash = tip hash,
//    timestamp >= tip's. It then queues the block for the writer and returns.
//    The writer takes every queued block, writes them, issues one fdatasync,
//    and only then calls each block's callback with OkStatus (in height order).
//  - A failed write or fsync: the callback gets the error. ENOSPC gives
//    ResourceExhausted and the pending tip falls back to the durable tip, so the
//    caller can resubmit once space returns; any other I/O failure (fsync
//    above all) stops the writer for good: every later submit fails Internal.
//  - Lookups see durable blocks only, except contains_id(), which also sees
//    ids in blocks submitted but not yet durable (for duplicate rejection).
//  - submit() also refuses (AlreadyExists, naming the tx_index) a block holding
//    an id that is already durable or pending, or twice in itself: the last
//    line of defence if two callers validated against the same tip.
// Storage format, recovery rules and costs: docs/LEDGER.md.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "host/block.h"
#include "host/bytes.h"
#include "ledger/file_ops.h"

namespace bg {

struct LedgerOptions {
  uint64_t segment_bytes = 256ull << 20;  // start a new segment past this size
  bool read_only = false;                  // audit: never writes, never truncates
  // The system calls the writer makes; null means the real ones. Tests inject
  // ENOSPC and fsync failures here.
  std::shared_ptr<FileOps> file_ops;
  // Threads that decode and hash blocks during the open-time scan (0: all cores).
  size_t scan_threads = 0;
  // The persistent id index under DIR/index (docs/LEDGER.md, "The index").
  // false (and read_only) keep the ids in memory, rebuilt by a full scan at
  // every open: ~60 B of RAM per transaction.
  bool index = true;
  size_t index_cache_mb = 256;    // RocksDB block cache (data, index and filter blocks)
  // The index's write buffer: ids durable but not yet in RocksDB (two hash
  // maps, one filling while the other is ingested) and RocksDB's memtables.
  size_t index_memtable_mb = 64;
  // Tests only: ids per write buffer instead of what the budget allows
  // (0: from index_memtable_mb), so that a few blocks fill one.
  size_t index_buffer_ids = 0;
  // Tests only: the step in which room is reserved ahead in DIR/index/heights
  // (0: 1 MiB, 65,536 blocks).
  uint64_t index_heights_reserve_bytes = 0;
  // The id filter in front of the index (DIR/index/filter, a blocked Bloom
  // filter of this many MiB: ~10 bits per id covers ~100 M ids at 1-2 %
  // false positives; more ids only raise that rate). 0: no filter, every
  // duplicate check of an unknown id is a RocksDB lookup.
  size_t index_filter_mb = 128;
  // Rescan and re-check every record at open (the check the index lets open
  // skip), not only the tail after the indexed height.
  bool verify_on_open = false;
  // Discard DIR/index and rebuild it from the segments (`blockgate reindex`).
  bool rebuild_index = false;
  // Called during the open-time indexing scan, every few thousand blocks:
  // segment bytes read so far, segment bytes in all, blocks indexed.
  std::function<void(uint64_t done_bytes, uint64_t total_bytes, uint64_t blocks)> index_progress;
};

struct TipInfo {
  uint64_t height = 0;
  Hash32 hash{};
  uint64_t timestamp_ms = 0;
};

struct TxLocation {
  uint64_t height = 0;
  uint32_t index = 0;
  // Where its bytes lie: segment file, offset of its first byte, length.
  uint32_t segment = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
};

// A committed transaction read back by id.
struct StoredTx {
  TxLocation location;
  Transaction tx;
};

struct LedgerStats {
  uint64_t blocks_committed = 0;
  uint64_t txs_committed = 0;
  uint64_t fsyncs = 0;
  uint64_t bytes_written = 0;
  double last_fsync_seconds = 0;
  // The persistent index (all zero without one).
  bool index_enabled = false;
  uint64_t index_size_bytes = 0;       // SST files + heights file
  double index_cache_hit_ratio = 0;    // block cache, since open
  uint64_t index_cache_bytes = 0;      // block cache in use
  uint64_t index_covered_height = 0;
  uint64_t index_catchup_blocks = 0;   // blocks indexed by the open-time scan (the unindexed tail, or all on a rebuild)
  double index_catchup_seconds = 0;
  bool index_rebuilt = false;          // the open found no usable index and rebuilt it
  std::string index_rebuild_reason;
  // The id filter (all zero without one).
  uint64_t index_filter_bytes = 0;
  bool index_filter_ready = false;     // false while it is rebuilt from the index (lookups go to RocksDB)
  std::string index_filter_rebuild_reason;  // why the open did not trust the file ("" when it did)
  uint64_t index_filter_ids = 0;       // ids added (about the number of indexed ids)
  double index_filter_fp_rate = 0;     // expected false-positive rate at that many ids
  uint64_t index_filter_lookups = 0;   // ids asked of the filter since open
  uint64_t index_filter_passed = 0;    // of those, sent on to RocksDB (maybe present)
  uint64_t index_staged_ids = 0;       // in the index's write buffer, not yet in RocksDB
  uint64_t index_ingested_files = 0;   // write buffers ingested into RocksDB since open
  uint64_t index_level0_files = 0;     // RocksDB level-0 SST files
  bool index_compacting = false;       // RocksDB compacts, or has a compaction due
  bool index_ingest_waiting = false;   // an ingestion failed for want of disk space and is retried
};

using CommitCallback = std::function<void(absl::Status)>;

// Consecutive durable blocks read back in one go (Ledger::read_block_range).
// blocks[i] is block first_height + i in its binary form (Block::encode()),
// pointing into `buffer`: valid until the next read into this range. Reuse
// one BlockRange across reads so that its buffer is allocated once.
struct BlockRange {
  uint64_t first_height = 0;
  std::vector<ByteSpan> blocks;
  Bytes buffer;
  size_t size() const { return blocks.size(); }
};

class Ledger {
 public:
  static absl::StatusOr<std::unique_ptr<Ledger>> open(const std::string& dir, const LedgerOptions& opts = {});
  virtual ~Ledger() = default;  // drains the queue: queued blocks are written and fsynced first

  virtual TipInfo durable_tip() const = 0;
  virtual TipInfo pending_tip() const = 0;

  // FailedPrecondition when the block does not extend the pending tip;
  // Internal / ResourceExhausted when the writer is stopped / the disk is full.
  virtual absl::Status submit(Block block, CommitCallback done) = 0;
  // submit() for a caller that already holds the transaction ids
  // (ids[i] == block.txs[i].id(), as after validate_block): saves one SHA-256
  // per transaction. The ids are trusted for the indexes until the next open,
  // which recomputes them from the bytes. InvalidArgument on a size mismatch.
  virtual absl::Status submit_with_ids(Block block, std::vector<Hash32> ids, CommitCallback done) {
    return submit(std::move(block), std::move(done));
  }
  // submit() and wait for durability.
  virtual absl::Status append(Block block) = 0;

  virtual absl::StatusOr<Block> read_block(uint64_t height) const = 0;         // NotFound past the tip
  virtual absl::StatusOr<Bytes> read_block_bytes(uint64_t height) const = 0;   // binary block
  // Blocks first, first + 1, ... in one read where they lie side by side (one
  // pread of their records, each record's CRC checked, no copy per block):
  // at most max_blocks, and at most max_bytes of records unless the first
  // record alone is larger. Fewer when the durable tip or a segment's end
  // comes first; at least one on success. NotFound past the durable tip;
  // DataLoss naming the height when a record in the range is torn, fails its
  // CRC or holds another block. The default reads block by block.
  virtual absl::Status read_block_range(uint64_t first, size_t max_blocks, size_t max_bytes, BlockRange* out) const;
  virtual std::optional<TxLocation> find_tx(const Hash32& id) const = 0;       // durable only
  virtual bool contains_id(const Hash32& id) const = 0;                        // durable or pending
  // contains_id for many ids at once (one batched index lookup):
  // present[i] = 1 when ids[i] is durable or pending. present.size() == ids.size().
  virtual void contains_ids(std::span<const Hash32> ids, std::span<uint8_t> present) const {
    for (size_t i = 0; i < ids.size(); ++i) present[i] = contains_id(ids[i]) ? 1 : 0;
  }
  // A durable transaction by id, read from its recorded place (not the whole
  // block) and checked: its SHA-256 must equal `id`. NotFound when unknown,
  // DataLoss when the bytes on disk do not check out.
  virtual absl::StatusOr<StoredTx> read_tx(const Hash32& id) const = 0;

  virtual LedgerStats stats() const = 0;

  // OK while the writer accepts blocks; ResourceExhausted after the last write
  // hit a full disk (until a write succeeds); Internal once the writer stopped.
  virtual absl::Status health() const { return absl::OkStatus(); }
  // Where recovery found the ledger and what it did (for logs and /readyz).
  virtual std::string recovery_summary() const { return ""; }
};

}  // namespace bg
