// The ledger's persistent, derived index under DATA/index/ (docs/LEDGER.md,
// "The index"):
//  - a RocksDB database: transaction id (32 bytes) -> where the transaction
//    lies (height, index in block, byte offset and length inside its segment),
//    plus one meta key: format version, the ledger's identity (genesis hash,
//    the hash at the covered height) and the highest height covered;
//  - `heights`: an append-only file of 16-byte entries, entry h = where the
//    record of block h lies (segment, block length, record offset).
// The segments are the truth: the index is written only after a batch's
// fdatasync returned, its own writes are not synced (WAL off; the catch-up
// scan at open repairs whatever a crash lost), and anything that does not
// check out at open is rebuilt from the segments.
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

#include "host/bytes.h"
#include "ledger/ledger.h"
#include "ledger/segment_writer.h"

namespace rocksdb {
class DB;
class WriteBatch;
class Cache;
class Statistics;
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
  size_t memtable_mb = 64;   // all memtables together
  bool compress = false;     // LZ4 on data blocks (measured: see docs/PERFORMANCE.md)
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
  ~IdIndex();  // flushes the memtable (a clean shutdown leaves nothing to catch up)

  const std::optional<IndexMeta>& meta() const { return meta_; }
  // Entries in `heights` (blocks whose location is recorded).
  uint64_t heights_count() const;
  absl::StatusOr<RecordLoc> height_loc(uint64_t height) const;  // pread of 16 bytes
  // Drops heights entries past `count` (stale entries of batches whose meta
  // never reached the database).
  absl::Status truncate_heights(uint64_t count);

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
    std::unique_ptr<rocksdb::WriteBatch> wb_;
    // Put into wb_ in key order at write(): the memtable's skiplist inserts
    // then start from the previous key's position (random-order inserts were
    // the writer's largest cost).
    std::vector<std::pair<Hash32, IndexEntry>> txs_;
  };
  // Heights entries first (pwrite), then the ids (sorted) and the new meta in one
  // RocksDB write (no WAL): a crash keeps a prefix of the writes, and the
  // meta never claims more than the ids that reached the database.
  absl::Status write(Batch& batch, const IndexMeta& meta);

  std::optional<IndexEntry> get(const Hash32& id, absl::Status* error) const;
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

  absl::Status flush();
  uint64_t size_on_disk() const;   // SST files + heights file
  double cache_hit_ratio() const;  // block cache hits / lookups since open (0 when none)
  uint64_t cache_bytes_used() const;

 private:
  IdIndex() = default;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<rocksdb::Statistics> statistics_;
  int heights_fd_ = -1;
  bool read_only_ = false;
  std::optional<IndexMeta> meta_;
};

}  // namespace bg
