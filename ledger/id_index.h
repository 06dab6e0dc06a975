// The ledger's persistent, derived index under DATA/index/ (docs/LEDGER.md,
// "The index"):
//  - a RocksDB database: transaction id (32 bytes) -> where the transaction
//    lies (height, index in block, byte offset and length inside its segment),
//    plus one meta key: format version, the ledger's identity (genesis hash,
//    the hash at the covered height) and the highest height covered;
//  - `heights`: an append-only file of 16-byte entries, entry h = where the
//    record of block h lies (segment, block length, record offset).
// The segments are the truth: the index is written only after a batch's
// fdatasync returned, its own writes are not synced per batch (the catch-up
// scan at open repairs whatever a crash lost), and anything that does not
// check out at open is rebuilt from the segments.
//
// Writes go to a write buffer in memory (a hash map, answered by every
// lookup); a full buffer is frozen, sorted and handed to RocksDB as one SST
// file (IngestExternalFile) by the index's own thread, together with the meta
// it covers. The writer's cost per id is a hash-map insert, not a memtable
// skiplist insert, and a crash loses at most the buffered part, which the
// catch-up scan redoes.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "host/bytes.h"
#include "ledger/ledger.h"
#include "ledger/segment_writer.h"

namespace rocksdb {
class DB;
class Cache;
class Statistics;
struct Options;
}  // namespace rocksdb

namespace bg {

// Bumped whenever the key, value, meta or heights layout changes: an index of
// another version is rebuilt, never read.
constexpr uint32_t kIndexFormatVersion = 1;

struct IndexMeta {
  uint32_t version = kIndexFormatVersion;
  Hash32 genesis_hash{};
  uint64_t covered_height = 0;  // every block 0..covered_height is indexed
  Hash32 covered_hash{};
  uint64_t covered_txs = 0;     // transactions in blocks 0..covered_height
};

struct IndexTuning {
  size_t cache_mb = 256;     // block cache: data, index and filter blocks
  size_t memtable_mb = 64;   // the write buffer: staged ids (two hash maps) and RocksDB's memtables
  bool compress = false;     // LZ4 on data blocks (measured: see docs/PERFORMANCE.md)
  size_t buffer_ids = 0;     // tests: ids per write buffer (0: from memtable_mb)
  // Room reserved ahead in the heights file (bytes; 0: 1 MiB, 65,536 blocks).
  uint64_t heights_reserve_bytes = 0;
};

// One transaction's place, as stored.
struct IndexEntry {
  uint64_t height = 0;
  uint32_t index = 0;
  uint64_t offset = 0;  // of the transaction's first byte in its segment
  uint32_t length = 0;
};

class IdIndex {
 public:
  // Opens DATA/index (creating it when absent: `*created` says so). An error
  // means the directory holds something unusable (the caller wipes and
  // rebuilds); `meta()` is empty when the database has no meta key.
  // read_only (audit): creates, locks and writes nothing; NotFound when absent.
  static absl::StatusOr<std::unique_ptr<IdIndex>> open(const std::string& dir, const IndexTuning& tuning,
                                                       bool* created, bool read_only = false);
  // Removes DATA/index entirely.
  static absl::Status wipe(const std::string& dir);
  ~IdIndex();  // ingests the write buffer (a clean shutdown leaves nothing to catch up)

  const std::optional<IndexMeta>& meta() const { return meta_; }
  // Entries in `heights` (blocks whose location is recorded).
  uint64_t heights_count() const;
  absl::StatusOr<RecordLoc> height_loc(uint64_t height) const;  // pread of 16 bytes
  // Drops heights entries past `count` (stale entries of batches whose meta
  // never reached the database).
  absl::Status truncate_heights(uint64_t count);
  // Before a batch is written: makes sure the heights file has disk blocks
  // for the entries below `end_height` (fallocate ahead, in steps of
  // heights_reserve_bytes, the file's size unchanged), so that the entries'
  // pwrite after the batch's fsync cannot meet a full disk.
  // ResourceExhausted when there is no room: nothing was written.
  absl::Status reserve_heights(uint64_t end_height);

  // What one write adds: consecutive blocks from `first_height`.
  class Batch {
   public:
    Batch();
    ~Batch();
    void add_block(uint64_t height, const RecordLoc& loc);
    void add_tx(const Hash32& id, const IndexEntry& e);
    bool empty() const { return locs_.empty(); }
    size_t blocks() const { return locs_.size(); }
    size_t txs() const { return txs_.size(); }
    void clear();

   private:
    friend class IdIndex;
    uint64_t first_height_ = 0;
    std::vector<RecordLoc> locs_;
    std::vector<std::pair<Hash32, IndexEntry>> txs_;
  };
  // Heights entries first (pwrite), then the ids and the new meta into the
  // write buffer; a full buffer is frozen and ingested (with the meta it
  // covers, in one SST file) by the index thread. Blocks while a frozen
  // buffer is still being ingested and the active one is full (back-pressure
  // on the ledger's writer). A failed ingestion is returned by every later
  // write: the ledger stops writing, and a restart repairs the index.
  // A crash keeps a prefix of the ingestions, and the meta on disk never
  // claims more than the ids that reached the database.
  absl::Status write(Batch& batch, const IndexMeta& meta);

  std::optional<IndexEntry> get(const Hash32& id, absl::Status* error) const;
  // The first of `ids` in the write buffer (not RocksDB): a cheap re-check,
  // in memory only, for ids that left the ledger's pending set meanwhile.
  std::optional<size_t> first_staged(std::span<const Hash32> ids) const;
  // found[i] = 1 when ids[i] is indexed (entries[i] filled when non-null).
  absl::Status multi_get(std::span<const Hash32> ids, std::span<uint8_t> found, IndexEntry* entries) const;
  // Every entry, in key order (audit: no extra entries). Stops on a false return.
  absl::Status for_each(const std::function<bool(const Hash32&, const IndexEntry&)>& fn) const;
  // Every id, in key order, without decoding values or filling the block
  // cache (rebuilding the id filter). Stops on a false return.
  absl::Status for_each_id(const std::function<bool(const Hash32&)>& fn) const;
  // The RocksDB database's identity (unique per database created): the id
  // filter is bound to it.
  std::string identity() const;

  // Ingests the write buffer and waits (the end of a catch-up scan, close).
  absl::Status flush();
  // While an ingestion failed for want of disk space and is retried (with a
  // backoff of 100 ms to 5 s; the buffer stays answerable, and the writer
  // waits once the next buffer is full too): that error. OK otherwise.
  absl::Status ingest_waiting() const;
  // Closing: an ingestion waiting for disk space gives up (now or at its
  // next failure), so that the writer and flush() return an error instead
  // of waiting for room that may never come.
  void stop_retrying();
  uint64_t size_on_disk() const;   // SST files + heights file
  // Level-0 SST files (each ingested buffer lands there until compacted),
  // and whether RocksDB is compacting or has a compaction due.
  uint64_t level0_files() const;
  bool compacting() const;
  uint64_t staged_ids() const;     // ids in the write buffer, not yet in RocksDB
  // SST files ingested since open. Incremented with each buffer's removal
  // (under the same lock): a lookup that missed a removed buffer sees it.
  uint64_t ingested_files() const;
  // Ids one buffer holds before it is frozen (from the memtable budget).
  size_t buffer_capacity() const { return staged_cap_; }
  double cache_hit_ratio() const;  // block cache hits / lookups since open (0 when none)
  uint64_t cache_bytes_used() const;

 private:
  IdIndex() = default;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::Statistics> statistics_;
  std::unique_ptr<rocksdb::Options> options_;  // the SST files' writer needs the database's
  int heights_fd_ = -1;
  uint64_t heights_reserve_step_ = 1 << 20;
  uint64_t heights_reserved_ = 0;  // bytes of the heights file known to have disk blocks (writer side)
  bool read_only_ = false;
  std::optional<IndexMeta> meta_;  // as in the database (open; then each ingestion)

  // The write buffer. staged_mu_ guards active_ and frozen_ (lookups share
  // it; the writer's inserts and the ingester's pop take it exclusively).
  struct Staged {
    absl::flat_hash_map<Hash32, IndexEntry, Hash32Hasher> ids;
    IndexMeta meta;  // what the database covers once these ids are in
  };
  std::optional<IndexEntry> find_staged(const Hash32& id) const;  // staged_mu_ held
  void start_ingester();
  // Moves the active buffer to frozen_ for the ingester (waits while the
  // frozen queue is full). Writer side only.
  absl::Status freeze();
  void ingest_loop();
  absl::Status ingest(const Staged& s, uint64_t seq);
  // After a disk-full ingestion: logs (once), waits `*backoff` and doubles
  // it, clears RocksDB's error state. False when the index is closing.
  bool retry_after_disk_full(const absl::Status& st, std::chrono::milliseconds* backoff);
  std::unique_ptr<Staged> new_buffer() const;

  size_t staged_cap_ = 0;
  mutable std::shared_mutex staged_mu_;
  std::unique_ptr<Staged> active_;
  std::deque<std::unique_ptr<Staged>> frozen_;  // oldest first; the ingester pops the front
  bool active_dirty_ = false;                    // writer side: active_ holds a meta not yet frozen
  mutable std::mutex ingest_mu_;  // guards the five below
  std::condition_variable ingest_cv_;
  size_t frozen_waiting_ = 0;  // frozen buffers not yet ingested
  bool ingest_stop_ = false;
  absl::Status ingest_error_;
  absl::Status ingest_waiting_;  // the disk-full error an ingestion is retried after
  bool give_up_retries_ = false;
  std::atomic<uint64_t> ingested_{0};
  std::thread ingester_;
};

}  // namespace bg
