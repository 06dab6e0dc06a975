// The ledger on real files: genesis, append and reopen, lookups, group commit,
// submit rules, segment rotation, read-only mode, validate_block.
#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "host/backend.h"
#include "ledger/validate.h"
#include "testing/files.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg {
namespace {

using testing::BlockMaker;
using testing::TempDir;
using testing::tip_of;

std::unique_ptr<Ledger> must_open(const std::string& dir, LedgerOptions opts = {}) {
  auto l = Ledger::open(dir, opts);
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? std::move(*l) : nullptr;
}

TEST(Ledger, NewDirectoryHoldsGenesis) {
  TempDir dir;
  auto l = must_open(dir.path() + "/data");
  ASSERT_TRUE(l);
  const Block g = genesis_block();
  EXPECT_EQ(l->durable_tip().height, 0u);
  EXPECT_EQ(l->durable_tip().hash, g.header.hash());
  EXPECT_EQ(l->pending_tip().hash, g.header.hash());
  auto b = l->read_block(0);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, g);
  auto bytes = l->read_block_bytes(0);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, g.encode());
  EXPECT_EQ(l->read_block(1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(l->stats().fsyncs, 1u);
}

TEST(Ledger, AppendReopenLookups) {
  TempDir dir;
  BlockMaker maker(3);
  std::vector<Block> blocks{genesis_block()};
  {
    auto l = must_open(dir.path());
    ASSERT_TRUE(l);
    for (int i = 0; i < 12; ++i) {
      Block b = maker.next(l->pending_tip(), size_t(i % 5));
      ASSERT_TRUE(l->append(b).ok());
      blocks.push_back(b);
      EXPECT_EQ(l->durable_tip().hash, b.header.hash());
    }
    EXPECT_EQ(l->stats().blocks_committed, 13u);
    EXPECT_EQ(l->stats().fsyncs, 13u) << "idle: each lone block commits with its own fsync";
  }
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  EXPECT_EQ(l->durable_tip().height, 12u);
  EXPECT_EQ(l->durable_tip().hash, blocks.back().header.hash());
  EXPECT_EQ(l->durable_tip().timestamp_ms, blocks.back().header.timestamp_ms);
  uint64_t txs = 0;
  for (const Block& b : blocks) {
    auto got = l->read_block(b.header.height);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, b);
    EXPECT_EQ(*l->read_block_bytes(b.header.height), b.encode());
    for (uint32_t i = 0; i < b.txs.size(); ++i) {
      auto loc = l->find_tx(b.txs[i].id());
      ASSERT_TRUE(loc.has_value());
      EXPECT_EQ(loc->height, b.header.height);
      EXPECT_EQ(loc->index, i);
      EXPECT_TRUE(l->contains_id(b.txs[i].id()));
      ++txs;
    }
  }
  EXPECT_EQ(l->stats().txs_committed, txs);
  Hash32 unknown{};
  unknown[0] = 0x42;
  EXPECT_FALSE(l->find_tx(unknown).has_value());
  EXPECT_FALSE(l->contains_id(unknown));
  // And it keeps appending after a reopen.
  Block b = maker.next(l->pending_tip(), 2);
  ASSERT_TRUE(l->append(b).ok());
  EXPECT_EQ(*l->read_block(13), b);
}

TEST(Ledger, SubmitMustExtendPendingTip) {
  TempDir dir;
  BlockMaker maker(4);
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  const TipInfo g = l->pending_tip();
  Block b1 = maker.next(g, 1);
  Block wrong_height = b1;
  wrong_height.header.height = 5;
  EXPECT_EQ(l->submit(wrong_height, nullptr).code(), absl::StatusCode::kFailedPrecondition);
  Block wrong_prev = b1;
  wrong_prev.header.prev_hash[0] ^= 1;
  EXPECT_EQ(l->submit(wrong_prev, nullptr).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(l->append(b1).ok());
  Block early = maker.next(tip_of(b1), 1);
  early.header.timestamp_ms = b1.header.timestamp_ms - 1;
  EXPECT_EQ(l->submit(early, nullptr).code(), absl::StatusCode::kFailedPrecondition);
  // Same tip twice: the second is no longer extending.
  Block b2 = maker.next(tip_of(b1), 1);
  ASSERT_TRUE(l->submit(b2, nullptr).ok());
  EXPECT_EQ(l->submit(b2, nullptr).code(), absl::StatusCode::kFailedPrecondition);
  // A block repeating a pending or durable id.
  Block dup = maker.next(tip_of(b2), 0);
  dup.txs = {b1.txs[0]};
  dup.header.tx_count = 1;
  dup.header.merkle_root = compute_merkle_root(dup.txs);
  EXPECT_EQ(l->submit(dup, nullptr).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(l->pending_tip().hash, b2.header.hash());
}

TEST(Ledger, SubmitWithIdsIndexesTheGivenIds) {
  TempDir dir;
  BlockMaker maker(11);
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  Block b = maker.next(l->pending_tip(), 3);
  std::vector<Hash32> ids;
  for (const auto& tx : b.txs) ids.push_back(tx.id());
  EXPECT_EQ(l->submit_with_ids(b, {ids[0]}, nullptr).code(), absl::StatusCode::kInvalidArgument);
  std::promise<absl::Status> done;
  ASSERT_TRUE(l->submit_with_ids(b, ids, [&](absl::Status s) { done.set_value(s); }).ok());
  EXPECT_TRUE(l->contains_id(ids[2]));
  ASSERT_TRUE(done.get_future().get().ok());
  for (uint32_t i = 0; i < 3; ++i) {
    auto loc = l->find_tx(ids[i]);
    ASSERT_TRUE(loc.has_value());
    EXPECT_EQ(loc->height, 1u);
    EXPECT_EQ(loc->index, i);
  }
  EXPECT_EQ(*l->read_block(1), b);
}

TEST(Ledger, SubmitRefusesAnIdTwiceInsideABlock) {
  TempDir dir;
  BlockMaker maker(10);
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  for (size_t n : {4, 20}) {  // the pairwise path and the hash-set path
    Block b = maker.next(l->pending_tip(), n);
    b.txs[n - 1] = b.txs[1];
    b.header.merkle_root = compute_merkle_root(b.txs);
    absl::Status st = l->submit(b, nullptr);
    EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
    EXPECT_NE(st.message().find("tx_index " + std::to_string(n - 1)), std::string::npos) << st;
  }
  EXPECT_EQ(l->pending_tip().height, 0u);
}

TEST(Ledger, PendingIdsAreVisibleAndCallbacksInOrder) {
  TempDir dir;
  BlockMaker maker(5);
  LedgerOptions opts;
  // Each fsync is followed by a 2 ms pause: the writer cannot keep up with
  // back-to-back submits whatever the disk, so grouping is deterministic.
  opts.file_ops = std::make_shared<testing::SlowSyncOps>(2);
  auto l = must_open(dir.path(), opts);
  ASSERT_TRUE(l);
  std::mutex mu;
  std::vector<uint64_t> order;
  std::vector<Block> blocks;
  TipInfo tip = l->pending_tip();
  for (int i = 0; i < 200; ++i) {  // signed up front, so submits come back to back
    blocks.push_back(maker.next(tip, 1));
    tip = tip_of(blocks.back());
  }
  for (const Block& b : blocks) {
    const uint64_t h = b.header.height;
    ASSERT_TRUE(l->submit(b, [&, h](absl::Status st) {
                   EXPECT_TRUE(st.ok()) << st;
                   std::lock_guard lk(mu);
                   order.push_back(h);
                 }).ok());
    EXPECT_TRUE(l->contains_id(b.txs[0].id()));
  }
  ASSERT_TRUE(l->append(maker.next(l->pending_tip(), 0)).ok());
  std::lock_guard lk(mu);
  ASSERT_EQ(order.size(), 200u);
  for (size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i + 1);
  // Group commit: 201 blocks, far fewer fsyncs when submitted back to back.
  EXPECT_LT(l->stats().fsyncs, 20u) << "group commit did not group";
  for (const Block& b : blocks) EXPECT_TRUE(l->find_tx(b.txs[0].id()).has_value());
}

TEST(Ledger, ConcurrentSubmittersShareFsyncs) {
  TempDir dir;
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  std::mutex submit_mu;  // makes "build on the tip, then submit" atomic across threads
  std::atomic<int> committed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      BlockMaker maker(100 + t);
      for (int i = 0; i < 50; ++i) {
        std::lock_guard lk(submit_mu);
        Block b = maker.next(l->pending_tip(), 1);
        ASSERT_TRUE(l->submit(b, [&](absl::Status st) {
                       if (st.ok()) committed++;
                     }).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(l->append(BlockMaker(9).next(l->pending_tip(), 0)).ok());
  EXPECT_EQ(committed.load(), 200);
  EXPECT_EQ(l->durable_tip().height, 201u);
}

TEST(Ledger, RotatesSegmentsAndReadsAcrossThem) {
  TempDir dir;
  BlockMaker maker(6, 200);
  LedgerOptions opts;
  opts.segment_bytes = 4096;
  std::vector<Block> blocks{genesis_block()};
  {
    auto l = must_open(dir.path(), opts);
    ASSERT_TRUE(l);
    for (int i = 0; i < 40; ++i) {
      Block b = maker.next(l->pending_tip(), 3);
      ASSERT_TRUE(l->append(b).ok());
      blocks.push_back(b);
    }
  }
  EXPECT_GT(testing::list_segments(dir.path()).size(), 5u);
  auto l = must_open(dir.path(), opts);
  ASSERT_TRUE(l);
  for (const Block& b : blocks) EXPECT_EQ(*l->read_block(b.header.height), b);
  ASSERT_TRUE(l->append(maker.next(l->pending_tip(), 1)).ok());
}

TEST(Ledger, SecondWriterIsRefused) {
  TempDir dir;
  auto a = must_open(dir.path());
  ASSERT_TRUE(a);
  auto b = Ledger::open(dir.path());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition);
  LedgerOptions ro;
  ro.read_only = true;
  auto c = Ledger::open(dir.path(), ro);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->durable_tip().height, 0u);
}

TEST(Ledger, ReadOnlyNeverWrites) {
  TempDir dir;
  BlockMaker maker(7);
  {
    auto l = must_open(dir.path());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(l->append(maker.next(l->pending_tip(), 2)).ok());
  }
  auto before = testing::hash_files(dir.path());
  LedgerOptions ro;
  ro.read_only = true;
  {
    auto l = must_open(dir.path(), ro);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->durable_tip().height, 3u);
    EXPECT_EQ(l->submit(maker.next(l->pending_tip(), 1), nullptr).code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(testing::hash_files(dir.path()), before);
  EXPECT_EQ(Ledger::open(dir.path() + "/missing", ro).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/missing"));
}

TEST(Validate, BlockRules) {
  TempDir dir;
  BlockMaker maker(8);
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  auto backend = make_backend("cpu");
  ASSERT_TRUE(backend.ok());
  const TipInfo tip = l->pending_tip();
  const Block good = maker.next(tip, 4);
  auto check = [&](const Block& b) {
    BlockVerdict r = validate_block(b, tip, l.get(), **backend);
    EXPECT_FALSE(r.unavailable()) << r.status;
    return r;
  };
  EXPECT_TRUE(check(good).valid()) << check(good).detail;

  Block b = good;
  b.header.height = 7;
  EXPECT_EQ(check(b).code, ErrorCode::kNotExtendingTip);
  b = good;
  b.header.prev_hash[3] ^= 1;
  EXPECT_EQ(check(b).code, ErrorCode::kNotExtendingTip);
  b = good;
  b.header.version = 2;
  EXPECT_EQ(check(b).code, ErrorCode::kMalformed);
  b = good;
  b.header.tx_count = 5;
  EXPECT_EQ(check(b).code, ErrorCode::kTxCountMismatch);
  b = good;
  b.header.merkle_root[0] ^= 1;
  EXPECT_EQ(check(b).code, ErrorCode::kBadMerkleRoot);
  b = good;
  b.txs[2].signature[10] ^= 1;
  b.header.merkle_root = compute_merkle_root(b.txs);
  BlockVerdict e = check(b);
  EXPECT_EQ(e.code, ErrorCode::kInvalidSignature);
  EXPECT_EQ(e.tx_index, 2u);
  b = good;
  b.txs[3] = b.txs[1];
  b.header.merkle_root = compute_merkle_root(b.txs);
  e = check(b);
  EXPECT_EQ(e.code, ErrorCode::kDuplicate);
  EXPECT_EQ(e.tx_index, 3u);

  ASSERT_TRUE(l->append(good).ok());
  const TipInfo tip2 = l->durable_tip();
  Block again = maker.next(tip2, 2);
  again.txs[1] = good.txs[0];
  again.header.merkle_root = compute_merkle_root(again.txs);
  BlockVerdict r = validate_block(again, tip2, l.get(), **backend);
  ASSERT_FALSE(r.unavailable());
  EXPECT_EQ(r.code, ErrorCode::kDuplicate);
  EXPECT_EQ(r.tx_index, 1u);
  Block late = maker.next(tip2, 1);
  late.header.timestamp_ms = tip2.timestamp_ms - 1;
  r = validate_block(late, tip2, l.get(), **backend);
  ASSERT_FALSE(r.unavailable());
  EXPECT_EQ(r.code, ErrorCode::kBadTimestamp);
}

}  // namespace
}  // namespace bg
