// The Ledger implementation: the submit queue and its group-commit writer
// thread (bytes go through SegmentWriter), the height and id indexes (the
// persistent IdIndex under DIR/index, or in memory for read-only opens), and
// the recovery decisions the open-time scan informs.
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/strings/str_cat.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <deque>
#include <filesystem>
#include <future>
#include <span>
#include <shared_mutex>
#include <thread>

#include "host/fd.h"
#include "host/hash.h"
#include "host/status_macros.h"
#include "ledger/id_filter.h"
#include "ledger/id_index.h"
#include "host/thread_pool.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "ledger/scan.h"
#include "ledger/segment_writer.h"

namespace bg {
namespace {

void log_line(const std::string& s) {
  // One fprintf so concurrent log lines do not interleave.
  std::fprintf(stderr, "blockgate ledger: %s\n", s.c_str());
}

uint64_t fs_size(const std::string& path, std::error_code* ec) {
  const auto n = std::filesystem::file_size(path, *ec);
  return *ec ? 0 : uint64_t(n);
}

bool has_segment_files(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind("segment-", 0) == 0) return true;
  return false;
}

std::string parent_of(const std::string& dir) {
  auto slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return dir.substr(0, slash);
}

// Block::encode() in one exact allocation (Transaction::append_encoding
// reserves exactly, which makes growing a 10,000-transaction block quadratic),
// and the ids hashed straight from the encoding (unless the caller gave them):
// no per-transaction buffers.
void encode_block(const Block& b, Bytes* out, std::vector<Hash32>* ids, bool hash_ids,
                  std::vector<uint32_t>* starts) {
  size_t n = kHeaderSize;
  for (const Transaction& tx : b.txs) n += tx.encoded_size();
  out->clear();
  out->reserve(n);
  const auto h = b.header.encode();
  out->insert(out->end(), h.begin(), h.end());
  if (hash_ids) {
    ids->clear();
    ids->reserve(b.txs.size());
  }
  starts->clear();
  starts->reserve(b.txs.size() + 1);
  for (const Transaction& tx : b.txs) {
    const size_t start = out->size();
    starts->push_back(uint32_t(start));
    tx.append_encoding(*out);
    if (hash_ids) ids->push_back(sha256(ByteSpan(out->data() + start, out->size() - start)));
  }
  starts->push_back(uint32_t(out->size()));
}

// The index of the first id that repeats an earlier one in the same block.
// Small blocks (the common sealed case) compare pairwise: no allocation.
std::optional<uint32_t> repeated_inside(const std::vector<Hash32>& ids) {
  if (ids.size() <= 16) {
    for (uint32_t i = 1; i < ids.size(); ++i)
      for (uint32_t j = 0; j < i; ++j)
        if (ids[i] == ids[j]) return i;
    return std::nullopt;
  }
  absl::flat_hash_set<Hash32, Hash32Hasher> seen;
  seen.reserve(ids.size());
  for (uint32_t i = 0; i < ids.size(); ++i)
    if (!seen.insert(ids[i]).second) return i;
  return std::nullopt;
}

// A block on its way to disk.
struct PendingBlock {
  Bytes bytes;  // Block::encode()
  BlockHeader header;
  Hash32 hash{};
  std::vector<Hash32> ids;
  std::vector<uint32_t> tx_starts;  // offset of each transaction in `bytes`, then bytes.size()
  CommitCallback done;
};

// Index writes during the open-time scan: this many transactions per RocksDB write.
constexpr size_t kScanBatchTxs = 1 << 16;

class FileLedger final : public Ledger {
 public:
  FileLedger(std::string dir, LedgerOptions opts) : dir_(std::move(dir)), opts_(std::move(opts)) {
    ops_ = opts_.file_ops ? opts_.file_ops : posix_file_ops();
    use_index_ = opts_.index && !opts_.read_only;
  }

  ~FileLedger() override {
    {
      std::unique_lock lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    // An ingestion waiting for disk space would hold the writer (and this
    // close) until there is room: it gives up instead; the next open's
    // catch-up scan indexes what it held.
    if (index_) index_->stop_retrying();
    if (writer_.joinable()) writer_.join();
    filter_stop_ = true;
    if (filter_builder_.joinable()) filter_builder_.join();
    if (filter_ && filter_ready_.load(std::memory_order_acquire)) {
      // Before the index's flush: the filter may be ahead of the index, never behind.
      if (absl::Status st = filter_->close_clean(); !st.ok())
        log_line(absl::StrCat("id filter not closed cleanly (rebuilt at the next open): ", st.message()));
    }
    filter_.reset();
    index_.reset();  // flushes its memtable: a clean stop leaves no tail to catch up
    read_fds_.clear();
    writer_segments_.reset();
    lock_fd_.reset();
  }

  absl::Status init();

  TipInfo durable_tip() const override {
    std::shared_lock lk(mu_);
    return durable_tip_;
  }
  TipInfo pending_tip() const override {
    std::shared_lock lk(mu_);
    return pending_tip_;
  }

  absl::Status submit(Block block, CommitCallback done) override {
    return submit_impl(std::move(block), std::nullopt, std::move(done));
  }
  absl::Status submit_with_ids(Block block, std::vector<Hash32> ids, CommitCallback done) override {
    if (ids.size() != block.txs.size())
      return absl::InvalidArgumentError(
          absl::StrCat(ids.size(), " ids given for ", block.txs.size(), " transactions"));
    return submit_impl(std::move(block), std::move(ids), std::move(done));
  }
  absl::Status append(Block block) override;

  absl::StatusOr<Block> read_block(uint64_t height) const override;
  absl::StatusOr<Bytes> read_block_bytes(uint64_t height) const override;
  absl::Status read_block_range(uint64_t first, size_t max_blocks, size_t max_bytes, BlockRange* out) const override;
  std::optional<TxLocation> find_tx(const Hash32& id) const override;
  bool contains_id(const Hash32& id) const override {
    uint8_t present = 0;
    contains_ids(std::span<const Hash32>(&id, 1), std::span<uint8_t>(&present, 1));
    return present != 0;
  }
  void contains_ids(std::span<const Hash32> ids, std::span<uint8_t> present) const override;
  absl::StatusOr<StoredTx> read_tx(const Hash32& id) const override;
  LedgerStats stats() const override;
  absl::Status health() const override {
    std::shared_lock lk(mu_);
    if (!writer_error_.ok()) return writer_error_;
    if (opts_.read_only) return absl::FailedPreconditionError("ledger opened read-only");
    if (disk_full_) return absl::ResourceExhaustedError("ledger: disk full; the last write was refused");
    if (index_) {
      if (absl::Status w = index_->ingest_waiting(); !w.ok())
        return absl::ResourceExhaustedError(
            absl::StrCat("ledger: disk full; the index's ingestion is retried until there is room (", w.message(),
                         ")"));
    }
    return absl::OkStatus();
  }
  std::string recovery_summary() const override { return recovery_summary_; }

 private:
  absl::Status init_memory_scan(std::optional<ScanResult>* out);
  absl::Status init_index_scan(std::optional<ScanResult>* out);
  // The usable index's start point, or why it is not usable.
  absl::StatusOr<ScanStart> check_index(const IndexMeta& meta);
  // One batch through the segment writer; stats on success.
  absl::Status write_batch(const std::vector<PendingBlock>& batch, std::vector<RecordLoc>* locs, bool* fatal);
  absl::Status add_read_fd(uint32_t index, const std::string& path);
  // Index entries (after the fsync), then the in-memory state. False when the
  // index write failed: the writer must stop.
  bool publish(std::vector<PendingBlock>& batch, const std::vector<RecordLoc>& locs);
  void writer_loop();
  absl::Status submit_impl(Block block, std::optional<std::vector<Hash32>> ids, CommitCallback done);
  // Where block `height` lies; NotFound past the durable tip.
  absl::StatusOr<RecordLoc> record_loc(uint64_t height, int* fd) const;
  std::optional<TxLocation> lookup(const Hash32& id) const;
  // Opens DIR/index/filter once the index is settled; index_fresh: the index
  // holds nothing yet (the scan that follows adds every id).
  absl::Status open_filter(const std::string& idir, bool index_fresh);
  void build_filter();  // filter_builder_'s body
  // The ids (indexes into `ids`) that may be durable: all of them without a
  // ready filter, else the filter's positives.
  void filter_candidates(std::span<const Hash32> ids, std::vector<uint32_t>* out) const;
  // An index read failed: log once, report through health(); lookups answer
  // "present" from then on (a duplicate refused, never one admitted).
  void index_failed(const absl::Status& st) const;

  const std::string dir_;
  const LedgerOptions opts_;
  bool use_index_ = true;
  std::shared_ptr<FileOps> ops_;
  UniqueFd lock_fd_;
  std::string recovery_summary_;
  std::unique_ptr<IdIndex> index_;  // null without an index; thread-safe itself
  // The id filter: every id is added before its index write. Queried only
  // once ready (trusted at open, or rebuilt from the index by filter_builder_).
  std::unique_ptr<IdFilter> filter_;
  std::atomic<bool> filter_ready_{false};
  std::atomic<bool> filter_stop_{false};
  bool filter_populate_ = false;  // init: the builder must fill it from the index
  std::thread filter_builder_;
  mutable std::atomic<uint64_t> filter_lookups_{0}, filter_passed_{0};
  IndexMeta index_meta_;            // writer thread (and init) only
  IdIndex::Batch index_batch_;      // writer thread (and init) only

  // Used by the writer thread only (and by init() before it starts).
  std::unique_ptr<SegmentWriter> writer_segments_;
  std::vector<ByteSpan> write_spans_;

  mutable std::shared_mutex mu_;  // guards everything below
  std::condition_variable_any cv_;
  std::vector<UniqueFd> read_fds_;  // one per segment; closed only in the destructor
  // Without an index: both in memory.
  std::vector<RecordLoc> heights_;
  absl::flat_hash_map<Hash32, TxLocation, Hash32Hasher> ids_;
  absl::flat_hash_map<Hash32, uint32_t, Hash32Hasher> pending_ids_;  // id -> count
  // Ids that left pending_ids_ (became durable and indexed): submit_impl
  // re-checks the write buffer when this moved during its index lookup.
  std::atomic<uint64_t> ids_published_{0};
  std::deque<PendingBlock> queue_;
  TipInfo durable_tip_, pending_tip_;
  LedgerStats stats_;
  absl::Status writer_error_;
  mutable absl::Status index_error_;
  bool disk_full_ = false;
  bool stopping_ = false;
  std::thread writer_;
};

absl::Status FileLedger::init() {
  if (!opts_.read_only) {
    if (::mkdir(dir_.c_str(), 0755) == 0) {
      if (fsync_directory(*ops_, parent_of(dir_)) != 0)
        return absl::InternalError(absl::StrCat("ledger: fsync of ", parent_of(dir_), ": ", errno_text(errno)));
    } else if (errno != EEXIST) {
      return absl::UnavailableError(absl::StrCat("ledger: cannot create ", dir_, ": ", errno_text(errno)));
    }
    const std::string lock_path = dir_ + "/LOCK";
    lock_fd_.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock_fd_) return absl::UnavailableError(absl::StrCat("ledger: cannot open ", lock_path, ": ", errno_text(errno)));
    if (flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0)
      return absl::FailedPreconditionError(absl::StrCat("ledger ", dir_, " is in use by another process"));
  }

  std::optional<ScanResult> scanned;
  BG_RETURN_IF_ERROR(use_index_ ? init_index_scan(&scanned) : init_memory_scan(&scanned));
  ScanResult* res = &*scanned;
  if (res->fault)
    return absl::DataLossError(absl::StrCat("ledger ", dir_, ": height ", res->fault->height, ": ", res->fault->reason,
                                            "; refusing to open (run `blockgate audit` for details)"));
  std::vector<SegmentFile>& segs = res->segments;
  if (res->tail_cut) {
    const TailCut& c = *res->tail_cut;
    const std::string what = absl::StrCat("torn tail in ", c.path, " at offset ", c.offset, " (", c.reason, "): ",
                                          c.bytes, " bytes from height ", c.first_height, " on, holding ",
                                          c.intact_records, " further intact record(s) of the unfinished batch");
    if (opts_.read_only) {
      recovery_summary_ = absl::StrCat("read-only: ignoring ", what);
    } else {
      UniqueFd fd(ops_->open(c.path.c_str(), O_WRONLY, 0));
      if (!fd || ops_->ftruncate(fd.get(), off_t(c.offset)) != 0 || ops_->fdatasync(fd.get()) != 0)
        return absl::InternalError(absl::StrCat("ledger: cannot truncate ", c.path, ": ", errno_text(errno)));
      recovery_summary_ = absl::StrCat("truncated ", what);
    }
    log_line(recovery_summary_);
  }
  for (const SegmentFile& s : segs) {
    UniqueFd fd(::open(s.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return absl::UnavailableError(absl::StrCat("ledger: cannot open ", s.path, ": ", errno_text(errno)));
    read_fds_.push_back(std::move(fd));
  }
  if (use_index_) {
    stats_.blocks_committed = res->tip ? res->tip->height + 1 : 0;
    stats_.txs_committed = index_meta_.covered_txs;
  } else {
    stats_.blocks_committed = res->blocks;
    stats_.txs_committed = res->txs;
  }

  if (opts_.read_only) {
    if (!res->tip) return absl::NotFoundError(absl::StrCat("no ledger in ", dir_));
    durable_tip_ = pending_tip_ = *res->tip;
    if (recovery_summary_.empty())
      recovery_summary_ = absl::StrCat("read-only: ", res->blocks, " blocks, tip ", durable_tip_.height);
    return absl::OkStatus();
  }

  bool fatal = false;
  writer_segments_ = std::make_unique<SegmentWriter>(
      dir_, opts_.segment_bytes, ops_,
      [this](uint32_t index, const std::string& path) { return add_read_fd(index, path); });
  if (segs.empty()) {
    BG_RETURN_IF_ERROR(writer_segments_->start_first());
  } else {
    const SegmentFile& last = segs.back();
    BG_RETURN_IF_ERROR(writer_segments_->resume(last.index, last.path, last.valid_end));
  }
  if (!res->tip) {
    // A new ledger (or one that crashed before genesis became durable).
    std::vector<PendingBlock> batch(1);
    const Block g = genesis_block();
    batch[0].bytes = g.encode();
    batch[0].header = g.header;
    batch[0].hash = g.header.hash();
    batch[0].tx_starts = {uint32_t(batch[0].bytes.size())};
    std::vector<RecordLoc> locs;
    BG_RETURN_IF_ERROR(write_batch(batch, &locs, &fatal));
    if (!publish(batch, locs)) return writer_error_;
    pending_tip_ = durable_tip_;
    if (recovery_summary_.empty()) recovery_summary_ = "created a new ledger with the genesis block";
  } else {
    durable_tip_ = pending_tip_ = *res->tip;
    if (recovery_summary_.empty()) {
      if (use_index_)
        recovery_summary_ = absl::StrCat("recovered tip ", durable_tip_.height, " (", stats_.txs_committed,
                                         " transactions); indexed ", stats_.index_catchup_blocks,
                                         " block(s) at open, nothing to repair");
      else
        recovery_summary_ = absl::StrCat("recovered ", res->blocks, " blocks, ", res->txs, " transactions, tip ",
                                         durable_tip_.height, ", nothing to repair");
    }
  }
  if (filter_populate_) filter_builder_ = std::thread([this] { build_filter(); });
  writer_ = std::thread([this] { writer_loop(); });
  return absl::OkStatus();
}

absl::Status FileLedger::open_filter(const std::string& idir, bool index_fresh) {
  if (opts_.index_filter_mb == 0) return absl::OkStatus();
  bool trusted = false;
  std::string why;
  auto f = IdFilter::open(idir + "/filter", opts_.index_filter_mb << 20, index_->identity(), &trusted, &why);
  if (!f.ok()) return absl::InternalError(absl::StrCat("ledger: id filter: ", f.status().message()));
  filter_ = std::move(*f);
  if (trusted) {
    filter_ready_ = true;
    return absl::OkStatus();
  }
  stats_.index_filter_rebuild_reason = why;
  if (index_fresh) {
    // The index is empty: the scan that follows adds every id to both.
    BG_RETURN_IF_ERROR(filter_->mark_complete());
    filter_ready_ = true;
    return absl::OkStatus();
  }
  // The index holds ids the filter does not: rebuilt from it in the
  // background; lookups go to RocksDB until it is complete.
  log_line(absl::StrCat("the id filter in ", idir, " is not usable (", why,
                        "): rebuilding it from the index in the background"));
  filter_populate_ = true;
  return absl::OkStatus();
}

void FileLedger::build_filter() {
  set_thread_name("bg-idfilter");
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t n = 0;
  // Ids the writer commits meanwhile are added by the writer: the filter
  // exists before the iterator's snapshot, so every id lands in one or both.
  absl::Status st = index_->for_each_id([&](const Hash32& id) {
    if (filter_stop_.load(std::memory_order_relaxed)) return false;
    filter_->add(id);
    ++n;
    return true;
  });
  if (filter_stop_.load(std::memory_order_relaxed)) return;
  if (st.ok()) st = filter_->mark_complete();
  if (!st.ok()) {
    log_line(absl::StrCat("id filter rebuild failed (duplicate checks keep using the index): ", st.message()));
    return;
  }
  filter_ready_.store(true, std::memory_order_release);
  log_line(absl::StrCat("id filter rebuilt from the index: ", n, " ids in ",
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), " s"));
}

void FileLedger::filter_candidates(std::span<const Hash32> ids, std::vector<uint32_t>* out) const {
  out->clear();
  if (!filter_ || !filter_ready_.load(std::memory_order_acquire)) {
    for (uint32_t i = 0; i < ids.size(); ++i) out->push_back(i);
    return;
  }
  std::vector<uint8_t> maybe(ids.size());
  filter_->may_contain_batch(ids, maybe.data());
  for (uint32_t i = 0; i < ids.size(); ++i)
    if (maybe[i]) out->push_back(i);
  filter_lookups_.fetch_add(ids.size(), std::memory_order_relaxed);
  filter_passed_.fetch_add(out->size(), std::memory_order_relaxed);
}

absl::Status FileLedger::init_memory_scan(std::optional<ScanResult>* out) {
  LedgerScan scan(dir_, opts_.scan_threads);
  auto res = scan.run([&](const ScannedBlock& b) -> std::optional<std::string> {
    heights_.push_back(RecordLoc{b.segment, uint32_t(b.block_bytes.size()), b.offset});
    for (uint32_t i = 0; i < b.ids.size(); ++i) {
      const uint64_t off = b.offset + kRecordHeaderSize + uint64_t(b.tx_bytes[i].data() - b.block_bytes.data());
      ids_.try_emplace(b.ids[i], TxLocation{b.header.height, i, b.segment, off, uint32_t(b.tx_bytes[i].size())});
    }
    return std::nullopt;
  });
  if (!res.ok()) return res.status();
  out->emplace(std::move(*res));
  return absl::OkStatus();
}

absl::StatusOr<ScanStart> FileLedger::check_index(const IndexMeta& meta) {
  if (meta.version != kIndexFormatVersion)
    return absl::FailedPreconditionError(
        absl::StrCat("format version ", meta.version, ", this build reads ", kIndexFormatVersion));
  if (meta.genesis_hash != genesis_block().header.hash())
    return absl::FailedPreconditionError("it belongs to another ledger (different genesis)");
  const uint64_t have = index_->heights_count();
  if (have < meta.covered_height + 1)
    return absl::FailedPreconditionError(absl::StrCat("its heights file holds ", have,
                                                      " entries but it claims to cover height ", meta.covered_height));
  auto loc = index_->height_loc(meta.covered_height);
  if (!loc.ok()) return loc.status();
  // The covered block must be intact, at that height, with the recorded hash.
  const std::string path = absl::StrCat(dir_, "/", segment_file_name(loc->segment));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::FailedPreconditionError(absl::StrCat("it covers height ", meta.covered_height, " in ",
                                                      segment_file_name(loc->segment), ", which cannot be opened"));
  Bytes rec(kRecordHeaderSize + loc->block_bytes);
  const ssize_t r = ::pread(fd, rec.data(), rec.size(), off_t(loc->offset));
  ::close(fd);
  RecordView view;
  BlockHeader h;
  if (r != ssize_t(rec.size()) || parse_record(rec, 0, &view, /*with_salt=*/false) != RecordStatus::kOk ||
      !BlockHeader::decode(view.block, &h) || h.height != meta.covered_height || h.hash() != meta.covered_hash)
    return absl::FailedPreconditionError(
        absl::StrCat("its covered block ", meta.covered_height, " (", to_hex(meta.covered_hash), ") is not at ",
                     segment_file_name(loc->segment), " offset ", loc->offset,
                     ": the index belongs to another ledger or is ahead of this one"));
  // view.size() counts a salted record's trailing salt (record.h).
  return ScanStart{loc->segment, loc->offset + view.size(), TipInfo{h.height, meta.covered_hash, h.timestamp_ms}};
}

absl::Status FileLedger::init_index_scan(std::optional<ScanResult>* out) {
  const std::string idir = dir_ + "/index";
  IndexTuning tuning;
  tuning.cache_mb = opts_.index_cache_mb;
  tuning.memtable_mb = opts_.index_memtable_mb;
  tuning.buffer_ids = opts_.index_buffer_ids;
  tuning.heights_reserve_bytes = opts_.index_heights_reserve_bytes;
  bool created = false;
  std::string reason;  // why the index is rebuilt
  std::optional<ScanStart> start;
  {
    auto ix = IdIndex::open(idir, tuning, &created);
    if (!ix.ok()) {
      reason = absl::StrCat("cannot open it: ", ix.status().message());
    } else {
      index_ = std::move(*ix);
      if (created) {
        reason = "missing";
      } else if (opts_.rebuild_index) {
        reason = "a rebuild was asked for";
      } else if (!index_->meta()) {
        reason = "it holds no meta record";
      } else {
        auto s = check_index(*index_->meta());
        if (s.ok()) {
          start = *s;
          index_meta_ = *index_->meta();
        } else {
          reason = std::string(s.status().message());
        }
      }
    }
  }
  // A ledger directory without segments is new: its index starts empty, silently.
  const bool has_segments = has_segment_files(dir_);
  if (!start) {
    if (has_segments)
      log_line(absl::StrCat("the transaction index in ", idir, " is not usable (", reason,
                            "): rebuilding it from the segments"));
    if (!created || !index_) {
      index_.reset();
      BG_RETURN_IF_ERROR(IdIndex::wipe(idir));
      auto ix = IdIndex::open(idir, tuning, &created);
      if (!ix.ok()) return absl::InternalError(absl::StrCat("ledger: cannot create ", idir, ": ", ix.status().message()));
      index_ = std::move(*ix);
    }
    index_meta_ = IndexMeta{};
    index_meta_.genesis_hash = genesis_block().header.hash();
    if (has_segments) {
      stats_.index_rebuilt = true;
      stats_.index_rebuild_reason = reason;
    }
  } else if (absl::Status st = index_->truncate_heights(index_meta_.covered_height + 1); !st.ok()) {
    return st;
  }
  BG_RETURN_IF_ERROR(open_filter(idir, !start));

  // The scan: the unindexed tail (or everything, to rebuild or when asked to verify).
  const auto t0 = std::chrono::steady_clock::now();
  // Progress by segment bytes: done_before[s] = bytes of the segments before s
  // that this scan reads.
  uint64_t total_bytes = 0;
  std::vector<uint64_t> done_before;
  for (uint32_t s = 0;; ++s) {
    std::error_code ec;
    const uint64_t size = fs_size(absl::StrCat(dir_, "/", segment_file_name(s)), &ec);
    if (ec) break;
    done_before.push_back(total_bytes);
    const bool tail_only = start && !opts_.verify_on_open;
    if (tail_only && s < start->segment) continue;
    total_bytes += tail_only && s == start->segment ? size - std::min(size, start->offset) : size;
  }
  const uint64_t skipped_offset = start && !opts_.verify_on_open ? start->offset : 0;
  done_before.resize(done_before.size() + 1, total_bytes);
  int last_decile = 0;
  bool loud = !start && has_segments;
  absl::Status index_error;
  auto flush_batch = [&]() -> bool {
    if (index_batch_.empty()) return true;
    index_error = index_->write(index_batch_, index_meta_);
    index_batch_.clear();
    return index_error.ok();
  };
  const uint64_t covered = start ? start->prev.height : 0;
  const bool skip_covered = start.has_value();
  LedgerScan scan(dir_, opts_.scan_threads);
  const ScanStart* from = start && !opts_.verify_on_open ? &*start : nullptr;
  auto res = scan.run(
      [&](const ScannedBlock& b) -> std::optional<std::string> {
        const uint64_t height = b.header.height;
        if (skip_covered && height <= covered) return std::nullopt;
        index_batch_.add_block(height, RecordLoc{b.segment, uint32_t(b.block_bytes.size()), b.offset});
        for (uint32_t i = 0; i < b.ids.size(); ++i) {
          const uint64_t off = b.offset + kRecordHeaderSize + uint64_t(b.tx_bytes[i].data() - b.block_bytes.data());
          if (filter_) filter_->add(b.ids[i]);  // before the index write
          index_batch_.add_tx(b.ids[i], IndexEntry{height, i, off, uint32_t(b.tx_bytes[i].size())});
        }
        index_meta_.covered_height = height;
        index_meta_.covered_hash = b.hash;
        index_meta_.covered_txs += b.ids.size();
        ++stats_.index_catchup_blocks;
        if (index_batch_.txs() >= kScanBatchTxs || index_batch_.blocks() >= 4096) {
          if (!flush_batch()) return absl::StrCat("index write failed: ", index_error.message());
          // Progress, by bytes of segments read: a line per 10 % once it takes a while.
          const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          if (secs > 1.0) loud = true;
          const uint64_t in_seg = b.offset + b.record_bytes - (start && b.segment == start->segment ? skipped_offset : 0);
          const uint64_t pos = std::min(total_bytes, done_before[b.segment] + in_seg);
          if (opts_.index_progress) opts_.index_progress(pos, total_bytes, stats_.index_catchup_blocks);
          const int decile = total_bytes ? int(std::min<uint64_t>(10, pos * 10 / total_bytes)) : 10;
          if (loud && decile > last_decile) {
            last_decile = decile;
            log_line(absl::StrCat("indexing ", dir_, ": ", decile * 10, "% (height ", height, ", ",
                                  stats_.index_catchup_blocks, " blocks in ", int(secs), " s)"));
          }
        }
        return std::nullopt;
      },
      from);
  if (!res.ok()) return res.status();
  if (!index_error.ok()) return index_error;
  if (!flush_batch()) return index_error;
  if (opts_.index_progress) opts_.index_progress(total_bytes, total_bytes, stats_.index_catchup_blocks);
  if (stats_.index_catchup_blocks > 0) {
    // Made durable now, so that a crash does not redo this scan.
    BG_RETURN_IF_ERROR(index_->flush());
  }
  stats_.index_catchup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (loud)
    log_line(absl::StrCat("indexed ", stats_.index_catchup_blocks, " blocks (", index_meta_.covered_txs,
                          " transactions in the index) in ", stats_.index_catchup_seconds, " s"));
  // A torn tail is cut by init() after this: nothing of it was indexed (the
  // scan stops at the first bad record), and the index never covers more
  // than the recovered tip (check_index proved the covered block intact).
  out->emplace(std::move(*res));
  return absl::OkStatus();
}

absl::Status FileLedger::add_read_fd(uint32_t index, const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return absl::InternalError(absl::StrCat("ledger: cannot open ", path, ": ", errno_text(errno)));
  std::unique_lock lk(mu_);
  if (index != read_fds_.size())
    return absl::InternalError(absl::StrCat("ledger: segment ", index, " out of sequence"));
  read_fds_.push_back(std::move(fd));
  return absl::OkStatus();
}

absl::Status FileLedger::write_batch(const std::vector<PendingBlock>& batch, std::vector<RecordLoc>* locs,
                                     bool* fatal) {
  // Room for the batch's heights entries first: once the batch is durable
  // they must be written, and a full disk then would stop the writer.
  if (index_ && !batch.empty()) {
    if (absl::Status r = index_->reserve_heights(batch.back().header.height + 1); !r.ok()) {
      *fatal = !absl::IsResourceExhausted(r);
      return r;
    }
  }
  write_spans_.clear();
  for (const PendingBlock& p : batch) write_spans_.push_back(p.bytes);
  BG_ASSIGN_OR_RETURN(const SegmentWriter::BatchResult res, writer_segments_->write_batch(write_spans_, locs, fatal));
  std::unique_lock lk(mu_);
  stats_.fsyncs++;
  stats_.bytes_written += res.bytes;
  stats_.last_fsync_seconds = res.fsync_seconds;
  return absl::OkStatus();
}

bool FileLedger::publish(std::vector<PendingBlock>& batch, const std::vector<RecordLoc>& locs) {
  absl::Status index_st;
  if (index_) {
    // The batch is durable (its fdatasync returned): now, and only now, the index.
    index_batch_.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      const PendingBlock& p = batch[i];
      index_batch_.add_block(p.header.height, locs[i]);
      const uint64_t base = locs[i].offset + kRecordHeaderSize;
      // The filter first: it may run ahead of the index, never behind.
      if (filter_) filter_->add_batch(p.ids);
      for (uint32_t j = 0; j < p.ids.size(); ++j) {
        index_batch_.add_tx(p.ids[j], IndexEntry{p.header.height, j, base + p.tx_starts[j],
                                                 p.tx_starts[j + 1] - p.tx_starts[j]});
      }
      index_meta_.covered_height = p.header.height;
      index_meta_.covered_hash = p.hash;
      index_meta_.covered_txs += p.ids.size();
    }
    index_st = index_->write(index_batch_, index_meta_);
    index_batch_.clear();
  }
  std::unique_lock lk(mu_);
  for (size_t i = 0; i < batch.size(); ++i) {
    const PendingBlock& p = batch[i];
    if (!index_) heights_.push_back(locs[i]);
    for (uint32_t j = 0; j < p.ids.size(); ++j) {
      if (!index_) {
        const uint64_t off = locs[i].offset + kRecordHeaderSize + p.tx_starts[j];
        ids_.try_emplace(p.ids[j], TxLocation{p.header.height, j, locs[i].segment, off,
                                              p.tx_starts[j + 1] - p.tx_starts[j]});
      }
      // Without its index entry an id stays pending for good: still refused.
      if (!index_st.ok()) continue;
      auto it = pending_ids_.find(p.ids[j]);
      if (it != pending_ids_.end() && --it->second == 0) pending_ids_.erase(it);
    }
    ids_published_.fetch_add(p.ids.size(), std::memory_order_release);
    durable_tip_ = TipInfo{p.header.height, p.hash, p.header.timestamp_ms};
    stats_.blocks_committed++;
    stats_.txs_committed += p.ids.size();
  }
  disk_full_ = false;
  if (!index_st.ok()) {
    writer_error_ = absl::InternalError(absl::StrCat("ledger: index write failed (", index_st.message(),
                                                     "); writer stopped, a restart repairs the index"));
    return false;
  }
  return true;
}

void FileLedger::writer_loop() {
  set_thread_name("bg-ledger");
  std::vector<PendingBlock> batch;
  std::vector<RecordLoc> locs;
  while (true) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and drained
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    bool fatal = false;
    absl::Status st = write_batch(batch, &locs, &fatal);
    if (st.ok()) {
      const bool indexed = publish(batch, locs);
      // The blocks are durable either way: their callbacks say so.
      for (PendingBlock& p : batch)
        if (p.done) p.done(absl::OkStatus());
      batch.clear();
      if (indexed) continue;
      std::fprintf(stderr, "blockgate %s\n", std::string(health().message()).c_str());
      // Blocks queued meanwhile chain on durable ones but cannot be indexed.
      std::unique_lock lk(mu_);
      for (PendingBlock& p : queue_) batch.push_back(std::move(p));
      queue_.clear();
      pending_tip_ = durable_tip_;
      lk.unlock();
      for (PendingBlock& p : batch)
        if (p.done) p.done(writer_error_);
      return;
    }
    // Every queued block chains on the failed ones: they fail too, and the
    // pending tip falls back to the durable one.
    {
      std::unique_lock lk(mu_);
      for (PendingBlock& p : queue_) batch.push_back(std::move(p));
      queue_.clear();
      pending_ids_.clear();
      pending_tip_ = durable_tip_;
      if (fatal) writer_error_ = st;
      else disk_full_ = true;
    }
    std::fprintf(stderr, "blockgate %s\n", std::string(st.message()).c_str());
    for (PendingBlock& p : batch)
      if (p.done) p.done(st);
    batch.clear();
    if (fatal) return;
  }
}

absl::Status FileLedger::submit_impl(Block block, std::optional<std::vector<Hash32>> ids, CommitCallback done) {
  if (opts_.read_only) return absl::FailedPreconditionError("ledger opened read-only");
  // Encoding and ids are the caller's CPU time, outside the lock.
  PendingBlock p;
  const bool ids_given = ids.has_value();
  if (ids_given) p.ids = std::move(*ids);
  encode_block(block, &p.bytes, &p.ids, /*hash_ids=*/!ids_given, &p.tx_starts);
  if (p.bytes.size() > kMaxRecordBlockBytes)
    return absl::InvalidArgumentError(absl::StrCat("block of ", p.bytes.size(), " bytes exceeds the record limit"));
  p.header = block.header;
  p.hash = block.header.hash();
  if (auto i = repeated_inside(p.ids))
    return absl::AlreadyExistsError(absl::StrCat("duplicate transaction id at tx_index ", *i));
  p.done = std::move(done);
  std::vector<uint8_t> durable;
  std::vector<uint32_t> candidates;
  std::vector<Hash32> asked;
  while (true) {
    // The index lookup runs outside the lock. An id that was pending then
    // and became durable meanwhile is in the index's write buffer (publish()
    // writes it there before it leaves pending_ids_): re-checked under the
    // lock below when ids were published meanwhile. Unless a buffer was
    // ingested meanwhile too (it could have passed through): look again.
    const uint64_t published_before = ids_published_.load(std::memory_order_acquire);
    const uint64_t ingested_before = index_ ? index_->ingested_files() : 0;
    if (index_) {
      filter_candidates(p.ids, &candidates);
      if (!candidates.empty()) {
        asked.resize(candidates.size());
        for (size_t k = 0; k < candidates.size(); ++k) asked[k] = p.ids[candidates[k]];
        durable.assign(candidates.size(), 0);
        if (absl::Status st = index_->multi_get(asked, durable, nullptr); !st.ok()) {
          index_failed(st);
          return absl::InternalError(absl::StrCat("ledger: index lookup failed: ", st.message()));
        }
        for (size_t k = 0; k < candidates.size(); ++k)
          if (durable[k])
            return absl::AlreadyExistsError(absl::StrCat("duplicate transaction id at tx_index ", candidates[k]));
      }
    }
    {
      std::unique_lock lk(mu_);
      if (index_ && ids_published_.load(std::memory_order_acquire) != published_before) {
        if (index_->ingested_files() != ingested_before) continue;
        if (auto k = index_->first_staged(p.ids))
          return absl::AlreadyExistsError(absl::StrCat("duplicate transaction id at tx_index ", *k));
      }
      if (!writer_error_.ok())
        return absl::InternalError(absl::StrCat("ledger writer stopped: ", writer_error_.message()));
      if (stopping_) return absl::FailedPreconditionError("ledger is closing");
      const BlockHeader& h = p.header;
      if (h.height != pending_tip_.height + 1 || h.prev_hash != pending_tip_.hash)
        return absl::FailedPreconditionError(absl::StrCat("block ", h.height, " does not extend the tip (height ",
                                                          pending_tip_.height, ", hash ", to_hex(pending_tip_.hash),
                                                          ")"));
      if (h.timestamp_ms < pending_tip_.timestamp_ms)
        return absl::FailedPreconditionError(absl::StrCat("block ", h.height, " timestamp ", h.timestamp_ms,
                                                          " is before the tip's ", pending_tip_.timestamp_ms));
      if (h.tx_count != block.txs.size())
        return absl::InvalidArgumentError(
            absl::StrCat("tx_count ", h.tx_count, " but ", block.txs.size(), " transactions"));
      for (uint32_t i = 0; i < p.ids.size(); ++i) {
        const Hash32& id = p.ids[i];
        if (pending_ids_.contains(id) || (!index_ && ids_.contains(id)))
          return absl::AlreadyExistsError(absl::StrCat("duplicate transaction id at tx_index ", i));
      }
      for (const Hash32& id : p.ids) ++pending_ids_[id];
      pending_tip_ = TipInfo{h.height, p.hash, h.timestamp_ms};
      queue_.push_back(std::move(p));
    }
    break;
  }
  cv_.notify_one();
  return absl::OkStatus();
}

absl::Status FileLedger::append(Block block) {
  auto done = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> f = done->get_future();
  BG_RETURN_IF_ERROR(submit(std::move(block), [done](absl::Status s) { done->set_value(std::move(s)); }));
  return f.get();
}

void FileLedger::index_failed(const absl::Status& st) const {
  std::unique_lock lk(mu_);
  if (!index_error_.ok()) return;
  index_error_ = st;
  log_line(absl::StrCat("index read failed: ", st.message(),
                        "; duplicate checks now refuse, restart the server to rebuild the index"));
}

std::optional<TxLocation> FileLedger::lookup(const Hash32& id) const {
  if (!index_) {
    std::shared_lock lk(mu_);
    auto it = ids_.find(id);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  if (filter_ && filter_ready_.load(std::memory_order_acquire)) {
    filter_lookups_.fetch_add(1, std::memory_order_relaxed);
    if (!filter_->may_contain(id)) return std::nullopt;
    filter_passed_.fetch_add(1, std::memory_order_relaxed);
  }
  absl::Status err;
  auto e = index_->get(id, &err);
  if (!err.ok()) index_failed(err);
  if (!e) return std::nullopt;
  auto loc = index_->height_loc(e->height);
  if (!loc.ok()) {
    index_failed(loc.status());
    return std::nullopt;
  }
  return TxLocation{e->height, e->index, loc->segment, e->offset, e->length};
}

std::optional<TxLocation> FileLedger::find_tx(const Hash32& id) const { return lookup(id); }

void FileLedger::contains_ids(std::span<const Hash32> ids, std::span<uint8_t> present) const {
  // Pending first, then the index: an id published in between was written to
  // the index (its write buffer) before it left the pending set.
  std::vector<uint32_t> ask;
  {
    std::shared_lock lk(mu_);
    for (size_t i = 0; i < ids.size(); ++i) {
      const bool known = pending_ids_.contains(ids[i]) || (!index_ && ids_.contains(ids[i]));
      present[i] = known ? 1 : 0;
      if (!known && index_) ask.push_back(uint32_t(i));
    }
    if (index_ && !index_error_.ok()) {
      // Unsure: answer "present" (refuse) rather than admit a duplicate.
      for (uint32_t i : ask) present[i] = 1;
      return;
    }
  }
  if (ask.empty()) return;
  std::vector<Hash32> q(ask.size());
  for (size_t k = 0; k < ask.size(); ++k) q[k] = ids[ask[k]];
  // The filter's "certainly not" needs no RocksDB lookup.
  std::vector<uint32_t> maybe;
  filter_candidates(q, &maybe);
  if (maybe.size() < q.size()) {
    for (size_t k = 0; k < maybe.size(); ++k) {
      q[k] = q[maybe[k]];
      ask[k] = ask[maybe[k]];
    }
    q.resize(maybe.size());
    ask.resize(maybe.size());
    if (q.empty()) return;
  }
  std::vector<uint8_t> found(ask.size(), 0);
  absl::Status st = index_->multi_get(q, found, nullptr);
  if (!st.ok()) {
    index_failed(st);
    std::fill(found.begin(), found.end(), 1);
  }
  for (size_t k = 0; k < ask.size(); ++k) present[ask[k]] = found[k];
}

absl::StatusOr<RecordLoc> FileLedger::record_loc(uint64_t height, int* fd) const {
  RecordLoc loc;
  {
    std::shared_lock lk(mu_);
    if (height > durable_tip_.height || (!index_ && height >= heights_.size()))
      return absl::NotFoundError(absl::StrCat("no block at height ", height));
    if (!index_) loc = heights_[height];
  }
  if (index_) {
    auto l = index_->height_loc(height);
    if (!l.ok()) return l.status();
    loc = *l;
  }
  std::shared_lock lk(mu_);
  if (loc.segment >= read_fds_.size())
    return absl::DataLossError(absl::StrCat("ledger: block ", height, " recorded in missing segment ", loc.segment));
  *fd = read_fds_[loc.segment].get();
  return loc;
}

absl::Status pread_all(int fd, uint8_t* dst, size_t n, uint64_t offset, const std::string& what) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, dst + got, n - got, off_t(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return absl::DataLossError(absl::StrCat("ledger: cannot read ", what, ": ", r < 0 ? errno_text(errno) : "short file"));
    got += size_t(r);
  }
  return absl::OkStatus();
}

absl::StatusOr<Bytes> FileLedger::read_block_bytes(uint64_t height) const {
  int fd = -1;
  auto loc = record_loc(height, &fd);
  if (!loc.ok()) return loc.status();
  Bytes rec(kRecordHeaderSize + loc->block_bytes);
  if (absl::Status st = pread_all(fd, rec.data(), rec.size(), loc->offset, absl::StrCat("block ", height)); !st.ok())
    return st;
  RecordView view;
  RecordStatus rs = parse_record(rec, 0, &view, /*with_salt=*/false);
  if (rs != RecordStatus::kOk)
    return absl::DataLossError(absl::StrCat("ledger: block ", height, " on disk: ", record_status_name(rs)));
  return Bytes(view.block.begin(), view.block.end());
}

absl::StatusOr<Block> FileLedger::read_block(uint64_t height) const {
  BG_ASSIGN_OR_RETURN(const Bytes bytes, read_block_bytes(height));
  Block b;
  BlockDecodeError e = decode_block_binary(bytes, SIZE_MAX, &b);
  if (!e.ok()) return absl::DataLossError(absl::StrCat("ledger: block ", height, " does not decode: ", e.detail));
  return b;
}

// One pread of the records of first.. (as many as max_bytes holds), then a
// walk over them: each record's CRC and its block's height are checked, and
// each block is handed out as a span into the buffer. Records of consecutive
// heights lie side by side within a segment (the writer appends them in
// height order and truncates a failed write away); a record that does not
// parse where the previous one ends is either the segment's end (the height
// is recorded in a later segment) or damage (it is recorded right here).
absl::Status FileLedger::read_block_range(uint64_t first, size_t max_blocks, size_t max_bytes,
                                          BlockRange* out) const {
  out->first_height = first;
  out->blocks.clear();
  int fd = -1;
  auto loc = record_loc(first, &fd);
  if (!loc.ok()) return loc.status();
  const uint64_t tip = durable_tip().height;  // >= first: record_loc found it durable
  const uint64_t count = std::min<uint64_t>(std::max<size_t>(max_blocks, 1), tip - first + 1);
  const size_t want = std::max<size_t>(max_bytes, kRecordHeaderSize + size_t(loc->block_bytes) + kRecordSaltSize);
  if (out->buffer.size() < want) out->buffer.resize(want);
  size_t got = 0;
  while (got < want) {  // up to `want` bytes, fewer at the end of the file
    const ssize_t r = ::pread(fd, out->buffer.data() + got, want - got, off_t(loc->offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return absl::DataLossError(absl::StrCat("ledger: cannot read block ", first, ": ", errno_text(errno)));
    if (r == 0) break;
    got += size_t(r);
  }
  const ByteSpan data(out->buffer.data(), got);
  uint64_t off = 0;
  for (uint64_t k = 0; k < count; ++k) {
    const uint64_t h = first + k;
    RecordView view;
    const RecordStatus rs = parse_record(data, off, &view, /*with_salt=*/false);
    BlockHeader header;
    const bool decoded = rs == RecordStatus::kOk && BlockHeader::decode(view.block, &header);
    if (decoded && header.height == h) {
      out->blocks.push_back(view.block);
      off += view.size();
      continue;
    }
    if (k > 0) {
      if (rs == RecordStatus::kTruncated && got == want) break;  // the window ends inside this record
      int next_fd = -1;
      auto next = record_loc(h, &next_fd);
      if (!next.ok()) return next.status();
      if (next->segment != loc->segment) break;  // block h opens a later segment
    }
    return absl::DataLossError(absl::StrCat(
        "ledger: block ", h, " on disk: ",
        decoded ? absl::StrCat("its record holds block ", header.height)
                : rs == RecordStatus::kOk ? std::string("shorter than a block header")
                                          : std::string(record_status_name(rs))));
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredTx> FileLedger::read_tx(const Hash32& id) const {
  auto where = lookup(id);
  if (!where) return absl::NotFoundError(absl::StrCat("no transaction ", to_hex(id)));
  int fd = -1;
  auto rec = record_loc(where->height, &fd);
  if (!rec.ok()) return rec.status();
  // The recorded place must lie inside that block's record, past its header.
  const uint64_t body = rec->offset + kRecordHeaderSize;
  if (where->segment != rec->segment || where->offset < body + kHeaderSize ||
      where->offset + where->length > body + rec->block_bytes)
    return absl::DataLossError(absl::StrCat("ledger: index entry for ", to_hex(id), " points outside block ",
                                            where->height));
  Bytes bytes(where->length);
  if (absl::Status st = pread_all(fd, bytes.data(), bytes.size(), where->offset, absl::StrCat("transaction ", to_hex(id)));
      !st.ok())
    return st;
  // The id is the SHA-256 of exactly these bytes: equal, they are the
  // transaction (a flipped bit or a wrong offset cannot match).
  if (sha256(bytes) != id)
    return absl::DataLossError(absl::StrCat("ledger: the bytes recorded for transaction ", to_hex(id),
                                            " (segment ", where->segment, " offset ", where->offset,
                                            ") do not hash to its id"));
  StoredTx out;
  out.location = *where;
  size_t used = 0;
  if (decode_tx_binary(bytes, SIZE_MAX, &out.tx, &used) != ErrorCode::kOk || used != bytes.size())
    return absl::DataLossError(absl::StrCat("ledger: transaction ", to_hex(id), " does not decode"));
  return out;
}

LedgerStats FileLedger::stats() const {
  LedgerStats s;
  {
    std::shared_lock lk(mu_);
    s = stats_;
  }
  if (index_) {
    s.index_enabled = true;
    s.index_size_bytes = index_->size_on_disk();
    s.index_cache_hit_ratio = index_->cache_hit_ratio();
    s.index_cache_bytes = index_->cache_bytes_used();
    s.index_staged_ids = index_->staged_ids();
    s.index_ingested_files = index_->ingested_files();
    s.index_level0_files = index_->level0_files();
    s.index_compacting = index_->compacting();
    s.index_ingest_waiting = !index_->ingest_waiting().ok();
    std::shared_lock lk(mu_);
    s.index_covered_height = durable_tip_.height;
  }
  if (filter_) {
    s.index_filter_bytes = filter_->bytes();
    s.index_filter_ready = filter_ready_.load(std::memory_order_acquire);
    s.index_filter_ids = filter_->ids_added();
    s.index_filter_fp_rate = filter_->expected_fp_rate(s.index_filter_ids);
    s.index_filter_lookups = filter_lookups_.load(std::memory_order_relaxed);
    s.index_filter_passed = filter_passed_.load(std::memory_order_relaxed);
  }
  return s;
}

}  // namespace

absl::Status Ledger::read_block_range(uint64_t first, size_t max_blocks, size_t max_bytes, BlockRange* out) const {
  out->first_height = first;
  out->blocks.clear();
  out->buffer.clear();
  std::vector<size_t> ends;
  for (uint64_t h = first; ends.empty() || ends.size() < max_blocks; ++h) {
    auto bytes = read_block_bytes(h);
    if (!bytes.ok()) {
      if (!ends.empty() && absl::IsNotFound(bytes.status())) break;
      return bytes.status();
    }
    if (!ends.empty() && out->buffer.size() + bytes->size() > max_bytes) break;
    out->buffer.insert(out->buffer.end(), bytes->begin(), bytes->end());
    ends.push_back(out->buffer.size());
  }
  for (size_t i = 0, begin = 0; i < ends.size(); begin = ends[i++])
    out->blocks.emplace_back(out->buffer.data() + begin, ends[i] - begin);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::open(const std::string& dir, const LedgerOptions& opts) {
  auto ledger = std::make_unique<FileLedger>(dir, opts);
  BG_RETURN_IF_ERROR(ledger->init());
  return std::unique_ptr<Ledger>(std::move(ledger));
}

}  // namespace bg
