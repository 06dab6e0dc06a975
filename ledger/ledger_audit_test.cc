// `blockgate audit` as a user runs it: the real binary on real ledgers, good
// and deliberately broken (records framed with valid checksums around bad
// content), checking the exact last line, the exit code and that the
// directory is left byte-for-byte unchanged.
#include <gtest/gtest.h>

#include <functional>

#include "host/hash.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "testing/files.h"
#include "testing/process.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg {
namespace {

using testing::BlockMaker;
using testing::TempDir;

struct AuditRun {
  int exit_code = -1;
  std::string last_line;
};

AuditRun run_audit(const std::string& dir) {
  AuditRun r;
  const std::string cmd = testing::blockgate_binary() + " audit --backend cpu --data " + dir + " 2>/dev/null";
  const std::vector<std::string> lines = testing::split_lines(testing::run_shell(cmd, &r.exit_code));
  if (!lines.empty()) r.last_line = lines.back();
  return r;
}

// Genesis + 2 good blocks of all three schemes; returns the tip.
TipInfo good_prefix(const std::string& dir, BlockMaker& maker, uint64_t* txs) {
  auto l = Ledger::open(dir);
  EXPECT_TRUE(l.ok()) << l.status();
  for (int i = 0; i < 2; ++i) {
    Block b = maker.next((*l)->pending_tip(), 3);
    EXPECT_TRUE((*l)->append(b).ok());
    *txs += b.txs.size();
  }
  return (*l)->durable_tip();
}

// Appends `b` to the last segment as a well-framed record, bypassing the
// ledger's own checks.
void append_raw(const std::string& dir, const Block& b) {
  const std::string seg = testing::list_segments(dir).back();
  std::string data = testing::read_file(seg);
  Bytes rec;
  RecordView first;
  parse_record(ByteSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size()), 0, &first);
  append_record(rec, b.encode(), data.size(), first.salt);
  data.append(rec.begin(), rec.end());
  testing::write_file(seg, data);
}

void expect_fails_at(const std::string& dir, uint64_t height, const std::string& reason_prefix) {
  const auto before = testing::hash_files(dir);
  AuditRun r = run_audit(dir);
  EXPECT_EQ(r.exit_code, 1);
  const std::string want = "audit failed at height " + std::to_string(height) + ": " + reason_prefix;
  EXPECT_EQ(r.last_line.substr(0, want.size()), want) << r.last_line;
  EXPECT_EQ(testing::hash_files(dir), before) << "audit changed the directory";
}

TEST(Audit, GoodLedgerExactLastLineAndReadOnly) {
  TempDir dir;
  BlockMaker maker(61);
  uint64_t txs = 0;
  TipInfo tip;
  {
    auto l = Ledger::open(dir.path());
    ASSERT_TRUE(l.ok());
    for (int i = 0; i < 25; ++i) {
      Block b = maker.next((*l)->pending_tip(), size_t(i % 7));
      ASSERT_TRUE((*l)->append(b).ok());
      txs += b.txs.size();
    }
    tip = (*l)->durable_tip();
  }
  const auto before = testing::hash_files(dir.path());
  AuditRun r = run_audit(dir.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.last_line, "audit ok: 26 blocks, " + std::to_string(txs) + " transactions, tip 25 " + to_hex(tip.hash));
  EXPECT_EQ(testing::hash_files(dir.path()), before) << "audit changed the directory";
}

// One broken ledger per row: a good prefix (genesis + blocks 1 and 2), then
// `corrupt` breaks it; audit must fail at `height` with a line starting
// `reason`, and leave the directory unchanged.
struct Corruption {
  const char* name;
  uint64_t seed;
  std::function<void(const std::string& dir, BlockMaker& maker, const TipInfo& tip)> corrupt;
  uint64_t height;
  const char* reason;
};

void PrintTo(const Corruption& c, std::ostream* os) { *os << c.name; }

const Corruption kCorruptions[] = {
    {"InvalidSignature", 62,
     [](const std::string& dir, BlockMaker& maker, const TipInfo& tip) {
       // The ledger stores what it is given (the server validates first), so a
       // block with a forged signature and a matching Merkle root goes in intact.
       auto l = Ledger::open(dir);
       ASSERT_TRUE(l.ok());
       Block bad = maker.next(tip, 3);
       bad.txs[1].signature[7] ^= 0x01;
       bad.header.merkle_root = compute_merkle_root(bad.txs);
       ASSERT_TRUE((*l)->append(bad).ok());
       ASSERT_TRUE((*l)->append(maker.next((*l)->pending_tip(), 2)).ok());
     },
     3, "invalid_signature: transaction 1"},
    {"BrokenChain", 63,
     [](const std::string& dir, BlockMaker& maker, const TipInfo& tip) {
       Block b = maker.next(tip, 1);
       b.header.prev_hash[0] ^= 0x80;
       append_raw(dir, b);
     },
     3, "not_extending_tip"},
    {"BadMerkleRoot", 64,
     [](const std::string& dir, BlockMaker& maker, const TipInfo& tip) {
       Block b = maker.next(tip, 2);
       b.header.merkle_root[5] ^= 1;
       append_raw(dir, b);
     },
     3, "bad_merkle_root"},
    {"DuplicateAcrossBlocks", 65,
     [](const std::string& dir, BlockMaker& maker, const TipInfo& tip) {
       Block b = maker.next(tip, 2);
       b.txs[1] = maker.tx(1, 0);  // block 1's first transaction again
       b.header.merkle_root = compute_merkle_root(b.txs);
       append_raw(dir, b);
     },
     3, "duplicate"},
    {"BadTimestamp", 66,
     [](const std::string& dir, BlockMaker& maker, const TipInfo& tip) {
       Block b = maker.next(tip, 1);
       b.header.timestamp_ms = tip.timestamp_ms - 1;
       append_raw(dir, b);
     },
     3, "bad_timestamp"},
    {"CorruptMiddleRecord", 67,
     [](const std::string& dir, BlockMaker&, const TipInfo&) {
       const std::string seg = testing::list_segments(dir).at(0);
       std::string data = testing::read_file(seg);
       const size_t genesis_record = kRecordHeaderSize + kHeaderSize;
       data[genesis_record + 100] ^= 0x04;  // inside block 1; block 2 follows intact
       testing::write_file(seg, data);
     },
     1, "corrupt record (checksum mismatch)"},
};

class AuditCorruption : public ::testing::TestWithParam<Corruption> {};

TEST_P(AuditCorruption, FailsAtItsHeight) {
  const Corruption& c = GetParam();
  TempDir dir;
  BlockMaker maker(c.seed);
  uint64_t txs = 0;
  const TipInfo tip = good_prefix(dir.path(), maker, &txs);
  c.corrupt(dir.path(), maker, tip);
  if (HasFatalFailure()) return;
  expect_fails_at(dir.path(), c.height, c.reason);
}

INSTANTIATE_TEST_SUITE_P(Audit, AuditCorruption, ::testing::ValuesIn(kCorruptions),
                         [](const ::testing::TestParamInfo<Corruption>& i) { return std::string(i.param.name); });

TEST(Audit, TornTailIsNotAFailure) {
  TempDir dir;
  BlockMaker maker(68);
  uint64_t txs = 0;
  TipInfo tip = good_prefix(dir.path(), maker, &txs);
  const std::string seg = testing::list_segments(dir.path()).at(0);
  Bytes rec;
  append_record(rec, maker.next(tip, 2).encode(), 0, 0);
  std::string data = testing::read_file(seg);
  data.append(rec.begin(), rec.begin() + rec.size() / 2);
  testing::write_file(seg, data);
  const auto before = testing::hash_files(dir.path());
  AuditRun r = run_audit(dir.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.last_line, "audit ok: 3 blocks, " + std::to_string(txs) + " transactions, tip 2 " + to_hex(tip.hash));
  EXPECT_EQ(testing::hash_files(dir.path()), before);
}

TEST(Audit, MissingDirectoryFails) {
  TempDir dir;
  AuditRun r = run_audit(dir.path() + "/nothing");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.last_line.rfind("audit failed at height 0: ", 0), 0u) << r.last_line;
}

}  // namespace
}  // namespace bg
