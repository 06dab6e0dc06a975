// The persistent transaction index on real files: reopen scans only the
// unindexed tail; a deleted, truncated, corrupted, foreign, version-mismatched
// or ahead-of-the-ledger index is detected, rebuilt with a log line, and
// answers right afterwards; read_tx reads and checks one transaction;
// contains_ids sees durable and pending ids.
#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <random>
#include <thread>

#include "host/backend.h"
#include "host/hash.h"
#include "ledger/audit.h"
#include "ledger/id_filter.h"
#include "ledger/id_index.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "testing/files.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg {
namespace {

using testing::BlockMaker;
using testing::TempDir;
namespace fs = std::filesystem;

std::unique_ptr<Ledger> must_open(const std::string& dir, LedgerOptions opts = {}) {
  auto l = Ledger::open(dir, opts);
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? std::move(*l) : nullptr;
}

// Appends `blocks` blocks of 1..5 transactions; returns every block (genesis first).
std::vector<Block> grow(const std::string& dir, BlockMaker& maker, int blocks, LedgerOptions opts = {},
                        std::vector<Block> chain = {genesis_block()}) {
  auto l = must_open(dir, opts);
  if (!l) return chain;
  for (int i = 0; i < blocks; ++i) {
    Block b = maker.next(l->pending_tip(), size_t(1 + i % 5));
    EXPECT_TRUE(l->append(b).ok());
    chain.push_back(std::move(b));
  }
  return chain;
}

// Every transaction is found through the index at its place and reads back.
void expect_all_found(Ledger& l, const std::vector<Block>& chain) {
  for (const Block& b : chain) {
    for (uint32_t i = 0; i < b.txs.size(); ++i) {
      const Hash32 id = b.txs[i].id();
      auto loc = l.find_tx(id);
      ASSERT_TRUE(loc.has_value()) << "height " << b.header.height << " tx " << i;
      EXPECT_EQ(loc->height, b.header.height);
      EXPECT_EQ(loc->index, i);
      auto got = l.read_tx(id);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(got->tx, b.txs[i]);
      EXPECT_EQ(got->location.offset, loc->offset);
    }
  }
  Hash32 unknown{};
  unknown[5] = 0x77;
  EXPECT_FALSE(l.find_tx(unknown).has_value());
  EXPECT_FALSE(l.contains_id(unknown));
  EXPECT_EQ(l.read_tx(unknown).status().code(), absl::StatusCode::kNotFound);
}

// Opens the ledger, capturing stderr: the rebuild must be logged and right.
void expect_rebuilt(const std::string& dir, const std::vector<Block>& chain, const std::string& reason_part) {
  ::testing::internal::CaptureStderr();
  auto l = must_open(dir);
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(l);
  EXPECT_NE(err.find("is not usable"), std::string::npos) << err;
  EXPECT_NE(err.find("rebuilding it from the segments"), std::string::npos) << err;
  EXPECT_NE(err.find(reason_part), std::string::npos) << err;
  const LedgerStats s = l->stats();
  EXPECT_TRUE(s.index_rebuilt);
  EXPECT_EQ(s.index_catchup_blocks, chain.size());
  EXPECT_EQ(l->durable_tip().hash, chain.back().header.hash());
  expect_all_found(*l, chain);
  // And the rebuilt index is trusted next time: nothing left to scan.
  l.reset();
  l = must_open(dir);
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->stats().index_rebuilt);
  EXPECT_EQ(l->stats().index_catchup_blocks, 0u);
  expect_all_found(*l, chain);
}

TEST(LedgerIndex, ReopenScansNothingAndFindsEverything) {
  TempDir dir;
  BlockMaker maker(21);
  auto chain = grow(dir.path(), maker, 30);
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  const LedgerStats s = l->stats();
  EXPECT_TRUE(s.index_enabled);
  EXPECT_FALSE(s.index_rebuilt);
  EXPECT_EQ(s.index_catchup_blocks, 0u) << "a clean close leaves no tail to index";
  EXPECT_EQ(s.blocks_committed, chain.size());
  uint64_t txs = 0;
  for (const Block& b : chain) txs += b.txs.size();
  EXPECT_EQ(s.txs_committed, txs);
  EXPECT_GT(s.index_size_bytes, 0u);
  expect_all_found(*l, chain);
  EXPECT_EQ(*l->read_block(17), chain[17]);
  // Restarts do not pile up RocksDB log files (nothing is written through them).
  for (int i = 0; i < 4; ++i) {
    l.reset();
    l = must_open(dir.path());
    ASSERT_TRUE(l);
  }
  l.reset();
  int logs = 0;
  for (const auto& e : fs::directory_iterator(dir.path() + "/index"))
    if (e.path().extension() == ".log") ++logs;
  EXPECT_LE(logs, 1);
}

TEST(LedgerIndex, CatchesUpOnlyTheUnindexedTail) {
  TempDir dir;
  BlockMaker maker(22);
  auto chain = grow(dir.path(), maker, 20);
  // Blocks appended without the index (in-memory ids) leave it 7 blocks behind.
  LedgerOptions no_index;
  no_index.index = false;
  chain = grow(dir.path(), maker, 7, no_index, chain);
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  EXPECT_FALSE(l->stats().index_rebuilt);
  EXPECT_EQ(l->stats().index_catchup_blocks, 7u);
  EXPECT_EQ(l->durable_tip().hash, chain.back().header.hash());
  expect_all_found(*l, chain);
  // Appends continue on the caught-up index.
  Block b = maker.next(l->pending_tip(), 3);
  ASSERT_TRUE(l->append(b).ok());
  chain.push_back(b);
  expect_all_found(*l, chain);
}

TEST(LedgerIndex, VerifyOnOpenRescansEverything) {
  TempDir dir;
  BlockMaker maker(23);
  auto chain = grow(dir.path(), maker, 10);
  LedgerOptions o;
  o.verify_on_open = true;
  auto l = must_open(dir.path(), o);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->stats().index_catchup_blocks, 0u) << "everything was indexed already";
  expect_all_found(*l, chain);
}

TEST(LedgerIndex, DeletedIndexIsRebuilt) {
  TempDir dir;
  BlockMaker maker(24);
  auto chain = grow(dir.path(), maker, 25);
  fs::remove_all(dir.path() + "/index");
  expect_rebuilt(dir.path(), chain, "missing");
}

// DIR/index may be a mount point: emptied (a new volume mounted there) it is
// rebuilt in place, and a rebuild empties it rather than removing it.
TEST(LedgerIndex, EmptiedIndexDirectoryIsRebuiltInPlace) {
  TempDir dir;
  BlockMaker maker(26);
  auto chain = grow(dir.path(), maker, 25);
  for (const auto& e : fs::directory_iterator(dir.path() + "/index")) fs::remove_all(e.path());
  expect_rebuilt(dir.path(), chain, "missing");
  EXPECT_TRUE(fs::is_directory(dir.path() + "/index"));
}

TEST(LedgerIndex, AFileInPlaceOfTheIndexIsReplaced) {
  TempDir dir;
  BlockMaker maker(27);
  auto chain = grow(dir.path(), maker, 25);
  fs::remove_all(dir.path() + "/index");
  testing::write_file(dir.path() + "/index", "not a directory");
  expect_rebuilt(dir.path(), chain, "");
  EXPECT_TRUE(fs::is_directory(dir.path() + "/index"));
}

TEST(LedgerIndex, TruncatedHeightsFileIsRebuilt) {
  TempDir dir;
  BlockMaker maker(25);
  auto chain = grow(dir.path(), maker, 25);
  fs::resize_file(dir.path() + "/index/heights", 16 * 10);
  expect_rebuilt(dir.path(), chain, "heights file holds 10 entries");
}

TEST(LedgerIndex, CorruptRocksDbFilesAreRebuilt) {
  for (const char* victim : {"CURRENT", "MANIFEST", "sst"}) {
    SCOPED_TRACE(victim);
    TempDir dir;
    BlockMaker maker(26);
    auto chain = grow(dir.path(), maker, 25);
    std::string path;
    for (const auto& e : fs::directory_iterator(dir.path() + "/index")) {
      const std::string name = e.path().filename().string();
      if ((std::string(victim) == "sst" && name.size() > 4 && name.substr(name.size() - 4) == ".sst") ||
          name.rfind(victim, 0) == 0)
        path = e.path().string();
    }
    ASSERT_FALSE(path.empty()) << "no " << victim << " file in the index";
    std::string data = testing::read_file(path);
    ASSERT_GT(data.size(), 8u);
    if (std::string(victim) == "sst") {
      // Half of the table gone (a lost write): its footer no longer where it belongs.
      data.resize(data.size() / 2);
    } else {
      for (size_t i = data.size() / 2; i < data.size() && i < data.size() / 2 + 8; ++i) data[i] ^= 0x5A;
    }
    testing::write_file(path, data);
    expect_rebuilt(dir.path(), chain, "cannot open it");
  }
}

TEST(LedgerIndex, IndexOfAnotherLedgerIsRebuilt) {
  TempDir a, b;
  BlockMaker ma(27), mb(28);
  auto chain_a = grow(a.path(), ma, 25);
  auto chain_b = grow(b.path(), mb, 30);  // same genesis, another chain, longer
  fs::remove_all(a.path() + "/index");
  fs::copy(b.path() + "/index", a.path() + "/index", fs::copy_options::recursive);
  expect_rebuilt(a.path(), chain_a, "belongs to another ledger or is ahead of this one");
  // The shorter one copied into the longer one: its covered block is not ours either.
  fs::remove_all(b.path() + "/index");
  fs::copy(a.path() + "/index", b.path() + "/index", fs::copy_options::recursive);
  expect_rebuilt(b.path(), chain_b, "belongs to another ledger or is ahead of this one");
}

TEST(LedgerIndex, IndexAheadOfTheLedgerIsRebuilt) {
  TempDir dir;
  BlockMaker maker(29);
  auto chain = grow(dir.path(), maker, 25);
  // Cut the segment back to the end of block 15 (as if the disk lost committed data).
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  const std::string seg = testing::list_segments(dir.path()).at(0);
  uint64_t end = 0;
  {
    std::string data = testing::read_file(seg);
    // New ledgers are salted: each record ends with the 8-byte salt (record.h).
    for (int h = 0; h <= 15; ++h) end += kRecordHeaderSize + l->read_block_bytes(h)->size() + kRecordSaltSize;
  }
  l.reset();
  fs::resize_file(seg, end);
  chain.resize(16);
  expect_rebuilt(dir.path(), chain, "ahead of this one");
}

TEST(LedgerIndex, OtherFormatVersionIsRebuilt) {
  TempDir dir;
  BlockMaker maker(30);
  auto chain = grow(dir.path(), maker, 12);
  {
    bool created = false;
    auto ix = IdIndex::open(dir.path() + "/index", IndexTuning{}, &created);
    ASSERT_TRUE(ix.ok()) << ix.status();
    IndexMeta m = *(*ix)->meta();
    m.version = kIndexFormatVersion + 1;
    IdIndex::Batch empty;
    ASSERT_TRUE((*ix)->write(empty, m).ok());
  }
  expect_rebuilt(dir.path(), chain, "format version");
}

// The write path through the index's write buffer: ids are answered while
// they sit in the active buffer, in a frozen one being ingested, and in
// RocksDB after; a block larger than a buffer is split over two; a clean
// close ingests what is buffered.
TEST(LedgerIndex, WriteBufferIsIngestedAndAnsweredThroughout) {
  TempDir dir;
  BlockMaker maker(41);
  LedgerOptions o;
  o.index_buffer_ids = 40;
  auto l = must_open(dir.path(), o);
  ASSERT_TRUE(l);
  std::vector<Block> chain{genesis_block()};
  for (int i = 0; i < 60; ++i) {
    Block b = maker.next(l->pending_tip(), size_t(1 + i % 7));
    ASSERT_TRUE(l->append(b).ok());
    chain.push_back(std::move(b));
    if (i % 10 == 9) {
      expect_all_found(*l, chain);
      EXPECT_LE(l->stats().index_staged_ids, 80u) << "two buffers at most";
    }
  }
  Block big = maker.next(l->pending_tip(), 95);
  ASSERT_TRUE(l->append(big).ok());
  chain.push_back(big);
  expect_all_found(*l, chain);
  const LedgerStats s = l->stats();
  EXPECT_GE(s.index_ingested_files, 6u);
  EXPECT_LE(s.index_staged_ids, 80u);
  // RocksDB puts an ingested file on the lowest level it does not overlap:
  // the first few go to levels 6, 5, ..., then each is a level-0 file until
  // they are compacted, 8 at a time. Once settled, fewer than 8 are left and
  // no compaction is due.
  for (int i = 0; i < 400 && l->stats().index_level0_files == 0; ++i) {
    Block b = maker.next(l->pending_tip(), 7);
    ASSERT_TRUE(l->append(b).ok());
    chain.push_back(std::move(b));
  }
  EXPECT_GE(l->stats().index_level0_files, 1u);
  const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (l->stats().index_compacting && std::chrono::steady_clock::now() < settle)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(l->stats().index_compacting);
  EXPECT_LT(l->stats().index_level0_files, 8u);
  // Ids from an ingested buffer and from the last block are refused again.
  for (const Transaction& again : {chain[1].txs[0], big.txs[94]}) {
    Block dup = testing::block_on(l->pending_tip(), {again});
    EXPECT_EQ(l->submit(dup, nullptr).code(), absl::StatusCode::kAlreadyExists);
  }
  l.reset();
  l = must_open(dir.path(), o);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->stats().index_catchup_blocks, 0u) << "a clean close ingests the buffer";
  EXPECT_EQ(l->stats().index_staged_ids, 0u);
  expect_all_found(*l, chain);
  l.reset();
  auto backend = make_backend("cpu");
  ASSERT_TRUE(backend.ok());
  auto rep = audit_ledger(dir.path(), **backend, AuditOptions{});
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_TRUE(rep->ok) << audit_last_line(*rep);
  EXPECT_TRUE(rep->index_note.empty()) << rep->index_note;
}

// An id resubmitted while its block moves from pending to the write buffer,
// to a frozen buffer and into RocksDB, concurrently with the writer, is
// refused every time: the window between submit's index lookup and its lock
// is covered.
TEST(LedgerIndex, ResubmittedIdsAreRefusedWhileTheyBecomeDurable) {
  TempDir dir;
  BlockMaker maker(42);
  LedgerOptions o;
  o.index_buffer_ids = 16;
  auto l = must_open(dir.path(), o);
  ASSERT_TRUE(l);
  std::mt19937_64 rng(42);
  std::deque<Block> history;
  std::atomic<int> left{0};
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    Block b = maker.next(l->pending_tip(), 2);
    left++;
    ASSERT_TRUE(l->submit(b, [&left](absl::Status st) {
                   EXPECT_TRUE(st.ok()) << st;
                   left--;
                 }).ok());
    history.push_back(std::move(b));
    if (history.size() > 12) history.pop_front();
    const Block& old = history[history.size() - 1 - rng() % history.size()];
    Block dup = testing::block_on(l->pending_tip(), {old.txs[rng() % 2]});
    const absl::Status st = l->submit(dup, nullptr);
    ASSERT_EQ(st.code(), absl::StatusCode::kAlreadyExists) << "iteration " << i << ": " << st;
    ++refused;
  }
  while (left.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(refused, 2000);
  EXPECT_GT(l->stats().index_ingested_files, 20u);
}

// audit checks the id filter the next start-up would trust: every indexed
// id must pass it. An empty filter marked clean (a false negative for every
// id) fails the audit; an untrusted one is only a note.
TEST(LedgerIndex, AuditChecksTheIdFilter) {
  TempDir dir;
  BlockMaker maker(43);
  LedgerOptions o;
  o.index_filter_mb = 1;
  auto chain = grow(dir.path(), maker, 12, o);
  auto backend = make_backend("cpu");
  ASSERT_TRUE(backend.ok());
  auto rep = audit_ledger(dir.path(), **backend, AuditOptions{});
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_TRUE(rep->ok) << audit_last_line(*rep);
  EXPECT_NE(rep->filter_note.find("all " + std::to_string(rep->index_entries_checked) + " indexed ids pass it"),
            std::string::npos)
      << rep->filter_note;

  // A clean, empty filter bound to the same index, copied over the real one.
  std::string owner;
  {
    bool created = false;
    auto ix = IdIndex::open(dir.path() + "/index", IndexTuning{}, &created, /*read_only=*/true);
    ASSERT_TRUE(ix.ok()) << ix.status();
    owner = (*ix)->identity();
  }
  const std::string forged = dir.path() + "/forged-filter";
  {
    bool trusted = true;
    std::string why;
    auto f = IdFilter::open(forged, size_t(1) << 20, owner, &trusted, &why);
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_FALSE(trusted);
    ASSERT_TRUE((*f)->mark_complete().ok());
    ASSERT_TRUE((*f)->close_clean().ok());
  }
  fs::copy_file(forged, dir.path() + "/index/filter", fs::copy_options::overwrite_existing);
  rep = audit_ledger(dir.path(), **backend, AuditOptions{});
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_FALSE(rep->ok);
  EXPECT_NE(rep->reason.find("index: id filter: indexed id"), std::string::npos) << rep->reason;

  // Opened by a process that did not stop cleanly: not trusted, not checked.
  {
    bool trusted = false;
    std::string why;
    auto f = IdFilter::open(dir.path() + "/index/filter", size_t(1) << 20, owner, &trusted, &why);
    ASSERT_TRUE(f.ok()) << f.status();
    EXPECT_TRUE(trusted);
  }  // dropped without close_clean(): left "in use"
  rep = audit_ledger(dir.path(), **backend, AuditOptions{});
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_TRUE(rep->ok) << audit_last_line(*rep);
  EXPECT_NE(rep->filter_note.find("not checked"), std::string::npos) << rep->filter_note;
  // And the server's next open rebuilds it, after which the audit checks it again.
  auto l = must_open(dir.path(), o);
  ASSERT_TRUE(l);
  for (int i = 0; i < 500 && !l->stats().index_filter_ready; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(l->stats().index_filter_ready);
  l.reset();
  rep = audit_ledger(dir.path(), **backend, AuditOptions{});
  ASSERT_TRUE(rep.ok()) << rep.status();
  EXPECT_TRUE(rep->ok) << audit_last_line(*rep);
  EXPECT_NE(rep->filter_note.find("indexed ids pass it"), std::string::npos) << rep->filter_note;
}

TEST(LedgerIndex, ReadTxChecksTheBytes) {
  TempDir dir;
  BlockMaker maker(31, 64);
  auto chain = grow(dir.path(), maker, 5);
  Hash32 id;
  TxLocation loc;
  {
    auto l = must_open(dir.path());
    ASSERT_TRUE(l);
    id = chain[3].txs[1].id();
    loc = *l->find_tx(id);
  }
  // Flip one payload byte of that transaction in the segment (its record's
  // CRC breaks too, but read_tx reads only the transaction).
  const std::string seg = dir.path() + "/" + "segment-00000000.log";
  std::string data = testing::read_file(seg);
  data[loc.offset + loc.length - 5] ^= 1;
  testing::write_file(seg, data);
  LedgerOptions o;
  auto l = Ledger::open(dir.path(), o);
  // The damage is before the tail: open trusts the index and does not rescan it.
  ASSERT_TRUE(l.ok()) << l.status();
  auto got = (*l)->read_tx(id);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
  EXPECT_NE(got.status().message().find("do not hash to its id"), std::string::npos) << got.status();
  // Others still read.
  EXPECT_TRUE((*l)->read_tx(chain[3].txs[0].id()).ok());
}

TEST(LedgerIndex, ContainsIdsSeesDurableAndPending) {
  TempDir dir;
  BlockMaker maker(32);
  auto chain = grow(dir.path(), maker, 6);
  auto slow = std::make_shared<testing::SlowSyncOps>(300);
  LedgerOptions o;
  o.file_ops = slow;
  auto l = must_open(dir.path(), o);
  ASSERT_TRUE(l);
  Block b = maker.next(l->pending_tip(), 4);
  std::promise<absl::Status> done;
  ASSERT_TRUE(l->submit(b, [&](absl::Status s) { done.set_value(s); }).ok());
  std::vector<Hash32> ids{chain[2].txs[0].id(), b.txs[2].id(), Hash32{}, chain[6].txs.back().id()};
  ids[2][0] = 9;
  std::vector<uint8_t> present(ids.size(), 7);
  l->contains_ids(ids, present);
  EXPECT_EQ(present, (std::vector<uint8_t>{1, 1, 0, 1}));
  EXPECT_FALSE(l->find_tx(b.txs[2].id()).has_value()) << "find_tx sees durable blocks only";
  // A block repeating a durable id is refused by submit itself.
  Block dup = maker.next(l->pending_tip(), 2);
  dup.txs[1] = chain[4].txs[0];
  dup.header.merkle_root = compute_merkle_root(dup.txs);
  EXPECT_EQ(l->submit(dup, nullptr).code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(done.get_future().get().ok());
  l->contains_ids(ids, present);
  EXPECT_EQ(present, (std::vector<uint8_t>{1, 1, 0, 1}));
  EXPECT_EQ(l->find_tx(b.txs[2].id())->height, b.header.height);
}

// The audit checks the index against the segments and names the first disagreement.
TEST(LedgerIndex, AuditFindsTheFirstDisagreement) {
  TempDir dir;
  BlockMaker maker(33);
  auto chain = grow(dir.path(), maker, 8);
  uint64_t txs = 0;
  for (const Block& b : chain) txs += b.txs.size();
  auto backend = make_backend("cpu");
  ASSERT_TRUE(backend.ok());
  auto rep = audit_ledger(dir.path(), **backend);
  ASSERT_TRUE(rep.ok() && rep->ok) << audit_last_line(*rep);
  EXPECT_EQ(rep->index_entries_checked, txs);
  auto rewrite = [&](const Hash32& id, const IndexEntry& e) {
    bool created = false;
    auto ix = IdIndex::open(dir.path() + "/index", IndexTuning{}, &created);
    ASSERT_TRUE(ix.ok()) << ix.status();
    IndexMeta m = *(*ix)->meta();
    IdIndex::Batch b;
    b.add_tx(id, e);
    ASSERT_TRUE((*ix)->write(b, m).ok());
  };
  // An entry moved by one byte.
  const Hash32 id = chain[5].txs[1].id();
  auto l = must_open(dir.path());
  ASSERT_TRUE(l);
  const TxLocation loc = *l->find_tx(id);
  l.reset();
  rewrite(id, IndexEntry{loc.height, loc.index, loc.offset + 1, loc.length});
  rep = audit_ledger(dir.path(), **backend);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ok);
  EXPECT_EQ(rep->failed_height, 5u);
  EXPECT_NE(rep->reason.find("index: transaction 1"), std::string::npos) << rep->reason;
  // Put it back, then add an entry no block holds.
  rewrite(id, IndexEntry{loc.height, loc.index, loc.offset, loc.length});
  Hash32 stranger{};
  stranger[0] = 0xEE;
  rewrite(stranger, IndexEntry{3, 0, 1000, 100});
  rep = audit_ledger(dir.path(), **backend);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ok);
  EXPECT_NE(rep->reason.find(absl::StrCat("index: ", txs + 1, " entries where blocks 0..8 hold ", txs)),
            std::string::npos)
      << rep->reason;
  // The same for an entry above the covered height.
  rewrite(stranger, IndexEntry{9, 0, 1000, 100});
  rep = audit_ledger(dir.path(), **backend);
  ASSERT_TRUE(rep.ok());
  EXPECT_NE(rep->reason.find("above its covered height 8"), std::string::npos) << rep->reason;
}

// The id filter (DIR/index/filter) in front of RocksDB.

bool wait_filter_ready(Ledger& l) {
  for (int i = 0; i < 3000 && !l.stats().index_filter_ready; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return l.stats().index_filter_ready;
}

// Every committed id is reported present (contains_ids, through the filter),
// and every transaction is found at its place.
void expect_filter_right(Ledger& l, const std::vector<Block>& chain) {
  std::vector<Hash32> committed;
  for (const Block& b : chain)
    for (const Transaction& tx : b.txs) committed.push_back(tx.id());
  std::vector<uint8_t> present(committed.size());
  l.contains_ids(committed, present);
  for (size_t i = 0; i < committed.size(); ++i) ASSERT_TRUE(present[i]) << "committed id " << i << " not found";
  expect_all_found(l, chain);
  const auto unknown = testing::random_ids(4096, 99);
  present.assign(unknown.size(), 1);
  l.contains_ids(unknown, present);
  for (uint8_t p : present) ASSERT_EQ(p, 0);
}

TEST(LedgerIndex, IdFilterAnswersUnknownIdsWithoutRocksDbAndHasAFixedSize) {
  TempDir dir;
  BlockMaker maker(31);
  LedgerOptions o;
  o.index_filter_mb = 1;
  auto chain = grow(dir.path(), maker, 30, o);
  const std::string filter = dir.path() + "/index/filter";
  ASSERT_EQ(fs::file_size(filter), 4096u + (1u << 20));
  auto l = must_open(dir.path(), o);
  ASSERT_TRUE(l);
  LedgerStats s = l->stats();
  EXPECT_TRUE(s.index_filter_ready);
  EXPECT_EQ(s.index_filter_rebuild_reason, "") << "a clean close leaves a trusted filter";
  EXPECT_EQ(s.index_filter_bytes, 1u << 20);
  expect_filter_right(*l, chain);
  // 4,096 unknown ids: (nearly) none of them reaches RocksDB.
  const auto unknown = testing::random_ids(4096, 7);
  std::vector<uint8_t> present(unknown.size(), 1);
  s = l->stats();
  l->contains_ids(unknown, present);
  const LedgerStats s2 = l->stats();
  EXPECT_EQ(s2.index_filter_lookups - s.index_filter_lookups, 4096u);
  EXPECT_LT(s2.index_filter_passed - s.index_filter_passed, 20u);
  for (uint8_t p : present) EXPECT_EQ(p, 0);
  // More blocks: the file does not grow.
  for (int i = 0; i < 20; ++i) {
    Block b = maker.next(l->pending_tip(), 5);
    ASSERT_TRUE(l->append(b).ok());
    chain.push_back(std::move(b));
  }
  expect_filter_right(*l, chain);
  EXPECT_EQ(fs::file_size(filter), 4096u + (1u << 20));
  // And without a filter, the same answers from RocksDB alone.
  l.reset();
  o.index_filter_mb = 0;
  l = must_open(dir.path(), o);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->stats().index_filter_bytes, 0u);
  expect_filter_right(*l, chain);
}

TEST(LedgerIndex, IdFilterDeletedCorruptedResizedOrForeignIsRebuiltFromTheIndex) {
  LedgerOptions small;
  small.index_filter_mb = 4;
  TempDir other;
  BlockMaker other_maker(41);
  grow(other.path(), other_maker, 3, small);
  TempDir dir;
  BlockMaker maker(32);
  auto chain = grow(dir.path(), maker, 40, small);
  const std::string filter = dir.path() + "/index/filter";
  struct Damage {
    std::string name, reason;
    std::function<void()> apply;
    size_t mb = 4;
  };
  const std::vector<Damage> damages = {
      {"deleted", "missing", [&] { fs::remove(filter); }},
      {"bit flipped", "checksum mismatch",
       [&] {
         std::string bytes = testing::read_file(filter);
         bytes[4096 + 777] ^= 0x04;
         testing::write_file(filter, bytes);
       }},
      {"truncated", "its size", [&] { fs::resize_file(filter, 100000); }},
      {"another ledger's", "it belongs to another index",
       [&] { fs::copy_file(other.path() + "/index/filter", filter, fs::copy_options::overwrite_existing); }},
      {"resized by configuration", "its size", [] {}, 2},
      {"back to its size", "its size", [] {}, 4},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.name);
    d.apply();
    LedgerOptions o;
    o.index_filter_mb = d.mb;
    ::testing::internal::CaptureStderr();
    auto l = must_open(dir.path(), o);
    ASSERT_TRUE(l);
    // Right while the rebuild runs (RocksDB answers) and after it.
    expect_filter_right(*l, chain);
    ASSERT_TRUE(wait_filter_ready(*l));
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("id filter in " + dir.path() + "/index is not usable (" + d.reason), std::string::npos) << err;
    EXPECT_NE(err.find("rebuilding it from the index"), std::string::npos) << err;
    EXPECT_NE(err.find("id filter rebuilt from the index: "), std::string::npos) << err;
    EXPECT_FALSE(l->stats().index_rebuilt) << "only the filter is rebuilt, not the index";
    expect_filter_right(*l, chain);
    // Appends after the rebuild land in the filter too.
    Block b = maker.next(l->pending_tip(), 4);
    ASSERT_TRUE(l->append(b).ok());
    chain.push_back(std::move(b));
    l.reset();
    // Trusted at the next open.
    l = must_open(dir.path(), o);
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->stats().index_filter_ready);
    EXPECT_EQ(l->stats().index_filter_rebuild_reason, "");
    expect_filter_right(*l, chain);
  }
}

}  // namespace
}  // namespace bg
