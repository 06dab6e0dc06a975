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
  explicit Tmpfs(const std::string& path) : path_(path) {
    std::filesystem::create_directories(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=1m") == 0;
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
