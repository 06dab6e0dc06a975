// Disk full and fsync failure: injected at the syscall layer (FileOps) and,
// where this process may mount one, on a real 1 MiB tmpfs. Nothing committed
// is ever lost; ENOSPC is refused and recovers; a failed fsync stops the
// writer for good.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "ledger/ledger.h"
#include "ledger/scan.h"
#include "testing/files.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg {
namespace {

using testing::BlockMaker;
using testing::TempDir;

uint64_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

// Real calls, with failures switched on and off by the test.
class FaultOps : public FileOps {
 public:
  std::atomic<int> pwrite_errno{0};        // fail pwrite with this errno...
  std::atomic<size_t> partial_bytes{0};    // ...after writing this many bytes first
  std::atomic<int> fdatasync_errno{0};
  std::atomic<int> create_errno{0};        // fail opens with O_CREAT
  std::atomic<int> fdatasyncs{0};

  int open(const char* path, int flags, mode_t mode) override {
    if ((flags & O_CREAT) && create_errno) {
      errno = create_errno;
      return -1;
    }
    return FileOps::open(path, flags, mode);
  }
  ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) override {
    if (int e = pwrite_errno.load()) {
      if (size_t p = partial_bytes.exchange(0); p > 0 && p < n) return FileOps::pwrite(fd, buf, p, off);
      errno = e;
      return -1;
    }
    return FileOps::pwrite(fd, buf, n, off);
  }
  int fdatasync(int fd) override {
    ++fdatasyncs;
    if (int e = fdatasync_errno.load()) {
      errno = e;
      return -1;
    }
    return FileOps::fdatasync(fd);
  }
  void clear() {
    pwrite_errno = 0;
    partial_bytes = 0;
    fdatasync_errno = 0;
    create_errno = 0;
  }
};

// The common set-up: a ledger in a fresh directory whose system calls go
// through FaultOps, and deterministic blocks for it.
class LedgerFaults : public ::testing::Test {
 protected:
  void open(uint64_t seed, size_t payload_bytes = 24, uint64_t segment_bytes = 0) {
    maker_ = std::make_unique<BlockMaker>(seed, payload_bytes);
    LedgerOptions opts;
    opts.file_ops = ops_;
    if (segment_bytes) opts.segment_bytes = segment_bytes;
    auto l = Ledger::open(dir_.path(), opts);
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = std::move(*l);
  }
  // The next block on the pending tip.
  Block next(size_t txs) { return maker_->next(ledger_->pending_tip(), txs); }

  TempDir dir_{"faults"};
  std::shared_ptr<FaultOps> ops_ = std::make_shared<FaultOps>();
  std::unique_ptr<BlockMaker> maker_;
  std::unique_ptr<Ledger> ledger_;
};

// One injected fault per row: the append that meets it is refused with
// `code` (and health says so); clearing the fault lets the next append in
// when the fault is transient (a full disk), and never when it is not (the
// writer stops for good). Nothing appended before is lost, across a reopen.
struct InjectedFault {
  const char* name;
  size_t payload_bytes;
  uint64_t segment_bytes;  // 0: the default
  size_t txs_before;       // transactions in each of the two blocks before the fault
  std::function<void(FaultOps&)> inject;
  absl::StatusCode code;
  bool transient;
  bool needs_new_segment = false;  // the refused block opens a new segment file
};

void PrintTo(const InjectedFault& f, std::ostream* os) { *os << f.name; }

const InjectedFault kInjectedFaults[] = {
    {"WriteNoSpace", 24, 0, 2, [](FaultOps& o) { o.pwrite_errno = ENOSPC; }, absl::StatusCode::kResourceExhausted,
     true},
    {"ShortWriteThenNoSpace", 24, 0, 2,
     [](FaultOps& o) {
       o.pwrite_errno = ENOSPC;
       o.partial_bytes = 50;
     },
     absl::StatusCode::kResourceExhausted, true},
    {"WriteIoError", 24, 0, 1, [](FaultOps& o) { o.pwrite_errno = EIO; }, absl::StatusCode::kInternal, false},
    {"FsyncIoError", 24, 0, 1, [](FaultOps& o) { o.fdatasync_errno = EIO; }, absl::StatusCode::kInternal, false},
    // 400-byte payloads fill the first 1 KiB segment, so the next block needs a new file.
    {"NoRoomForANewSegment", 400, 1024, 3, [](FaultOps& o) { o.create_errno = ENOSPC; },
     absl::StatusCode::kResourceExhausted, true, true},
};

class LedgerInjectedFault : public LedgerFaults, public ::testing::WithParamInterface<InjectedFault> {};

TEST_P(LedgerInjectedFault, RefusedThenRecoversOnlyIfTransient) {
  const InjectedFault& f = GetParam();
  ASSERT_NO_FATAL_FAILURE(open(71, f.payload_bytes, f.segment_bytes));
  std::vector<Block> blocks{genesis_block()};
  for (int i = 0; i < 2; ++i) {
    blocks.push_back(next(f.txs_before));
    ASSERT_TRUE(ledger_->append(blocks.back()).ok());
  }
  const size_t segments_before = testing::list_segments(dir_.path()).size();
  f.inject(*ops_);
  const Block b = next(1);
  const absl::Status st = ledger_->append(b);
  EXPECT_EQ(st.code(), f.code) << st;
  EXPECT_EQ(ledger_->health().code(), f.code) << ledger_->health();
  EXPECT_EQ(ledger_->durable_tip().hash, blocks.back().header.hash());
  EXPECT_FALSE(ledger_->contains_id(b.txs[0].id()));

  ops_->clear();
  const absl::Status again = ledger_->append(b);
  if (f.transient) {
    EXPECT_TRUE(again.ok()) << again;
    EXPECT_TRUE(ledger_->health().ok()) << ledger_->health();
    blocks.push_back(b);
  } else {
    EXPECT_EQ(again.code(), absl::StatusCode::kInternal) << again;
  }
  if (f.needs_new_segment && f.transient) {
    EXPECT_EQ(testing::list_segments(dir_.path()).size(), segments_before + 1);
  }
  ledger_.reset();
  auto reopened = Ledger::open(dir_.path());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  for (const Block& good : blocks) EXPECT_EQ(*(*reopened)->read_block(good.header.height), good);
}

INSTANTIATE_TEST_SUITE_P(Ledger, LedgerInjectedFault, ::testing::ValuesIn(kInjectedFaults),
                         [](const ::testing::TestParamInfo<InjectedFault>& i) { return std::string(i.param.name); });

TEST_F(LedgerFaults, DiskFullRefusesLosesNothingAndRecovers) {
  ASSERT_NO_FATAL_FAILURE(open(51));
  std::vector<Block> blocks{genesis_block()};
  for (int i = 0; i < 3; ++i) {
    blocks.push_back(next(2));
    ASSERT_TRUE(ledger_->append(blocks.back()).ok());
  }
  const std::string seg = testing::list_segments(dir_.path()).at(0);
  const uint64_t durable_end = file_size(seg);

  ops_->pwrite_errno = ENOSPC;
  ops_->partial_bytes = 50;  // a short write first, then ENOSPC
  Block b4 = next(2);
  absl::Status st = ledger_->append(b4);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_EQ(ledger_->health().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ledger_->pending_tip().hash, blocks.back().header.hash()) << "pending tip falls back to the durable one";
  EXPECT_FALSE(ledger_->contains_id(b4.txs[0].id()));
  EXPECT_EQ(file_size(seg), durable_end) << "the partial write was not cut back";
  // Still full: refused again, still nothing lost.
  EXPECT_EQ(ledger_->append(b4).code(), absl::StatusCode::kResourceExhausted);
  for (const Block& b : blocks) EXPECT_EQ(*ledger_->read_block(b.header.height), b);

  ops_->pwrite_errno = 0;  // space returns
  ASSERT_TRUE(ledger_->append(b4).ok());
  blocks.push_back(b4);
  EXPECT_TRUE(ledger_->health().ok());
  ledger_.reset();
  auto again = Ledger::open(dir_.path());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->recovery_summary().find("nothing to repair") != std::string::npos)
      << (*again)->recovery_summary();
  for (const Block& b : blocks) EXPECT_EQ(*(*again)->read_block(b.header.height), b);
}

TEST_F(LedgerFaults, QueuedBlocksFailWithTheBatchThatHitDiskFull) {
  ASSERT_NO_FATAL_FAILURE(open(52));
  const TipInfo tip0 = ledger_->durable_tip();
  ops_->pwrite_errno = ENOSPC;
  std::atomic<int> exhausted{0}, refused{0};
  for (int i = 0; i < 20; ++i) {
    absl::Status s = ledger_->submit(next(1), [&](absl::Status cb) {
      EXPECT_EQ(cb.code(), absl::StatusCode::kResourceExhausted);
      ++exhausted;
    });
    if (!s.ok()) ++refused;  // built on a pending tip that had already fallen back
  }
  while (exhausted + refused < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ops_->pwrite_errno = 0;
  Block b = next(1);
  ASSERT_TRUE(ledger_->append(b).ok());
  EXPECT_EQ(exhausted + refused, 20);
  EXPECT_EQ(b.header.prev_hash, tip0.hash) << "every failed block was dropped from the pending chain";
}

TEST_F(LedgerFaults, FsyncFailureStopsTheWriterForGood) {
  ASSERT_NO_FATAL_FAILURE(open(53));
  std::vector<Block> blocks{genesis_block()};
  for (int i = 0; i < 2; ++i) {
    blocks.push_back(next(1));
    ASSERT_TRUE(ledger_->append(blocks.back()).ok());
  }
  ops_->fdatasync_errno = EIO;
  absl::Status st = ledger_->append(next(1));
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal) << st;
  EXPECT_NE(st.message().find("fdatasync"), std::string::npos) << st;
  EXPECT_EQ(ledger_->health().code(), absl::StatusCode::kInternal);
  const int syncs = ops_->fdatasyncs;
  ops_->fdatasync_errno = 0;  // even if the disk "recovers", no retry
  EXPECT_EQ(ledger_->append(next(1)).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ops_->fdatasyncs, syncs) << "the stopped writer must not fsync again";
  EXPECT_EQ(ledger_->durable_tip().hash, blocks.back().header.hash());
  ledger_.reset();
  auto l = Ledger::open(dir_.path());
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_GE((*l)->durable_tip().height, 2u);
  for (const Block& b : blocks) EXPECT_EQ(*(*l)->read_block(b.header.height), b);
}

// A real full file system: a 1 MiB tmpfs (needs CAP_SYS_ADMIN; skipped otherwise).
class Tmpfs {
 public:
  explicit Tmpfs(const std::string& path, const char* options = "size=1m") : path_(path) {
    std::filesystem::create_directories(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, options) == 0;
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST_F(LedgerFaults, RealTmpfsFillsUpAndRecovers) {
  const TempDir& dir = dir_;
  Tmpfs fs(dir.path() + "/mnt");
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  const std::string filler = dir.path() + "/mnt/filler";
  testing::write_file(filler, std::string(256 << 10, 'f'));
  BlockMaker maker(56, 8000);
  std::vector<Block> blocks{genesis_block()};
  const std::string data = dir.path() + "/mnt/data";
  {
    auto l = Ledger::open(data);
    ASSERT_TRUE(l.ok()) << l.status();
    absl::Status st;
    for (int i = 0; i < 200; ++i) {
      Block b = maker.next((*l)->pending_tip(), 4);
      st = (*l)->append(b);
      if (!st.ok()) break;
      blocks.push_back(b);
    }
    ASSERT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
    EXPECT_GT(blocks.size(), 5u);
    EXPECT_EQ((*l)->durable_tip().hash, blocks.back().header.hash());
    // The partial write was cut back: the segment ends on the last good record.
    LedgerScan scan(data);
    auto res = scan.run([](const ScannedBlock&) { return std::nullopt; });
    ASSERT_TRUE(res.ok());
    EXPECT_FALSE(res->tail_cut) << "a partial record was left behind";
    EXPECT_EQ(res->blocks, blocks.size());
    std::filesystem::remove(filler);  // space returns
    Block b = maker.next((*l)->pending_tip(), 4);
    ASSERT_TRUE((*l)->append(b).ok());
    blocks.push_back(b);
  }
  auto l = Ledger::open(data);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_NE((*l)->recovery_summary().find("nothing to repair"), std::string::npos) << (*l)->recovery_summary();
  for (const Block& b : blocks) EXPECT_EQ(*(*l)->read_block(b.header.height), b);
}

// The index on a file system of its own (an 8 MiB tmpfs at DATA/index, the
// segments on the ordinary disk), which the tests fill up.
class IndexOnTmpfs : public LedgerFaults {
 protected:
  void SetUp() override {
    fs_ = std::make_unique<Tmpfs>(data_ + "/index", "size=8m");
    if (!fs_->mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
    opts_.index_filter_mb = 1;
  }
  std::unique_ptr<Ledger> open_ledger() const {
    auto l = Ledger::open(data_, opts_);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? std::move(*l) : nullptr;
  }
  // Writes a file until the index's file system refuses more.
  void fill() const {
    const int fd = ::open(filler_.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    const std::string chunk(4096, 'f');
    while (::write(fd, chunk.data(), chunk.size()) == ssize_t(chunk.size())) {
    }
    ::close(fd);
  }
  void make_room() const { std::filesystem::remove(filler_); }
  // Every block at its height, every transaction found through the index.
  static void expect_all_indexed(const Ledger& l, const std::vector<Block>& blocks) {
    for (const Block& b : blocks) {
      EXPECT_EQ(*l.read_block(b.header.height), b);
      for (const Transaction& t : b.txs) {
        auto at = l.find_tx(t.id());
        ASSERT_TRUE(at.has_value()) << b.header.height;
        EXPECT_EQ(at->height, b.header.height);
      }
    }
  }

  const std::string data_ = dir_.path() + "/idx";
  const std::string filler_ = data_ + "/index/filler";
  std::unique_ptr<Tmpfs> fs_;
  LedgerOptions opts_;
};

// The index on a file system of its own that fills up (an 8 MiB tmpfs at
// DATA/index, the segments on the ordinary disk): an ingestion is refused
// ENOSPC and retried with a backoff; meanwhile health() says so, the ids in
// the waiting buffer are still found, and the writer waits once the next
// buffer is full too. Space returns: every block commits, none is refused,
// and a reopen finds them all through the index.
TEST_F(IndexOnTmpfs, IndexDiskFullIngestionIsRetriedUntilThereIsRoom) {
  opts_.index_buffer_ids = 64;
  BlockMaker maker(57);
  std::vector<Block> blocks{genesis_block()};
  std::unique_ptr<Ledger> l = open_ledger();
  ASSERT_TRUE(l);
  for (int i = 0; i < 10; ++i) {
    Block b = maker.next(l->pending_tip(), 8);
    ASSERT_TRUE(l->append(b).ok());
    blocks.push_back(std::move(b));
  }
  // Fill the index's file system.
  fill();
  const size_t before = blocks.size();
  std::atomic<int> committed{0}, refused{0};
  for (int i = 0; i < 30; ++i) {
    Block b = maker.next(l->pending_tip(), 8);
    ASSERT_TRUE(l->submit(b, [&](absl::Status st) { st.ok() ? ++committed : ++refused; }).ok());
    blocks.push_back(std::move(b));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (l->health().ok() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const absl::Status h = l->health();
  EXPECT_EQ(h.code(), absl::StatusCode::kResourceExhausted) << h;
  EXPECT_NE(h.message().find("index"), std::string::npos) << h;
  EXPECT_TRUE(l->stats().index_ingest_waiting);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LT(committed.load(), 30) << "the writer waits once the next buffer is full too";
  EXPECT_EQ(refused.load(), 0);
  // What is committed is found, from the buffers or RocksDB.
  for (size_t i = 0; i < before + size_t(committed.load()); ++i)
    for (const Transaction& t : blocks[i].txs) EXPECT_TRUE(l->find_tx(t.id()).has_value()) << i;
  make_room();
  const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (committed.load() + refused.load() < 30 && std::chrono::steady_clock::now() < deadline2)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(committed.load(), 30);
  EXPECT_EQ(refused.load(), 0);
  EXPECT_TRUE(l->health().ok()) << l->health();
  EXPECT_FALSE(l->stats().index_ingest_waiting);
  l.reset();
  l = open_ledger();
  ASSERT_TRUE(l);
  EXPECT_EQ(l->durable_tip().hash, blocks.back().header.hash());
  expect_all_indexed(*l, blocks);
}

// Closing while an ingestion waits for disk space does not wait for room:
// the ingestion gives up, the close returns, and the next open (with room
// again) indexes what was durable through its catch-up scan.
TEST_F(IndexOnTmpfs, IndexDiskFullCloseDoesNotWaitForRoom) {
  opts_.index_buffer_ids = 64;
  BlockMaker maker(58);
  std::vector<Block> blocks{genesis_block()};
  std::unique_ptr<Ledger> l = open_ledger();
  ASSERT_TRUE(l);
  fill();
  std::vector<std::atomic<int>> outcome(30);  // 1 committed, 2 refused
  for (int i = 0; i < 30; ++i) {
    Block b = maker.next(l->pending_tip(), 8);
    ASSERT_TRUE(l->submit(b, [&outcome, i](absl::Status st) { outcome[size_t(i)] = st.ok() ? 1 : 2; }).ok());
    blocks.push_back(std::move(b));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (l->health().ok() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(l->health().code(), absl::StatusCode::kResourceExhausted) << l->health();
  const auto t0 = std::chrono::steady_clock::now();
  l.reset();  // the disk is still full
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  for (auto& o : outcome) EXPECT_NE(o.load(), 0) << "every submit is answered";
  make_room();
  l = open_ledger();
  ASSERT_TRUE(l);
  const uint64_t tip = l->durable_tip().height;
  std::vector<Block> durable;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i >= 1 && outcome[i - 1].load() == 1) {
      EXPECT_LE(blocks[i].header.height, tip) << "acknowledged, so durable";
    }
    if (blocks[i].header.height <= tip) durable.push_back(blocks[i]);
  }
  expect_all_indexed(*l, durable);
}

// The heights file's entries are written after a batch is durable, so their
// room is reserved before the batch is written (in 4 KiB steps here): on a
// full index file system the batch is refused ResourceExhausted with nothing
// written, like a full segment disk, instead of stopping the writer; with
// room again appends go on and a reopen finds every block.
TEST_F(IndexOnTmpfs, IndexDiskFullBeforeTheHeightsEntriesRefusesTheBatch) {
  opts_.index_heights_reserve_bytes = 4096;  // 256 blocks a step
  BlockMaker maker(59);
  std::vector<Block> blocks{genesis_block()};
  std::unique_ptr<Ledger> l = open_ledger();
  ASSERT_TRUE(l);
  fill();
  absl::Status st;
  for (int i = 0; i < 600 && st.ok(); ++i) {
    Block b = maker.next(l->pending_tip(), 1);
    st = l->append(b);
    if (st.ok()) blocks.push_back(std::move(b));
  }
  ASSERT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
  EXPECT_GE(blocks.size(), 200u);  // the first step's room was reserved before the disk filled
  EXPECT_EQ(l->health().code(), absl::StatusCode::kResourceExhausted) << l->health();
  EXPECT_EQ(l->durable_tip().hash, blocks.back().header.hash());
  make_room();
  for (int i = 0; i < 5; ++i) {
    Block b = maker.next(l->pending_tip(), 1);
    ASSERT_TRUE(l->append(b).ok());
    blocks.push_back(std::move(b));
  }
  EXPECT_TRUE(l->health().ok()) << l->health();
  l.reset();
  l = open_ledger();
  ASSERT_TRUE(l);
  EXPECT_EQ(l->durable_tip().hash, blocks.back().header.hash());
  expect_all_indexed(*l, blocks);
}

// ENOSPC / EDQUOT from fdatasync (delayed allocation, thin or network
// storage): the batch was not made durable, so it is cut back and answered
// ResourceExhausted, and the writer goes on once there is room. EIO stays
// fatal (above).
TEST(LedgerFsyncFaults, DiskFullAtFsyncCutsBackAndRecovers) {
  for (int e : {ENOSPC, EDQUOT}) {
    TempDir dir;
    BlockMaker maker(54);
    auto ops = std::make_shared<FaultOps>();
    LedgerOptions opts;
    opts.file_ops = ops;
    std::vector<Block> blocks{genesis_block()};
    auto l = Ledger::open(dir.path(), opts);
    ASSERT_TRUE(l.ok());
    blocks.push_back(maker.next((*l)->pending_tip(), 1));
    ASSERT_TRUE((*l)->append(blocks.back()).ok());
    const std::string seg = testing::list_segments(dir.path()).back();
    const uint64_t durable_end = file_size(seg);
    ops->fdatasync_errno = e;
    absl::Status st = (*l)->append(maker.next((*l)->pending_tip(), 1));
    EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
    EXPECT_EQ((*l)->health().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(file_size(seg), durable_end) << "the unsynced batch is cut back";
    EXPECT_EQ((*l)->durable_tip().hash, blocks.back().header.hash());
    ops->fdatasync_errno = 0;
    blocks.push_back(maker.next((*l)->pending_tip(), 1));
    ASSERT_TRUE((*l)->append(blocks.back()).ok()) << "the writer retries once there is room";
    EXPECT_TRUE((*l)->health().ok());
    l->reset();
    auto again = Ledger::open(dir.path());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ((*again)->durable_tip().hash, blocks.back().header.hash());
    for (const Block& b : blocks) EXPECT_EQ(*(*again)->read_block(b.header.height), b);
  }
}

}  // namespace
}  // namespace bg
