// The Ledger implementation: the submit queue and its group-commit writer
// thread (bytes go through SegmentWriter), in-memory height and id indexes
// rebuilt by a scan at open, and the recovery decisions that scan informs.
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
#include <deque>
#include <future>
#include <shared_mutex>
#include <thread>

#include "host/fd.h"
#include "host/hash.h"
#include "host/status_macros.h"
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
void encode_block(const Block& b, Bytes* out, std::vector<Hash32>* ids, bool hash_ids) {
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
  for (const Transaction& tx : b.txs) {
    const size_t start = out->size();
    tx.append_encoding(*out);
    if (hash_ids) ids->push_back(sha256(ByteSpan(out->data() + start, out->size() - start)));
  }
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
  CommitCallback done;
};

class FileLedger final : public Ledger {
 public:
  FileLedger(std::string dir, LedgerOptions opts) : dir_(std::move(dir)), opts_(std::move(opts)) {
    ops_ = opts_.file_ops ? opts_.file_ops : posix_file_ops();
  }

  ~FileLedger() override {
    {
      std::unique_lock lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (writer_.joinable()) writer_.join();
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
  std::optional<TxLocation> find_tx(const Hash32& id) const override {
    std::shared_lock lk(mu_);
    auto it = ids_.find(id);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  bool contains_id(const Hash32& id) const override {
    std::shared_lock lk(mu_);
    return ids_.contains(id) || pending_ids_.contains(id);
  }
  LedgerStats stats() const override {
    std::shared_lock lk(mu_);
    return stats_;
  }
  absl::Status health() const override {
    std::shared_lock lk(mu_);
    if (!writer_error_.ok()) return writer_error_;
    if (opts_.read_only) return absl::FailedPreconditionError("ledger opened read-only");
    if (disk_full_) return absl::ResourceExhaustedError("ledger: disk full; the last write was refused");
    return absl::OkStatus();
  }
  std::string recovery_summary() const override { return recovery_summary_; }

 private:
  // One batch through the segment writer; stats on success.
  absl::Status write_batch(const std::vector<PendingBlock>& batch, std::vector<RecordLoc>* locs, bool* fatal);
  absl::Status add_read_fd(uint32_t index, const std::string& path);
  void publish(std::vector<PendingBlock>& batch, const std::vector<RecordLoc>& locs);
  void writer_loop();
  absl::Status submit_impl(Block block, std::optional<std::vector<Hash32>> ids, CommitCallback done);

  const std::string dir_;
  const LedgerOptions opts_;
  std::shared_ptr<FileOps> ops_;
  UniqueFd lock_fd_;
  std::string recovery_summary_;

  // Used by the writer thread only (and by init() before it starts).
  std::unique_ptr<SegmentWriter> writer_segments_;
  std::vector<ByteSpan> write_spans_;

  mutable std::shared_mutex mu_;  // guards everything below
  std::condition_variable_any cv_;
  std::vector<UniqueFd> read_fds_;  // one per segment; closed only in the destructor
  std::vector<RecordLoc> heights_;
  absl::flat_hash_map<Hash32, TxLocation, Hash32Hasher> ids_;
  absl::flat_hash_map<Hash32, uint32_t, Hash32Hasher> pending_ids_;  // id -> count
  std::deque<PendingBlock> queue_;
  TipInfo durable_tip_, pending_tip_;
  LedgerStats stats_;
  absl::Status writer_error_;
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

  LedgerScan scan(dir_, opts_.scan_threads);
  auto res = scan.run([&](const ScannedBlock& b) -> std::optional<std::string> {
    heights_.push_back(RecordLoc{b.segment, uint32_t(b.block_bytes.size()), b.offset});
    for (uint32_t i = 0; i < b.ids.size(); ++i) ids_.try_emplace(b.ids[i], TxLocation{b.header.height, i});
    return std::nullopt;
  });
  if (!res.ok()) return res.status();
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
  stats_.blocks_committed = res->blocks;
  stats_.txs_committed = res->txs;

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
    std::vector<RecordLoc> locs;
    BG_RETURN_IF_ERROR(write_batch(batch, &locs, &fatal));
    publish(batch, locs);
    pending_tip_ = durable_tip_;
    if (recovery_summary_.empty()) recovery_summary_ = "created a new ledger with the genesis block";
  } else {
    durable_tip_ = pending_tip_ = *res->tip;
    if (recovery_summary_.empty())
      recovery_summary_ = absl::StrCat("recovered ", res->blocks, " blocks, ", res->txs, " transactions, tip ",
                                       durable_tip_.height, ", nothing to repair");
  }
  writer_ = std::thread([this] { writer_loop(); });
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
  write_spans_.clear();
  for (const PendingBlock& p : batch) write_spans_.push_back(p.bytes);
  BG_ASSIGN_OR_RETURN(const SegmentWriter::BatchResult res, writer_segments_->write_batch(write_spans_, locs, fatal));
  std::unique_lock lk(mu_);
  stats_.fsyncs++;
  stats_.bytes_written += res.bytes;
  stats_.last_fsync_seconds = res.fsync_seconds;
  return absl::OkStatus();
}

void FileLedger::publish(std::vector<PendingBlock>& batch, const std::vector<RecordLoc>& locs) {
  std::unique_lock lk(mu_);
  for (size_t i = 0; i < batch.size(); ++i) {
    const PendingBlock& p = batch[i];
    heights_.push_back(locs[i]);
    for (uint32_t j = 0; j < p.ids.size(); ++j) {
      ids_.try_emplace(p.ids[j], TxLocation{p.header.height, j});
      auto it = pending_ids_.find(p.ids[j]);
      if (it != pending_ids_.end() && --it->second == 0) pending_ids_.erase(it);
    }
    durable_tip_ = TipInfo{p.header.height, p.hash, p.header.timestamp_ms};
    stats_.blocks_committed++;
    stats_.txs_committed += p.ids.size();
  }
  disk_full_ = false;
}

void FileLedger::writer_loop() {
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
      publish(batch, locs);
      for (PendingBlock& p : batch)
        if (p.done) p.done(absl::OkStatus());
      batch.clear();
      continue;
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
  encode_block(block, &p.bytes, &p.ids, /*hash_ids=*/!ids_given);
  if (p.bytes.size() > kMaxRecordBlockBytes)
    return absl::InvalidArgumentError(absl::StrCat("block of ", p.bytes.size(), " bytes exceeds the record limit"));
  p.header = block.header;
  p.hash = block.header.hash();
  if (auto i = repeated_inside(p.ids))
    return absl::AlreadyExistsError(absl::StrCat("duplicate transaction id at tx_index ", *i));
  p.done = std::move(done);
  {
    std::unique_lock lk(mu_);
    if (!writer_error_.ok())
      return absl::InternalError(absl::StrCat("ledger writer stopped: ", writer_error_.message()));
    if (stopping_) return absl::FailedPreconditionError("ledger is closing");
    const BlockHeader& h = p.header;
    if (h.height != pending_tip_.height + 1 || h.prev_hash != pending_tip_.hash)
      return absl::FailedPreconditionError(absl::StrCat("block ", h.height, " does not extend the tip (height ",
                                                        pending_tip_.height, ", hash ", to_hex(pending_tip_.hash), ")"));
    if (h.timestamp_ms < pending_tip_.timestamp_ms)
      return absl::FailedPreconditionError(absl::StrCat("block ", h.height, " timestamp ", h.timestamp_ms,
                                                        " is before the tip's ", pending_tip_.timestamp_ms));
    if (h.tx_count != block.txs.size())
      return absl::InvalidArgumentError(absl::StrCat("tx_count ", h.tx_count, " but ", block.txs.size(), " transactions"));
    for (uint32_t i = 0; i < p.ids.size(); ++i) {
      if (ids_.contains(p.ids[i]) || pending_ids_.contains(p.ids[i]))
        return absl::AlreadyExistsError(absl::StrCat("duplicate transaction id at tx_index ", i));
    }
    for (const Hash32& id : p.ids) ++pending_ids_[id];
    pending_tip_ = TipInfo{h.height, p.hash, h.timestamp_ms};
    queue_.push_back(std::move(p));
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

absl::StatusOr<Bytes> FileLedger::read_block_bytes(uint64_t height) const {
  RecordLoc loc;
  int fd;
  {
    std::shared_lock lk(mu_);
    if (height >= heights_.size())
      return absl::NotFoundError(absl::StrCat("no block at height ", height));
    loc = heights_[height];
    fd = read_fds_[loc.segment].get();
  }
  Bytes rec(kRecordHeaderSize + loc.block_bytes);
  size_t got = 0;
  while (got < rec.size()) {
    ssize_t r = ::pread(fd, rec.data() + got, rec.size() - got, off_t(loc.offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return absl::DataLossError(absl::StrCat("ledger: cannot read block ", height, ": ",
                                              r < 0 ? errno_text(errno) : "short file"));
    got += size_t(r);
  }
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

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::open(const std::string& dir, const LedgerOptions& opts) {
  auto ledger = std::make_unique<FileLedger>(dir, opts);
  BG_RETURN_IF_ERROR(ledger->init());
  return std::unique_ptr<Ledger>(std::move(ledger));
}

}  // namespace bg
