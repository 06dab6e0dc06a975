// IdIndex: the RocksDB database and the heights file under DATA/index/.
#include "ledger/id_index.h"

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <fcntl.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "host/fd.h"
#include "host/status_macros.h"
#include "host/thread_pool.h"

namespace bg {
namespace {

// Ids are exactly 32 bytes; the meta key is shorter, so it can never collide.
constexpr char kMetaKey[] = "\0bg-index-meta";
constexpr size_t kMetaKeyLen = sizeof(kMetaKey) - 1;
constexpr size_t kHeightEntry = 16;
const char* const kHeightsFile = "heights";
// SST files being written for ingestion (moved into the database by it; a
// crash may leave one behind, removed at the next open).
const char* const kIngestDir = "ingest";
// An ingestion refused for want of disk space is tried again after this.
constexpr std::chrono::milliseconds kIngestMinBackoff{100}, kIngestMaxBackoff{5000};
// Bytes one staged id costs in a hash map slot (key, value, control byte),
// and in the sorted copy the ingestion makes: size the buffers from the budget.
constexpr size_t kStagedSlotBytes = 32 + sizeof(IndexEntry) + 1;
constexpr size_t kSortBytesPerId = sizeof(std::pair<Hash32, IndexEntry>);
// RocksDB's own memtables: only the meta of an empty open and nothing else
// goes through them now, so they get a small fixed share of the budget.
constexpr size_t kMemtableBytes = 2 << 20;

rocksdb::Slice id_slice(const Hash32& id) { return rocksdb::Slice(reinterpret_cast<const char*>(id.data()), 32); }

char* put_varint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = char(uint8_t(v) | 0x80);
    v >>= 7;
  }
  *p++ = char(v);
  return p;
}
bool get_varint(const char*& p, const char* end, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const uint8_t b = uint8_t(*p++);
    r |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = r;
      return true;
    }
  }
  return false;
}

// Values: four varints (height, index, segment offset, length): 8-12 bytes
// for a ledger of a few billion transactions instead of 24 fixed. Encoded
// into the caller's buffer (no allocation per entry on the writer's path).
constexpr size_t kMaxEntryBytes = 10 + 5 + 10 + 5;
rocksdb::Slice encode_entry(const IndexEntry& e, char (&buf)[kMaxEntryBytes]) {
  char* p = buf;
  p = put_varint(p, e.height);
  p = put_varint(p, e.index);
  p = put_varint(p, e.offset);
  p = put_varint(p, e.length);
  return rocksdb::Slice(buf, size_t(p - buf));
}
bool decode_entry(rocksdb::Slice s, IndexEntry* e) {
  const char* p = s.data();
  const char* end = p + s.size();
  uint64_t h = 0, i = 0, o = 0, l = 0;
  if (!get_varint(p, end, &h) || !get_varint(p, end, &i) || !get_varint(p, end, &o) || !get_varint(p, end, &l) ||
      p != end || i > UINT32_MAX || l > UINT32_MAX)
    return false;
  *e = IndexEntry{h, uint32_t(i), o, uint32_t(l)};
  return true;
}

std::string encode_meta(const IndexMeta& m) {
  Bytes b;
  put_u32le(b, m.version);
  b.insert(b.end(), m.genesis_hash.begin(), m.genesis_hash.end());
  put_u64le(b, m.covered_height);
  b.insert(b.end(), m.covered_hash.begin(), m.covered_hash.end());
  put_u64le(b, m.covered_txs);
  return std::string(b.begin(), b.end());
}
std::optional<IndexMeta> decode_meta(const std::string& s) {
  if (s.size() < 4) return std::nullopt;
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  IndexMeta m;
  m.version = get_u32le(p);
  if (m.version != kIndexFormatVersion) return m;  // the caller reports the mismatch
  if (s.size() != 4 + 32 + 8 + 32 + 8) return std::nullopt;
  std::memcpy(m.genesis_hash.data(), p + 4, 32);
  m.covered_height = get_u64le(p + 36);
  std::memcpy(m.covered_hash.data(), p + 44, 32);
  m.covered_txs = get_u64le(p + 76);
  return m;
}

absl::Status from_rocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(what, ": ", s.ToString()));
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(absl::StrCat(what, ": ", s.ToString()));
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

// Before RocksDB writes a memtable out (the only moment index data becomes
// durable, WAL being off), the heights entries it refers to are made durable:
// a power cut can then never leave a meta on disk that covers heights the
// heights file lost.
class HeightsSync : public rocksdb::EventListener {
 public:
  explicit HeightsSync(int fd) : fd_(fd) {}
  void OnFlushBegin(rocksdb::DB*, const rocksdb::FlushJobInfo&) override { ::fdatasync(fd_); }

 private:
  int fd_;
};

class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

}  // namespace

IdIndex::Batch::Batch() = default;
IdIndex::Batch::~Batch() = default;

void IdIndex::Batch::add_block(uint64_t height, const RecordLoc& loc) {
  if (locs_.empty()) first_height_ = height;
  locs_.push_back(loc);
}
void IdIndex::Batch::add_tx(const Hash32& id, const IndexEntry& e) { txs_.emplace_back(id, e); }
void IdIndex::Batch::clear() {
  locs_.clear();
  txs_.clear();
}

absl::StatusOr<std::unique_ptr<IdIndex>> IdIndex::open(const std::string& dir, const IndexTuning& tuning,
                                                       bool* created, bool read_only) {
  std::unique_ptr<IdIndex> ix(new IdIndex);
  ix->dir_ = dir;
  ix->read_only_ = read_only;
  if (tuning.heights_reserve_bytes > 0) ix->heights_reserve_step_ = tuning.heights_reserve_bytes;
  struct stat st;
  // A new index: no directory yet, or an empty one (a mount point of its own).
  std::error_code ec;
  *created = ::stat(dir.c_str(), &st) != 0 ||
             (S_ISDIR(st.st_mode) && std::filesystem::is_empty(dir, ec) && !ec);
  if (*created && read_only) return absl::NotFoundError(absl::StrCat("no index at ", dir));
  if (*created && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", errno_text(errno)));
  const std::string hpath = absl::StrCat(dir, "/", kHeightsFile);
  ix->heights_fd_ =
      ::open(hpath.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | (*created ? O_CREAT : 0), 0644);
  if (ix->heights_fd_ < 0) return absl::NotFoundError(absl::StrCat("cannot open ", hpath, ": ", errno_text(errno)));

  rocksdb::Options o;
  o.create_if_missing = *created;
  o.error_if_exists = *created;
  o.paranoid_checks = true;
  o.max_open_files = -1;  // every table's footer, index and filter handles are checked at open
  o.info_log_level = rocksdb::WARN_LEVEL;
  o.keep_log_file_num = 2;
  o.max_log_file_size = 1 << 20;
  o.write_buffer_size = kMemtableBytes;
  o.max_write_buffer_number = 2;
  // A bloom filter inside each memtable: unknown ids skip the skiplist walk.
  o.memtable_prefix_bloom_size_ratio = 0.05;
  o.memtable_whole_key_filtering = true;
  o.level_compaction_dynamic_level_bytes = true;
  o.level0_file_num_compaction_trigger = 8;
  o.level0_slowdown_writes_trigger = 32;
  o.level0_stop_writes_trigger = 48;
  o.max_background_jobs = 2;
  o.compression = tuning.compress ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  o.bottommost_compression = o.compression;
  // Misses are the common case (every duplicate check of a new id): filters
  // stay on every level, the last included.
  o.optimize_filters_for_hits = false;
  ix->statistics_ = rocksdb::CreateDBStatistics();
  ix->statistics_->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  o.statistics = ix->statistics_;
  if (!read_only) o.listeners.push_back(std::make_shared<HeightsSync>(ix->heights_fd_));
  // Read-only opens must not even rotate the LOG file.
  if (read_only) o.info_log = std::make_shared<NullLogger>();

  rocksdb::BlockBasedTableOptions t;
  ix->cache_ = rocksdb::NewLRUCache(std::max<size_t>(tuning.cache_mb, 1) << 20, -1, false, 0.5);
  t.block_cache = ix->cache_;
  // Index and filter blocks live in the (bounded) cache too, partitioned, so
  // memory does not grow with the number of ids.
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_top_level_index_and_filter = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  t.partition_filters = true;
  t.metadata_block_size = 4096;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.whole_key_filtering = true;
  t.optimize_filters_for_memory = true;
  t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  t.data_block_hash_table_util_ratio = 0.75;
  t.format_version = 5;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));

  ix->options_ = std::make_unique<rocksdb::Options>(o);
  // Two buffers (active, frozen) of `capacity` slots each plus the sort's
  // array, within what the memtables leave of the budget. The maps grow in
  // powers of two: a buffer is frozen at 7/8 of its capacity, its maximum
  // load, so it never rehashes.
  {
    const size_t budget = std::max<size_t>(tuning.memtable_mb << 20, 8 << 20) - 2 * kMemtableBytes;
    size_t capacity = 1024;
    while ((capacity * 2) * (2 * kStagedSlotBytes + kSortBytesPerId) <= budget) capacity *= 2;
    ix->staged_cap_ = tuning.buffer_ids ? tuning.buffer_ids : (capacity - 1) / 8 * 7;
  }
  const std::string ingest_dir = absl::StrCat(dir, "/", kIngestDir);
  if (!read_only) {
    std::error_code ec;
    std::filesystem::remove_all(ingest_dir, ec);  // what a crash left
    if (::mkdir(ingest_dir.c_str(), 0755) != 0 && errno != EEXIST)
      return absl::UnavailableError(absl::StrCat("cannot create ", ingest_dir, ": ", errno_text(errno)));
  }

  rocksdb::DB* db = nullptr;
  rocksdb::Status s = read_only ? rocksdb::DB::OpenForReadOnly(o, dir, &db) : rocksdb::DB::Open(o, dir, &db);
  if (!s.ok()) return absl::DataLossError(absl::StrCat("cannot open the RocksDB database: ", s.ToString()));
  ix->db_.reset(db);
  std::string mv;
  s = db->Get(rocksdb::ReadOptions(), rocksdb::Slice(kMetaKey, kMetaKeyLen), &mv);
  if (s.ok()) {
    ix->meta_ = decode_meta(mv);
    if (!ix->meta_) return absl::DataLossError("malformed meta record");
  } else if (!s.IsNotFound()) {
    return from_rocks(s, "reading the meta record");
  }
  if (!read_only) ix->start_ingester();
  return ix;
}

absl::Status IdIndex::wipe(const std::string& dir) {
  // The directory's contents, not the directory: DIR/index may be a mount
  // point of its own (the index on a faster or separate volume).
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return absl::OkStatus();
  if (!std::filesystem::is_directory(dir, ec)) {  // something else in its place
    std::filesystem::remove(dir, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot remove ", dir, ": ", ec.message()));
    return absl::OkStatus();
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::filesystem::remove_all(entry.path(), ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot remove ", entry.path().string(), ": ", ec.message()));
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

IdIndex::~IdIndex() {
  bool flushed = false;
  if (ingester_.joinable()) {
    // What is buffered goes in now: a clean close leaves nothing to catch up.
    // A failure only costs the next open a longer catch-up scan.
    flushed = flush().ok();
    {
      std::lock_guard g(ingest_mu_);
      ingest_stop_ = true;
    }
    ingest_cv_.notify_all();
    ingester_.join();
  }
  if (db_ && read_only_) {
    db_.reset();
  } else if (db_) {
    // Nothing goes through the memtables, so RocksDB would keep every
    // (empty) WAL file it opened: one more per start. The meta as it is in
    // the database, flushed through the memtable, moves its log number on
    // and lets it delete them.
    // Only with room to spare: a memtable flush that fails for want of
    // space makes RocksDB's close abort (seen on a full tmpfs).
    struct statvfs vfs;
    const bool room = ::statvfs(dir_.c_str(), &vfs) == 0 && uint64_t(vfs.f_bavail) * vfs.f_frsize >= (16u << 20);
    if (meta_ && flushed && room) {
      rocksdb::WriteOptions wo;
      wo.disableWAL = true;
      db_->Put(wo, rocksdb::Slice(kMetaKey, kMetaKeyLen), encode_meta(*meta_));
    }
    rocksdb::FlushOptions fo;
    fo.wait = true;
    db_->Flush(fo);
    db_->Close();
    db_.reset();
  }
  if (heights_fd_ >= 0) {
    if (!read_only_) ::fdatasync(heights_fd_);
    ::close(heights_fd_);
  }
}

uint64_t IdIndex::heights_count() const {
  struct stat st;
  if (fstat(heights_fd_, &st) != 0) return 0;
  return uint64_t(st.st_size) / kHeightEntry;
}

absl::StatusOr<RecordLoc> IdIndex::height_loc(uint64_t height) const {
  uint8_t b[kHeightEntry];
  size_t got = 0;
  while (got < kHeightEntry) {
    ssize_t r = ::pread(heights_fd_, b + got, kHeightEntry - got, off_t(height * kHeightEntry + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return absl::DataLossError(absl::StrCat("index heights file: no entry for height ", height,
                                              r < 0 ? absl::StrCat(": ", errno_text(errno)) : ""));
    got += size_t(r);
  }
  return RecordLoc{get_u32le(b), get_u32le(b + 4), get_u64le(b + 8)};
}

absl::Status IdIndex::truncate_heights(uint64_t count) {
  if (::ftruncate(heights_fd_, off_t(count * kHeightEntry)) != 0)
    return absl::InternalError(absl::StrCat("cannot truncate the index heights file: ", errno_text(errno)));
  heights_reserved_ = 0;  // what lay past the new end is freed
  return absl::OkStatus();
}

absl::Status IdIndex::reserve_heights(uint64_t end_height) {
  const uint64_t need = end_height * kHeightEntry;
  if (need <= heights_reserved_) return absl::OkStatus();
  // A whole step ahead, or, on a disk too full for that, just this batch's.
  uint64_t upto = (need / heights_reserve_step_ + 1) * heights_reserve_step_;
  int r;
  for (;;) {
    do {
      r = ::fallocate(heights_fd_, FALLOC_FL_KEEP_SIZE, off_t(heights_reserved_), off_t(upto - heights_reserved_));
    } while (r != 0 && errno == EINTR);
    if (r == 0 || upto == need || (errno != ENOSPC && errno != EDQUOT)) break;
    upto = need;
  }
  if (r != 0) {
    const int e = errno;
    if (e == ENOSPC || e == EDQUOT)
      return absl::ResourceExhaustedError(
          absl::StrCat("disk full: no room to reserve the index heights file's next ", upto - heights_reserved_,
                       " bytes (", errno_text(e), ")"));
    if (e == EOPNOTSUPP || e == ENOSYS) {
      heights_reserved_ = UINT64_MAX;  // the file system cannot reserve: the pwrite takes its chances
      return absl::OkStatus();
    }
    return absl::InternalError(absl::StrCat("index heights file: fallocate failed: ", errno_text(e)));
  }
  heights_reserved_ = upto;
  return absl::OkStatus();
}

absl::Status IdIndex::write(Batch& batch, const IndexMeta& meta) {
  {
    std::lock_guard g(ingest_mu_);
    if (!ingest_error_.ok()) return ingest_error_;
  }
  if (!batch.locs_.empty()) {
    Bytes buf;
    buf.reserve(batch.locs_.size() * kHeightEntry);
    for (const RecordLoc& l : batch.locs_) {
      put_u32le(buf, l.segment);
      put_u32le(buf, l.block_bytes);
      put_u64le(buf, l.offset);
    }
    size_t done = 0;
    const off_t base = off_t(batch.first_height_ * kHeightEntry);
    while (done < buf.size()) {
      ssize_t r = ::pwrite(heights_fd_, buf.data() + done, buf.size() - done, base + off_t(done));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0)
        return absl::InternalError(absl::StrCat("index heights file: write failed: ", errno_text(errno)));
      done += size_t(r);
    }
  }
  // Into the active buffer, freezing it whenever it is full; the meta that
  // goes with a frozen buffer covers exactly the ids in it and before it.
  size_t i = 0;
  const size_t n = batch.txs_.size();
  do {
    const size_t room = staged_cap_ - std::min(staged_cap_, active_->ids.size());
    const size_t take = std::min(room, n - i);
    {
      std::unique_lock lk(staged_mu_);
      for (size_t k = i; k < i + take; ++k) active_->ids.insert_or_assign(batch.txs_[k].first, batch.txs_[k].second);
      if (i + take == n) active_->meta = meta;
    }
    i += take;
    if (i < n) {
      // Full mid-batch: the meta this buffer is ingested with must not claim
      // the batch; it keeps the previous one (set by the last complete write).
      BG_RETURN_IF_ERROR(freeze());
    }
  } while (i < n);
  active_dirty_ = true;
  if (active_->ids.size() >= staged_cap_) BG_RETURN_IF_ERROR(freeze());
  return absl::OkStatus();
}

std::unique_ptr<IdIndex::Staged> IdIndex::new_buffer() const {
  auto b = std::make_unique<Staged>();
  b->ids.reserve(staged_cap_);
  return b;
}

void IdIndex::start_ingester() {
  active_ = new_buffer();
  if (meta_) active_->meta = *meta_;
  ingester_ = std::thread([this] { ingest_loop(); });
}

absl::Status IdIndex::freeze() {
  {
    // At most one frozen buffer waits: the writer waits here while the
    // ingester is behind (back-pressure; memory stays within the budget).
    std::unique_lock g(ingest_mu_);
    ingest_cv_.wait(g, [&] { return frozen_waiting_ < 1 || !ingest_error_.ok(); });
    if (!ingest_error_.ok()) return ingest_error_;
  }
  std::unique_ptr<Staged> next = new_buffer();
  {
    std::unique_lock lk(staged_mu_);
    next->meta = active_->meta;  // until the next complete write, the same coverage
    frozen_.push_back(std::move(active_));
    active_ = std::move(next);
  }
  active_dirty_ = false;
  {
    std::lock_guard g(ingest_mu_);
    ++frozen_waiting_;
  }
  ingest_cv_.notify_all();
  return absl::OkStatus();
}

bool IdIndex::retry_after_disk_full(const absl::Status& st, std::chrono::milliseconds* backoff) {
  {
    std::unique_lock g(ingest_mu_);
    if (ingest_waiting_.ok())
      std::fprintf(stderr, "blockgate: %s; retrying (backoff up to %lld ms) until there is room\n",
                   std::string(st.message()).c_str(), static_cast<long long>(kIngestMaxBackoff.count()));
    if (ingest_stop_ || give_up_retries_) return false;  // closing: give up
    ingest_waiting_ = st;
    if (ingest_cv_.wait_for(g, *backoff, [&] { return ingest_stop_ || give_up_retries_; })) return false;
  }
  *backoff = std::min(*backoff * 2, kIngestMaxBackoff);
  // A failed ingestion may have left RocksDB in its error state (a MANIFEST
  // write refused): with room again, Resume() clears it; until then the
  // next attempt fails the same way.
  db_->Resume();
  return true;
}

void IdIndex::stop_retrying() {
  {
    std::lock_guard g(ingest_mu_);
    give_up_retries_ = true;
  }
  ingest_cv_.notify_all();
}

absl::Status IdIndex::ingest_waiting() const {
  std::lock_guard g(ingest_mu_);
  return ingest_waiting_;
}

void IdIndex::ingest_loop() {
  set_thread_name("bg-ingest");
  uint64_t seq = 0;
  auto backoff = kIngestMinBackoff;
  while (true) {
    {
      std::unique_lock g(ingest_mu_);
      ingest_cv_.wait(g, [&] { return ingest_stop_ || frozen_waiting_ > 0; });
      if (frozen_waiting_ == 0) return;  // stopping, and nothing left
    }
    const Staged* s = nullptr;
    {
      std::shared_lock lk(staged_mu_);
      s = frozen_.front().get();  // only this thread pops: stays valid
    }
    absl::Status st = ingest(*s, ++seq);
    if (absl::IsResourceExhausted(st) && retry_after_disk_full(st, &backoff)) continue;
    backoff = kIngestMinBackoff;
    if (st.ok()) {
      // Now in RocksDB: lookups find the ids there from here on.
      std::unique_lock lk(staged_mu_);
      meta_ = s->meta;
      frozen_.pop_front();
      ingested_.fetch_add(1, std::memory_order_release);
    }
    {
      std::lock_guard g(ingest_mu_);
      if (!st.ok()) ingest_error_ = st;  // the buffer stays: lookups still see its ids
      else --frozen_waiting_;
      if (st.ok() && !ingest_waiting_.ok()) {
        ingest_waiting_ = absl::OkStatus();
        std::fprintf(stderr, "blockgate: index: ingestion resumed (disk space returned)\n");
      }
    }
    ingest_cv_.notify_all();
    if (!st.ok()) return;
  }
}

absl::Status IdIndex::ingest(const Staged& s, uint64_t seq) {
  // Key order for the SST writer. Ids are uniformly distributed: one pass
  // counts them per bucket of their top 10 bits, a second copies them into
  // their buckets (reading the map in its own order, writing 1,024 streams),
  // and each bucket (~0.1 % of the ids, a few KB) is sorted in cache. The
  // SST writer then reads the array front to back.
  constexpr int kBucketBits = 10;
  const auto bucket = [](const Hash32& id) { return (size_t(id[0]) << 2) | (id[1] >> 6); };
  std::vector<uint32_t> start((size_t(1) << kBucketBits) + 1, 0);
  for (const auto& kv : s.ids) ++start[bucket(kv.first) + 1];
  for (size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<std::pair<Hash32, IndexEntry>> recs(s.ids.size());
  {
    std::vector<uint32_t> next(start.begin(), start.end() - 1);
    for (const auto& kv : s.ids) recs[next[bucket(kv.first)]++] = kv;
  }
  const auto less = [](const std::pair<Hash32, IndexEntry>& a, const std::pair<Hash32, IndexEntry>& b) {
    return std::memcmp(a.first.data(), b.first.data(), 32) < 0;
  };
  for (size_t b = 0; b + 1 < start.size(); ++b) std::sort(recs.begin() + start[b], recs.begin() + start[b + 1], less);
  const std::string path = absl::StrCat(dir_, "/", kIngestDir, "/", seq, ".sst");
  rocksdb::SstFileWriter w(rocksdb::EnvOptions(), *options_);
  rocksdb::Status rs = w.Open(path);
  if (!rs.ok()) return from_rocks(rs, "index: opening an SST file to ingest");
  // The meta key is 14 bytes: it sorts before every id whose first 14 bytes
  // are not below its own.
  const std::string meta = encode_meta(s.meta);
  const rocksdb::Slice meta_key(kMetaKey, kMetaKeyLen);
  bool meta_done = false;
  char buf[kMaxEntryBytes];
  for (const auto& [id, entry] : recs) {
    if (!meta_done && std::memcmp(kMetaKey, id.data(), kMetaKeyLen) <= 0) {
      if (rs = w.Put(meta_key, meta); !rs.ok()) break;
      meta_done = true;
    }
    if (rs = w.Put(id_slice(id), encode_entry(entry, buf)); !rs.ok()) break;
  }
  if (rs.ok() && !meta_done) rs = w.Put(meta_key, meta);
  if (rs.ok()) rs = w.Finish();
  if (!rs.ok()) {
    ::unlink(path.c_str());
    return from_rocks(rs, "index: writing an SST file to ingest");
  }
  // The meta covers heights the heights file must hold after a power cut.
  if (::fdatasync(heights_fd_) != 0)
    return absl::InternalError(absl::StrCat("index heights file: fdatasync failed: ", errno_text(errno)));
  rocksdb::IngestExternalFileOptions io;
  io.move_files = true;
  io.write_global_seqno = false;
  io.allow_blocking_flush = true;
  rs = db_->IngestExternalFile({path}, io);
  if (!rs.ok()) {
    ::unlink(path.c_str());
    return from_rocks(rs, "index: ingesting an SST file");
  }
  return absl::OkStatus();
}

std::optional<IndexEntry> IdIndex::find_staged(const Hash32& id) const {
  if (!active_) return std::nullopt;
  if (auto it = active_->ids.find(id); it != active_->ids.end()) return it->second;
  for (auto f = frozen_.rbegin(); f != frozen_.rend(); ++f)
    if (auto it = (*f)->ids.find(id); it != (*f)->ids.end()) return it->second;
  return std::nullopt;
}

std::optional<size_t> IdIndex::first_staged(std::span<const Hash32> ids) const {
  std::shared_lock lk(staged_mu_);
  for (size_t i = 0; i < ids.size(); ++i)
    if (find_staged(ids[i])) return i;
  return std::nullopt;
}

uint64_t IdIndex::staged_ids() const {
  std::shared_lock lk(staged_mu_);
  uint64_t n = active_ ? active_->ids.size() : 0;
  for (const auto& f : frozen_) n += f->ids.size();
  return n;
}
uint64_t IdIndex::ingested_files() const { return ingested_.load(std::memory_order_acquire); }

std::optional<IndexEntry> IdIndex::get(const Hash32& id, absl::Status* error) const {
  // The write buffer first: an id leaves it only once RocksDB holds it.
  {
    std::shared_lock lk(staged_mu_);
    if (auto e = find_staged(id)) return e;
  }
  rocksdb::PinnableSlice v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), id_slice(id), &v);
  if (s.IsNotFound()) return std::nullopt;
  IndexEntry e;
  if (!s.ok()) {
    *error = from_rocks(s, "index lookup");
    return std::nullopt;
  }
  if (!decode_entry(v, &e)) {
    *error = absl::DataLossError(absl::StrCat("index entry for ", to_hex(id), " is malformed"));
    return std::nullopt;
  }
  return e;
}

absl::Status IdIndex::multi_get(std::span<const Hash32> ids, std::span<uint8_t> found, IndexEntry* entries) const {
  // The write buffer first (an id leaves it only once RocksDB holds it),
  // then RocksDB for the rest.
  std::vector<uint32_t> rest;
  rest.reserve(ids.size());
  {
    std::shared_lock lk(staged_mu_);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (auto e = find_staged(ids[i])) {
        found[i] = 1;
        if (entries != nullptr) entries[i] = *e;
      } else {
        rest.push_back(uint32_t(i));
      }
    }
  }
  const size_t n = rest.size();
  if (n == 0) return absl::OkStatus();
  std::vector<rocksdb::Slice> keys(n);
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> st(n);
  for (size_t k = 0; k < n; ++k) keys[k] = id_slice(ids[rest[k]]);
  db_->MultiGet(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), n, keys.data(), values.data(), st.data(),
                /*sorted_input=*/false);
  for (size_t k = 0; k < n; ++k) {
    const size_t i = rest[k];
    if (st[k].IsNotFound()) {
      found[i] = 0;
      continue;
    }
    if (!st[k].ok()) return from_rocks(st[k], "index lookup");
    found[i] = 1;
    if (entries != nullptr && !decode_entry(values[k], &entries[i]))
      return absl::DataLossError(absl::StrCat("index entry for ", to_hex(ids[i]), " is malformed"));
  }
  return absl::OkStatus();
}

absl::Status IdIndex::for_each(const std::function<bool(const Hash32&, const IndexEntry&)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() == kMetaKeyLen && std::memcmp(k.data(), kMetaKey, kMetaKeyLen) == 0) continue;
    if (k.size() != 32) return absl::DataLossError(absl::StrCat("index key of ", k.size(), " bytes"));
    Hash32 id;
    std::memcpy(id.data(), k.data(), 32);
    IndexEntry e;
    if (!decode_entry(it->value(), &e))
      return absl::DataLossError(absl::StrCat("index entry for ", to_hex(id), " is malformed"));
    if (!fn(id, e)) return absl::OkStatus();
  }
  return from_rocks(it->status(), "index iteration");
}

absl::Status IdIndex::for_each_id(const std::function<bool(const Hash32&)>& fn) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  Hash32 id;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() != 32) continue;  // the meta key
    std::memcpy(id.data(), k.data(), 32);
    if (!fn(id)) return absl::OkStatus();
  }
  return from_rocks(it->status(), "index iteration");
}

std::string IdIndex::identity() const {
  std::string id;
  if (!db_->GetDbIdentity(id).ok()) return std::string();
  return id;
}

absl::Status IdIndex::flush() {
  if (read_only_) return absl::OkStatus();
  if (active_dirty_) BG_RETURN_IF_ERROR(freeze());
  std::unique_lock g(ingest_mu_);
  ingest_cv_.wait(g, [&] { return frozen_waiting_ == 0 || !ingest_error_.ok(); });
  return ingest_error_;
}

uint64_t IdIndex::size_on_disk() const {
  uint64_t sst = 0;
  db_->GetIntProperty("rocksdb.total-sst-files-size", &sst);
  return sst + heights_count() * kHeightEntry;
}

uint64_t IdIndex::level0_files() const {
  std::string v;  // a string property, not an integer one
  uint64_t n = 0;
  if (db_->GetProperty("rocksdb.num-files-at-level0", &v)) (void)absl::SimpleAtoi(v, &n);
  return n;
}

bool IdIndex::compacting() const {
  uint64_t running = 0, pending = 0;
  db_->GetIntProperty("rocksdb.num-running-compactions", &running);
  db_->GetIntProperty("rocksdb.compaction-pending", &pending);
  return running > 0 || pending > 0;
}

double IdIndex::cache_hit_ratio() const {
  const uint64_t hit = statistics_->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
  const uint64_t miss = statistics_->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
  return hit + miss == 0 ? 0.0 : double(hit) / double(hit + miss);
}

uint64_t IdIndex::cache_bytes_used() const { return cache_->GetUsage(); }

}  // namespace bg
