// Ledger::read_block_range on real files: ranges equal block-by-block reads
// (with and without the index, across segment ends, within the byte and
// block limits), NotFound past the tip, and damage under a running ledger
// (a record failing its CRC, a torn record) reported with its height.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "ledger/ledger.h"
#include "ledger/record.h"
#include "testing/files.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg {
namespace {

using testing::BlockMaker;
using testing::TempDir;

std::unique_ptr<Ledger> must_open(const std::string& dir, LedgerOptions opts = {}) {
  auto l = Ledger::open(dir, opts);
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? std::move(*l) : nullptr;
}

// Appends `n` blocks of 0..4 transactions; returns every block's encoding, genesis first.
std::vector<Bytes> grow(Ledger& l, int n, uint64_t seed) {
  BlockMaker maker(seed);
  std::vector<Bytes> out{genesis_block().encode()};
  for (int i = 0; i < n; ++i) {
    Block b = maker.next(l.pending_tip(), size_t(i % 5));
    out.push_back(b.encode());
    EXPECT_TRUE(l.append(std::move(b)).ok());
  }
  return out;
}

// Where block `encoded` lies in the segment file: offset of its first byte.
size_t offset_in(const std::string& segment, const Bytes& encoded) {
  const std::string data = testing::read_file(segment);
  const size_t at = data.find(std::string(encoded.begin(), encoded.end()));
  EXPECT_NE(at, std::string::npos);
  return at;
}

class LedgerRange : public ::testing::TestWithParam<bool> {};  // with the index or without

TEST_P(LedgerRange, EqualsBlockByBlockReadsAcrossSegments) {
  TempDir dir;
  LedgerOptions opts;
  opts.index = GetParam();
  opts.segment_bytes = 4096;  // a few blocks per segment
  auto l = must_open(dir.path(), opts);
  ASSERT_TRUE(l);
  const std::vector<Bytes> blocks = grow(*l, 60, 7);
  ASSERT_GT(testing::list_segments(dir.path()).size(), 3u);
  const uint64_t tip = l->durable_tip().height;
  ASSERT_EQ(tip, 60u);

  BlockRange range;
  bool stopped_at_segment_end = false;
  for (size_t max_blocks : {size_t(1), size_t(3), size_t(1000)}) {
    for (size_t max_bytes : {size_t(1), size_t(700), size_t(1) << 20}) {
      uint64_t next = 0;
      while (next <= tip) {
        ASSERT_TRUE(l->read_block_range(next, max_blocks, max_bytes, &range).ok()) << next;
        ASSERT_EQ(range.first_height, next);
        ASSERT_GE(range.size(), 1u);
        ASSERT_LE(range.size(), max_blocks);
        ASSERT_LE(next + range.size() - 1, tip);
        size_t record_bytes = 0;
        for (size_t i = 0; i < range.size(); ++i) {
          ASSERT_EQ(Bytes(range.blocks[i].begin(), range.blocks[i].end()), blocks[next + i]) << next + i;
          record_bytes += kRecordHeaderSize + range.blocks[i].size() + kRecordSaltSize;
        }
        if (range.size() > 1) {
          EXPECT_LE(record_bytes, max_bytes);
        }
        // Everything fit, yet the range ended before the tip: a segment's end.
        if (max_blocks == 1000 && max_bytes == (size_t(1) << 20) && next + range.size() <= tip)
          stopped_at_segment_end = true;
        next += range.size();
      }
    }
  }
  EXPECT_TRUE(stopped_at_segment_end);

  // The same after a reopen (the locations come from the index or the scan).
  l.reset();
  l = must_open(dir.path(), opts);
  ASSERT_TRUE(l);
  ASSERT_TRUE(l->read_block_range(0, 1000, 1 << 20, &range).ok());
  for (size_t i = 0; i < range.size(); ++i)
    EXPECT_EQ(Bytes(range.blocks[i].begin(), range.blocks[i].end()), blocks[i]);
}

TEST_P(LedgerRange, PastTheTipIsNotFound) {
  TempDir dir;
  LedgerOptions opts;
  opts.index = GetParam();
  auto l = must_open(dir.path(), opts);
  ASSERT_TRUE(l);
  grow(*l, 3, 8);
  BlockRange range;
  EXPECT_EQ(l->read_block_range(4, 10, 1 << 20, &range).code(), absl::StatusCode::kNotFound);
  // A range that asks past the tip stops at it.
  ASSERT_TRUE(l->read_block_range(2, 10, 1 << 20, &range).ok());
  EXPECT_EQ(range.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(IndexOrMemory, LedgerRange, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Index" : "Memory"; });

// A bit flipped in block 5's record while the ledger runs: a range that
// holds it fails naming block 5 and its checksum; the blocks before and
// after it still read.
TEST(LedgerRangeDamage, RecordFailingItsCrcIsReported) {
  TempDir dir;
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  const std::vector<Bytes> blocks = grow(*l, 9, 9);
  const auto segments = testing::list_segments(dir.path());
  ASSERT_EQ(segments.size(), 1u);
  const size_t at = offset_in(segments[0], blocks[5]) + blocks[5].size() - 3;  // inside its last transaction
  {
    const int fd = ::open(segments[0].c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    uint8_t byte = 0;
    ASSERT_EQ(::pread(fd, &byte, 1, off_t(at)), 1);
    byte ^= 0x10;
    ASSERT_EQ(::pwrite(fd, &byte, 1, off_t(at)), 1);
    ::close(fd);
  }
  BlockRange range;
  for (uint64_t first : {0, 3, 5}) {
    absl::Status st = l->read_block_range(first, 100, 1 << 20, &range);
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << first;
    EXPECT_NE(st.message().find("block 5 "), std::string_view::npos) << st;
    EXPECT_NE(st.message().find("checksum"), std::string_view::npos) << st;
  }
  ASSERT_TRUE(l->read_block_range(0, 5, 1 << 20, &range).ok());
  EXPECT_EQ(range.size(), 5u);
  ASSERT_TRUE(l->read_block_range(6, 100, 1 << 20, &range).ok());
  ASSERT_EQ(range.size(), 4u);
  EXPECT_EQ(Bytes(range.blocks[3].begin(), range.blocks[3].end()), blocks[9]);
}

// The segment cut short inside block 7's record under a running ledger (a
// torn record where a durable one should be): reported as block 7, truncated.
TEST(LedgerRangeDamage, TornRecordIsReported) {
  TempDir dir;
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  const std::vector<Bytes> blocks = grow(*l, 9, 10);
  const auto segments = testing::list_segments(dir.path());
  ASSERT_EQ(segments.size(), 1u);
  const size_t cut = offset_in(segments[0], blocks[7]) + blocks[7].size() / 2;
  ASSERT_EQ(::truncate(segments[0].c_str(), off_t(cut)), 0);
  BlockRange range;
  for (uint64_t first : {0, 7}) {
    absl::Status st = l->read_block_range(first, 100, 1 << 20, &range);
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << first;
    EXPECT_NE(st.message().find("block 7 "), std::string_view::npos) << st;
    EXPECT_NE(st.message().find("truncated"), std::string_view::npos) << st;
  }
  ASSERT_TRUE(l->read_block_range(0, 7, 1 << 20, &range).ok());
  EXPECT_EQ(range.size(), 7u);
}

}  // namespace
}  // namespace bg
