// Recovery on open: a torn or corrupt tail is cut (and logged), corruption
// before the tail refuses to open naming the height, read-only opens change
// nothing. Real files, edited byte by byte.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <absl/strings/str_cat.h>

#include <filesystem>
#include <thread>

#include "host/signer.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "ledger/scan.h"
#include "testing/files.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg {
namespace {

using testing::BlockMaker;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

uint64_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
}

// A ledger of genesis + `n` blocks, each appended alone (one batch each);
// ends[h] = segment size once block h was durable.
struct Built {
  std::vector<Block> blocks;
  std::vector<uint64_t> ends;
  std::string segment;
};

Built build(const std::string& dir, int n, uint64_t seed = 21) {
  Built b;
  BlockMaker maker(seed);
  auto l = Ledger::open(dir);
  EXPECT_TRUE(l.ok()) << l.status();
  b.segment = testing::list_segments(dir).at(0);
  b.blocks.push_back(genesis_block());
  b.ends.push_back(file_size(b.segment));
  for (int i = 0; i < n; ++i) {
    Block blk = maker.next((*l)->pending_tip(), 2);
    EXPECT_TRUE((*l)->append(blk).ok());
    b.blocks.push_back(blk);
    b.ends.push_back(file_size(b.segment));
  }
  return b;
}

void expect_tip(const std::string& dir, const Block& want) {
  auto l = Ledger::open(dir);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ((*l)->durable_tip().hash, want.header.hash());
}

TEST(Recovery, TruncationAtEveryOffsetOfTheLastRecord) {
  TempDir dir;
  Built b = build(dir.path(), 4);
  const std::string pristine = read_file(b.segment);
  const uint64_t prev_end = b.ends[3], full = b.ends[4];
  ASSERT_EQ(pristine.size(), full);
  BlockMaker maker(99);
  for (uint64_t cut = prev_end; cut < full; ++cut) {
    write_file(b.segment, pristine.substr(0, cut));
    {
      // The cut reaches into a block the index covers (a hand-made tear: the
      // writer never indexes an unsynced batch), so every open with the index
      // rebuilds it; most offsets test the scan alone, every 37th the index too.
      LedgerOptions o;
      o.index = cut % 37 == 0;
      auto l = Ledger::open(dir.path(), o);
      ASSERT_TRUE(l.ok()) << "cut at " << cut << ": " << l.status();
      ASSERT_EQ((*l)->durable_tip().hash, b.blocks[3].header.hash()) << "cut at " << cut;
      if (cut > prev_end) {
        EXPECT_NE((*l)->recovery_summary().find("truncated"), std::string::npos) << (*l)->recovery_summary();
      }
      ASSERT_EQ(file_size(b.segment), prev_end) << "cut at " << cut;
      // Every few offsets, check the repaired ledger takes new blocks.
      if (cut % 37 == 0) {
        ASSERT_TRUE((*l)->append(maker.next((*l)->pending_tip(), 1)).ok());
      }
    }
  }
  write_file(b.segment, pristine);
  expect_tip(dir.path(), b.blocks[4]);
}

TEST(Recovery, FlippedByteInTheTailRecordIsCut) {
  TempDir dir;
  Built b = build(dir.path(), 4);
  const std::string pristine = read_file(b.segment);
  const uint64_t start = b.ends[3], end = b.ends[4];
  // Magic, length, batch_start, checksum, header, body, last byte.
  for (uint64_t pos : {start, start + 5, start + 9, start + 17, start + 30, start + 200, end - 1}) {
    std::string s = pristine;
    s[pos] ^= 0x10;
    write_file(b.segment, s);
    expect_tip(dir.path(), b.blocks[3]);
    EXPECT_EQ(file_size(b.segment), start) << "flip at " << pos;
  }
}

TEST(Recovery, FlippedByteInAMiddleRecordRefusesNamingTheHeight) {
  TempDir dir;
  Built b = build(dir.path(), 5);
  std::string s = read_file(b.segment);
  s[b.ends[1] + 120] ^= 0x01;  // inside block 2
  write_file(b.segment, s);
  const auto before = testing::hash_files(dir.path());
  {
    // With a usable index, open reads only the tail after the covered
    // height: the damage is found when block 2 is read, not at open.
    auto l = Ledger::open(dir.path());
    ASSERT_TRUE(l.ok()) << l.status();
    EXPECT_EQ((*l)->read_block(2).status().code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(testing::hash_files(dir.path()), before) << "the segments are not touched";
  // The full rescan (serve --verify-on-open) refuses, as does an open without an index.
  LedgerOptions verify;
  verify.verify_on_open = true;
  auto l = Ledger::open(dir.path(), verify);
  ASSERT_FALSE(l.ok());
  LedgerOptions no_index;
  no_index.index = false;
  EXPECT_EQ(Ledger::open(dir.path(), no_index).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(l.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(l.status().message().find("height 2:"), std::string::npos) << l.status();
  EXPECT_NE(l.status().message().find(absl::StrCat("offset ", b.ends[1])), std::string::npos) << l.status();
  EXPECT_EQ(testing::hash_files(dir.path()), before) << "a refused open must not touch the files";
}

TEST(Recovery, ZeroFilledTailIsCut) {
  TempDir dir;
  Built b = build(dir.path(), 2);
  write_file(b.segment, read_file(b.segment) + std::string(8192, '\0'));
  expect_tip(dir.path(), b.blocks[2]);
  EXPECT_EQ(file_size(b.segment), b.ends[2]);
}

// Records of one unfinished batch are cut together; a bad record in an
// earlier batch (a later batch exists) is corruption, not a torn write.
TEST(Recovery, TheTailIsTheLastWriteBatch) {
  TempDir dir;
  BlockMaker maker(31);
  std::vector<Block> blocks;
  {
    LedgerOptions opts;
    auto slow = std::make_shared<testing::SlowSyncOps>(300);
    opts.file_ops = slow;
    auto l = Ledger::open(dir.path(), opts);  // genesis: batch 1
    ASSERT_TRUE(l.ok());
    Block b1 = maker.next((*l)->pending_tip(), 1);
    ASSERT_TRUE((*l)->append(b1).ok());  // batch 2
    blocks.push_back(b1);
    for (int i = 0; i < 3; ++i) {  // b2 alone (batch 3), then b3, b4 queue behind its slow sync (batch 4)
      Block b = maker.next((*l)->pending_tip(), 1);
      // b4 waits for its commit, so b5 below gets a batch of its own.
      ASSERT_TRUE((i == 2 ? (*l)->append(b) : (*l)->submit(b, nullptr)).ok());
      blocks.push_back(b);
      // b3 and b4 are submitted while the writer sits in b2's slow sync.
      while (i == 0 && slow->calls < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_TRUE((*l)->append(maker.next((*l)->pending_tip(), 0)).ok());  // batch 5: b5 alone
    EXPECT_EQ((*l)->stats().fsyncs, 5u);
  }
  const std::string seg = testing::list_segments(dir.path()).at(0);
  const std::string pristine = read_file(seg);
  // Locate the records and their batches.
  LedgerScan scan(dir.path());
  std::vector<std::pair<uint64_t, uint64_t>> recs;  // offset, size
  ASSERT_TRUE(scan.run([&](const ScannedBlock& sb) {
                    recs.emplace_back(sb.offset, sb.record_bytes);
                    return std::nullopt;
                  }).ok());
  ASSERT_EQ(recs.size(), 6u);
  ASSERT_EQ(get_u64le(reinterpret_cast<const uint8_t*>(pristine.data()) + recs[4].first + 8), recs[3].first)
      << "b3 and b4 should share a batch";

  // Drop batch 5 and damage b3: b3 and the intact b4 go (one unfinished batch).
  std::string s = pristine.substr(0, recs[5].first);
  s[recs[3].first + 40] ^= 1;
  write_file(seg, s);
  {
    auto l = Ledger::open(dir.path());
    ASSERT_TRUE(l.ok()) << l.status();
    EXPECT_EQ((*l)->durable_tip().height, 2u);
    EXPECT_NE((*l)->recovery_summary().find("1 further intact record"), std::string::npos)
        << (*l)->recovery_summary();
  }
  // Damage b3 with batch 5 still there: b3 was durable, refuse.
  s = pristine;
  s[recs[3].first + 40] ^= 1;
  write_file(seg, s);
  auto l = Ledger::open(dir.path());
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("height 3:"), std::string::npos) << l.status();
}

TEST(Recovery, CorruptionInAnEarlierSegmentRefuses) {
  TempDir dir;
  BlockMaker maker(41, 300);
  LedgerOptions opts;
  opts.segment_bytes = 2048;
  {
    auto l = Ledger::open(dir.path(), opts);
    ASSERT_TRUE(l.ok());
    for (int i = 0; i < 12; ++i) ASSERT_TRUE((*l)->append(maker.next((*l)->pending_tip(), 2)).ok());
  }
  auto segs = testing::list_segments(dir.path());
  ASSERT_GE(segs.size(), 3u);
  std::string s = read_file(segs[1]);
  s[s.size() - 3] ^= 1;  // the last record of a sealed segment
  write_file(segs[1], s);
  opts.verify_on_open = true;  // with the index, open would read only the tail
  auto l = Ledger::open(dir.path(), opts);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("before the last segment"), std::string::npos) << l.status();
  // A missing segment is refused too.
  s[s.size() - 3] ^= 1;
  write_file(segs[1], s);
  std::filesystem::remove(segs[1]);
  opts.verify_on_open = false;  // a missing segment is found by the tail-only open too
  l = Ledger::open(dir.path(), opts);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("is missing"), std::string::npos) << l.status();
}

TEST(Recovery, ReadOnlyLeavesATornTailAlone) {
  TempDir dir;
  Built b = build(dir.path(), 3);
  write_file(b.segment, read_file(b.segment).substr(0, b.ends[3] - 7));
  const auto before = testing::hash_files(dir.path());
  LedgerOptions ro;
  ro.read_only = true;
  {
    auto l = Ledger::open(dir.path(), ro);
    ASSERT_TRUE(l.ok()) << l.status();
    EXPECT_EQ((*l)->durable_tip().hash, b.blocks[2].header.hash());
    EXPECT_NE((*l)->recovery_summary().find("read-only: ignoring torn tail"), std::string::npos);
  }
  EXPECT_EQ(testing::hash_files(dir.path()), before);
}

TEST(Recovery, CrashBeforeGenesisWasDurable) {
  TempDir dir;
  write_file(dir.path() + "/" + segment_file_name(0), "");  // created, never written
  auto l = Ledger::open(dir.path());
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ((*l)->durable_tip().hash, genesis_block().header.hash());
}

TEST(Recovery, IntactRecordThatBreaksTheChainRefuses) {
  TempDir dir;
  Built b = build(dir.path(), 2);
  // A well-framed record (good checksum) whose block skips a height.
  BlockMaker maker(5);
  TipInfo tip{5, b.blocks[2].header.hash(), b.blocks[2].header.timestamp_ms};
  Bytes rec;
  const std::string seg = read_file(b.segment);
  RecordView first;
  ASSERT_EQ(parse_record(ByteSpan(reinterpret_cast<const uint8_t*>(seg.data()), seg.size()), 0, &first),
            RecordStatus::kOk);
  append_record(rec, maker.next(tip, 1).encode(), b.ends[2], first.salt);
  write_file(b.segment, seg + std::string(rec.begin(), rec.end()));
  auto l = Ledger::open(dir.path());
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("height 3:"), std::string::npos) << l.status();
}

// A payload is client bytes. One that carries forged record headers (good
// checksums, a batch_start past the torn record: legacy framing, and salted
// framing with a guessed salt) inside a torn tail must not make the tail look
// like older corruption: the ledger opens, cut back to the last good batch.
TEST(Recovery, ForgedRecordsInAPayloadDoNotStopATornTailCut) {
  TempDir dir;
  Built b = build(dir.path(), 3);
  const uint64_t bad = b.ends[3];
  Bytes forged;
  const Bytes inner(40, 0x5a);
  append_record(forged, inner, bad + 1, 0);
  append_record(forged, inner, bad + 1, 0x0123456789abcdefull);
  auto key = key_from_secret(Scheme::kEd25519, Bytes(32, 7));
  ASSERT_TRUE(key.ok());
  Block blk = BlockMaker(77).next(testing::tip_of(b.blocks[3]), 2);
  blk.txs[1] = sign_transaction(*key, forged);
  blk.header.merkle_root = compute_merkle_root(blk.txs);
  {
    auto l = Ledger::open(dir.path());
    ASSERT_TRUE(l.ok()) << l.status();
    ASSERT_TRUE((*l)->append(blk).ok());
  }
  const std::string full = read_file(b.segment);
  ASSERT_NE(full.find(std::string(forged.begin(), forged.end())), std::string::npos);
  write_file(b.segment, full.substr(0, full.size() - 3));  // the record's last bytes never made it
  // A torn write is never indexed: the index (which would cover the block,
  // since this test commits it whole first) goes, and open scans it all.
  std::filesystem::remove_all(dir.path() + "/index");
  auto l = Ledger::open(dir.path());
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ((*l)->durable_tip().hash, b.blocks[3].header.hash());
  EXPECT_EQ(file_size(b.segment), bad);
}

// A segment written before records were salted ("BGLR" framing) still opens,
// is appended to in its own framing, and its torn tail is still cut.
TEST(Recovery, LegacySegmentsStillOpen) {
  TempDir dir;
  Built b = build(dir.path(), 3);
  // Rewrite the segment in legacy framing (each block was its own batch).
  const std::string salted = read_file(b.segment);
  const ByteSpan seg(reinterpret_cast<const uint8_t*>(salted.data()), salted.size());
  Bytes legacy;
  for (uint64_t off = 0; off < seg.size();) {
    RecordView r;
    ASSERT_EQ(parse_record(seg, off, &r), RecordStatus::kOk);
    ASSERT_NE(r.salt, 0u);
    append_record(legacy, r.block, legacy.size(), 0);
    off += r.size();
  }
  write_file(b.segment, std::string(legacy.begin(), legacy.end()) + "torn");
  BlockMaker maker(78);
  {
    auto l = Ledger::open(dir.path());
    ASSERT_TRUE(l.ok()) << l.status();
    EXPECT_EQ((*l)->durable_tip().hash, b.blocks[3].header.hash());
    ASSERT_TRUE((*l)->append(maker.next((*l)->pending_tip(), 2)).ok());
  }
  const std::string after = read_file(b.segment);
  RecordView last;
  ASSERT_EQ(parse_record(ByteSpan(reinterpret_cast<const uint8_t*>(after.data()), after.size()), legacy.size(), &last),
            RecordStatus::kOk);
  EXPECT_EQ(last.salt, 0u) << "a legacy segment is appended to in legacy framing";
  auto l = Ledger::open(dir.path());
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ((*l)->durable_tip().height, 4u);
}

}  // namespace
}  // namespace bg
