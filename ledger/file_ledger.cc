// The Ledger implementation: segment files written by one group-commit writer
// thread, in-memory height and id indexes rebuilt by a scan at open.
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

#include "host/hash.h"
#include "ledger/crc32c.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "ledger/scan.h"

namespace bg {
namespace {

std::string errno_text(int e) { return std::strerror(e); }

void log_line(const std::string& s) {
  // One fprintf so concurrent log lines do not interleave.
  std::fprintf(stderr, "blockgate ledger: %s\n", s.c_str());
}

// Makes a new directory entry durable: fsync of the directory holding it.
int fsync_dir_of(FileOps& ops, const std::string& dir) {
  int fd = ops.open(dir.c_str(), O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) return -1;
  int r = ops.fsync(fd);
  int e = errno;
  ::close(fd);
  errno = e;
  return r;
}

std::string parent_of(const std::string& dir) {
  auto slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return dir.substr(0, slash);
}

// Block::encode() in one exact allocation (Transaction::append_encoding
// reserves exactly, which makes growing a 10,000-transaction block quadratic),
// and the ids hashed straight from the encoding: no per-transaction buffers.
void encode_block(const Block& b, Bytes* out, std::vector<Hash32>* ids) {
  size_t n = kHeaderSize;
  for (const Transaction& tx : b.txs) n += tx.encoded_size();
  out->clear();
  out->reserve(n);
  const auto h = b.header.encode();
  out->insert(out->end(), h.begin(), h.end());
  ids->clear();
  ids->reserve(b.txs.size());
  for (const Transaction& tx : b.txs) {
    const size_t start = out->size();
    tx.append_encoding(*out);
    ids->push_back(sha256(ByteSpan(out->data() + start, out->size() - start)));
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

struct BlockLoc {
  uint32_t segment = 0;
  uint32_t block_bytes = 0;
  uint64_t offset = 0;  // of the record
};

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
    for (int fd : read_fds_) ::close(fd);
    if (write_fd_ >= 0) ::close(write_fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
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

  absl::Status submit(Block block, CommitCallback done) override;
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
  // Writes `batch` as one run of records and one fdatasync. On success fills
  // `locs`. ENOSPC: the file is cut back to the last durable offset and the
  // status is ResourceExhausted; any other failure is Internal and fatal.
  absl::Status write_batch(const std::vector<PendingBlock>& batch, std::vector<BlockLoc>* locs, bool* fatal);
  absl::Status start_segment(bool* fatal);
  void publish(std::vector<PendingBlock>& batch, const std::vector<BlockLoc>& locs);
  void writer_loop();

  const std::string dir_;
  const LedgerOptions opts_;
  std::shared_ptr<FileOps> ops_;
  int lock_fd_ = -1;
  std::string recovery_summary_;

  // Writer-thread state (init() runs before the thread starts).
  int write_fd_ = -1;
  uint32_t write_segment_ = 0;
  uint64_t write_offset_ = 0;  // durable end of the current segment
  Bytes write_buf_;

  mutable std::shared_mutex mu_;  // guards everything below
  std::condition_variable_any cv_;
  std::vector<int> read_fds_;  // one per segment; closed only in the destructor
  std::vector<BlockLoc> heights_;
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
      if (fsync_dir_of(*ops_, parent_of(dir_)) != 0)
        return absl::InternalError(absl::StrCat("ledger: fsync of ", parent_of(dir_), ": ", errno_text(errno)));
    } else if (errno != EEXIST) {
      return absl::UnavailableError(absl::StrCat("ledger: cannot create ", dir_, ": ", errno_text(errno)));
    }
    const std::string lock_path = dir_ + "/LOCK";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) return absl::UnavailableError(absl::StrCat("ledger: cannot open ", lock_path, ": ", errno_text(errno)));
    if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
      return absl::FailedPreconditionError(absl::StrCat("ledger ", dir_, " is in use by another process"));
  }

  LedgerScan scan(dir_, opts_.scan_threads);
  auto res = scan.run([&](const ScannedBlock& b) -> std::optional<std::string> {
    heights_.push_back(BlockLoc{b.segment, uint32_t(b.block_bytes.size()), b.offset});
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
      int fd = ops_->open(c.path.c_str(), O_WRONLY, 0);
      if (fd < 0 || ops_->ftruncate(fd, off_t(c.offset)) != 0 || ops_->fdatasync(fd) != 0) {
        int e = errno;
        if (fd >= 0) ::close(fd);
        return absl::InternalError(absl::StrCat("ledger: cannot truncate ", c.path, ": ", errno_text(e)));
      }
      ::close(fd);
      recovery_summary_ = absl::StrCat("truncated ", what);
    }
    log_line(recovery_summary_);
  }
  for (const SegmentFile& s : segs) {
    int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return absl::UnavailableError(absl::StrCat("ledger: cannot open ", s.path, ": ", errno_text(errno)));
    read_fds_.push_back(fd);
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
  if (segs.empty()) {
    if (absl::Status st = start_segment(&fatal); !st.ok()) return st;
  } else {
    const SegmentFile& last = segs.back();
    write_segment_ = last.index;
    write_offset_ = last.valid_end;
    write_fd_ = ops_->open(last.path.c_str(), O_WRONLY, 0);
    if (write_fd_ < 0)
      return absl::UnavailableError(absl::StrCat("ledger: cannot open ", last.path, ": ", errno_text(errno)));
  }
  if (!res->tip) {
    // A new ledger (or one that crashed before genesis became durable).
    std::vector<PendingBlock> batch(1);
    const Block g = genesis_block();
    batch[0].bytes = g.encode();
    batch[0].header = g.header;
    batch[0].hash = g.header.hash();
    std::vector<BlockLoc> locs;
    if (absl::Status st = write_batch(batch, &locs, &fatal); !st.ok()) return st;
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

absl::Status FileLedger::start_segment(bool* fatal) {
  const uint32_t index = write_fd_ < 0 && read_fds_.empty() ? 0 : write_segment_ + 1;
  const std::string path = absl::StrCat(dir_, "/", segment_file_name(index));
  int fd = ops_->open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOSPC || e == EDQUOT)
      return absl::ResourceExhaustedError(absl::StrCat("ledger: disk full creating ", path));
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: cannot create ", path, ": ", errno_text(e)));
  }
  if (fsync_dir_of(*ops_, dir_) != 0) {
    const int e = errno;
    ::close(fd);
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: fsync of directory ", dir_, " failed: ", errno_text(e)));
  }
  int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (rfd < 0) {
    const int e = errno;
    ::close(fd);
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: cannot open ", path, ": ", errno_text(e)));
  }
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = fd;
  write_segment_ = index;
  write_offset_ = 0;
  std::unique_lock lk(mu_);
  read_fds_.push_back(rfd);
  return absl::OkStatus();
}

absl::Status FileLedger::write_batch(const std::vector<PendingBlock>& batch, std::vector<BlockLoc>* locs,
                                     bool* fatal) {
  *fatal = false;
  if (write_offset_ >= opts_.segment_bytes) {
    if (absl::Status st = start_segment(fatal); !st.ok()) return st;
  }
  const uint64_t start = write_offset_;
  write_buf_.clear();
  locs->clear();
  for (const PendingBlock& p : batch) {
    locs->push_back(BlockLoc{write_segment_, uint32_t(p.bytes.size()), start + write_buf_.size()});
    append_record(write_buf_, p.bytes, start);
  }
  size_t done = 0;
  while (done < write_buf_.size()) {
    ssize_t r = ops_->pwrite(write_fd_, write_buf_.data() + done, write_buf_.size() - done, off_t(start + done));
    if (r > 0) {
      done += size_t(r);
      continue;
    }
    const int e = r == 0 ? EIO : errno;
    if (e == ENOSPC || e == EDQUOT) {
      // Nothing of this batch was acknowledged: cut it off so the next batch
      // starts at the durable end again.
      if (ops_->ftruncate(write_fd_, off_t(start)) != 0) {
        *fatal = true;
        return absl::InternalError(absl::StrCat("ledger: disk full, and truncating the partial write failed: ",
                                                errno_text(errno), "; writer stopped"));
      }
      return absl::ResourceExhaustedError(
          absl::StrCat("ledger: disk full (", errno_text(e), "); ", batch.size(), " block(s) not written"));
    }
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: write failed: ", errno_text(e), "; writer stopped"));
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (ops_->fdatasync(write_fd_) != 0) {
    // Never retried: after a failed fsync the kernel may have dropped the dirty
    // pages, so a later success would prove nothing.
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: fdatasync failed: ", errno_text(errno), "; writer stopped"));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_offset_ = start + write_buf_.size();
  std::unique_lock lk(mu_);
  stats_.fsyncs++;
  stats_.bytes_written += write_buf_.size();
  stats_.last_fsync_seconds = secs;
  return absl::OkStatus();
}

void FileLedger::publish(std::vector<PendingBlock>& batch, const std::vector<BlockLoc>& locs) {
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
  std::vector<BlockLoc> locs;
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

absl::Status FileLedger::submit(Block block, CommitCallback done) {
  if (opts_.read_only) return absl::FailedPreconditionError("ledger opened read-only");
  // Encoding and ids are the caller's CPU time, outside the lock.
  PendingBlock p;
  encode_block(block, &p.bytes, &p.ids);
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
  if (absl::Status st = submit(std::move(block), [done](absl::Status s) { done->set_value(std::move(s)); });
      !st.ok())
    return st;
  return f.get();
}

absl::StatusOr<Bytes> FileLedger::read_block_bytes(uint64_t height) const {
  BlockLoc loc;
  int fd;
  {
    std::shared_lock lk(mu_);
    if (height >= heights_.size())
      return absl::NotFoundError(absl::StrCat("no block at height ", height));
    loc = heights_[height];
    fd = read_fds_[loc.segment];
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
  RecordStatus rs = parse_record(rec, 0, &view);
  if (rs != RecordStatus::kOk)
    return absl::DataLossError(absl::StrCat("ledger: block ", height, " on disk: ", record_status_name(rs)));
  return Bytes(view.block.begin(), view.block.end());
}

absl::StatusOr<Block> FileLedger::read_block(uint64_t height) const {
  auto bytes = read_block_bytes(height);
  if (!bytes.ok()) return bytes.status();
  Block b;
  BlockDecodeError e = decode_block_binary(*bytes, SIZE_MAX, &b);
  if (!e.ok()) return absl::DataLossError(absl::StrCat("ledger: block ", height, " does not decode: ", e.detail));
  return b;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::open(const std::string& dir, const LedgerOptions& opts) {
  auto ledger = std::make_unique<FileLedger>(dir, opts);
  if (absl::Status st = ledger->init(); !st.ok()) return st;
  return std::unique_ptr<Ledger>(std::move(ledger));
}

}  // namespace bg
