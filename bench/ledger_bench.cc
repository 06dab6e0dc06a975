// Ledger benchmarks: durable commit throughput with 128-byte transactions at
// 1, 100 and 10,000 per block (everything submitted at once: group commit),
// one-at-a-time commit latency, fsyncs per block under concurrent submitters,
// and lookups by height and by id. Data goes under $BG_BENCH_DIR (default /tmp).
//
// Transactions carry unique payloads and dummy signatures: the ledger never
// verifies signatures (the caller did), so its cost does not depend on them.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <string>

#include "host/block.h"
#include "ledger/ledger.h"

namespace bg {
namespace {

constexpr size_t kTxBytes = 128;

std::string bench_dir(const std::string& tag) {
  const char* base = std::getenv("BG_BENCH_DIR");
  std::string dir = std::string(base && *base ? base : "/tmp") + "/bg-ledger-bench-" + tag;
  std::filesystem::remove_all(dir);
  return dir;
}

// A 128-byte ed25519-shaped transaction whose payload holds `n`.
Transaction make_tx(uint64_t n) {
  Transaction tx;
  tx.scheme = Scheme::kEd25519;
  for (int i = 0; i < 32; ++i) tx.public_key[i] = uint8_t(i * 7 + 1);
  for (int i = 0; i < 64; ++i) tx.signature[i] = uint8_t(i * 13 + 5);
  tx.payload.assign(kTxBytes - tx_fixed_size(Scheme::kEd25519), 0xAB);
  for (int i = 0; i < 8; ++i) tx.payload[i] = uint8_t(n >> (8 * i));
  return tx;
}

// Builds blocks on a running tip with fresh transactions.
class ChainBuilder {
 public:
  explicit ChainBuilder(TipInfo tip) : tip_(tip) {}
  Block next(size_t txs) {
    Block b;
    b.header.height = tip_.height + 1;
    b.header.prev_hash = tip_.hash;
    b.header.timestamp_ms = tip_.timestamp_ms + 1;
    b.txs.reserve(txs);
    for (size_t i = 0; i < txs; ++i) b.txs.push_back(make_tx(counter_++));
    b.header.tx_count = uint32_t(txs);
    b.header.merkle_root = compute_merkle_root(b.txs);
    tip_ = TipInfo{b.header.height, b.header.hash(), b.header.timestamp_ms};
    return b;
  }
  // The ids of a block's transactions, as the server's pipeline hands them
  // to the ledger (it hashes them on the backend while validating).
  static std::vector<Hash32> ids_of(const Block& b) {
    std::vector<Hash32> ids;
    ids.reserve(b.txs.size());
    for (const Transaction& tx : b.txs) ids.push_back(tx.id());
    return ids;
  }
  void set_counter(uint64_t c) { counter_ = c; }

 private:
  TipInfo tip_;
  uint64_t counter_ = 0;
};

// Counts down callbacks; wait() returns when all have fired.
class Countdown {
 public:
  void add(int n) {
    std::lock_guard lk(mu_);
    left_ += n;
  }
  void done(const absl::Status& st) {
    std::lock_guard lk(mu_);
    if (!st.ok()) failed_ = true;
    if (--left_ == 0) cv_.notify_all();
  }
  bool wait() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return left_ == 0; });
    return !failed_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int left_ = 0;
  bool failed_ = false;
};

// Durable throughput: each iteration builds ~100k transactions' worth of
// blocks and their ids (untimed: the server's pipeline computes the ids while
// validating and hands them over), then times submitting them all until the
// last is durable.
// Second argument: 1 with the persistent index (the default), 0 with the ids
// in memory (as before the index existed), compared in the same run.
void BM_CommitThroughput(benchmark::State& state) {
  const size_t per_block = size_t(state.range(0));
  const size_t blocks_per_iter = std::max<size_t>(1, 100000 / per_block);
  const std::string dir = bench_dir("commit");
  LedgerOptions opts;
  opts.index = state.range(1) != 0;
  auto ledger = Ledger::open(dir, opts);
  if (!ledger.ok()) return state.SkipWithError(std::string(ledger.status().message()).c_str());
  ChainBuilder chain((*ledger)->durable_tip());
  const LedgerStats s0 = (*ledger)->stats();
  uint64_t blocks = 0, txs = 0;
  for (auto _ : state) {
    std::vector<Block> batch;
    std::vector<std::vector<Hash32>> ids;
    batch.reserve(blocks_per_iter);
    for (size_t i = 0; i < blocks_per_iter; ++i) {
      batch.push_back(chain.next(per_block));
      ids.push_back(ChainBuilder::ids_of(batch.back()));
    }
    Countdown cd;
    cd.add(int(batch.size()));
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < batch.size(); ++i) {
      absl::Status st =
          (*ledger)->submit_with_ids(std::move(batch[i]), std::move(ids[i]), [&cd](absl::Status s) { cd.done(s); });
      if (!st.ok()) return state.SkipWithError(std::string(st.message()).c_str());
    }
    if (!cd.wait()) return state.SkipWithError("a commit failed");
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    blocks += blocks_per_iter;
    txs += blocks_per_iter * per_block;
  }
  const LedgerStats s1 = (*ledger)->stats();
  state.counters["blocks/s"] = benchmark::Counter(double(blocks), benchmark::Counter::kIsRate);
  state.counters["tx/s"] = benchmark::Counter(double(txs), benchmark::Counter::kIsRate);
  state.counters["MB/s"] =
      benchmark::Counter(double(s1.bytes_written - s0.bytes_written) / 1e6, benchmark::Counter::kIsRate);
  state.counters["fsyncs/block"] = double(s1.fsyncs - s0.fsyncs) / double(blocks);
  ledger->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CommitThroughput)
    ->ArgNames({"tx_per_block", "index"})
    ->Args({1, 1})->Args({100, 1})->Args({100, 0})->Args({10000, 1})->Args({10000, 0})
    ->UseManualTime()->Unit(benchmark::kMillisecond);

// Sustained: 4 M transactions (100 per block) built up front, then submitted
// in one timed run, so that the index's background work (ingestion and
// RocksDB compaction) gets no untimed pauses to catch up in. At most 262,144
// transactions are in flight, as in the server (--max-pending-txs).
void BM_CommitSustained(benchmark::State& state) {
  const size_t per_block = 100;
  const size_t blocks = size_t(state.range(0)) / per_block;
  const std::string dir = bench_dir("sustained");
  LedgerOptions opts;
  opts.index = state.range(1) != 0;
  auto ledger = Ledger::open(dir, opts);
  if (!ledger.ok()) return state.SkipWithError(std::string(ledger.status().message()).c_str());
  ChainBuilder chain((*ledger)->durable_tip());
  std::vector<Block> batch;
  std::vector<std::vector<Hash32>> ids;
  batch.reserve(blocks);
  ids.reserve(blocks);
  for (size_t i = 0; i < blocks; ++i) {
    batch.push_back(chain.next(per_block));
    ids.push_back(ChainBuilder::ids_of(batch.back()));
  }
  const LedgerStats s0 = (*ledger)->stats();
  constexpr size_t kMaxInFlightBlocks = 262144 / per_block;
  for (auto _ : state) {
    Countdown cd;
    std::mutex mu;
    std::condition_variable cv;
    size_t in_flight = 0;
    cd.add(int(batch.size()));
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < batch.size(); ++i) {
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return in_flight < kMaxInFlightBlocks; });
        ++in_flight;
      }
      absl::Status st = (*ledger)->submit_with_ids(std::move(batch[i]), std::move(ids[i]), [&](absl::Status s) {
        {
          std::lock_guard lk(mu);
          --in_flight;
        }
        cv.notify_one();
        cd.done(s);
      });
      if (!st.ok()) return state.SkipWithError(std::string(st.message()).c_str());
    }
    if (!cd.wait()) return state.SkipWithError("a commit failed");
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const LedgerStats s1 = (*ledger)->stats();
  state.counters["tx/s"] = benchmark::Counter(double(blocks * per_block), benchmark::Counter::kIsRate);
  state.counters["fsyncs/block"] = double(s1.fsyncs - s0.fsyncs) / double(blocks);
  state.counters["ingests"] = double(s1.index_ingested_files);
  ledger->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CommitSustained)
    ->ArgNames({"txs", "index"})
    ->Args({4000000, 1})->Args({4000000, 0})
    ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// Idle commit: one block at a time, each waiting for its own fdatasync.
void BM_CommitOneAtATime(benchmark::State& state) {
  const std::string dir = bench_dir("single");
  auto ledger = Ledger::open(dir);
  if (!ledger.ok()) return state.SkipWithError(std::string(ledger.status().message()).c_str());
  ChainBuilder chain((*ledger)->durable_tip());
  for (auto _ : state) {
    state.PauseTiming();
    Block b = chain.next(1);
    state.ResumeTiming();
    if (!(*ledger)->append(std::move(b)).ok()) return state.SkipWithError("append failed");
  }
  state.counters["blocks/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  ledger->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_CommitOneAtATime)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Several submitters, each waiting for its block to be durable before the
// next (like request handlers): how many blocks share one fdatasync.
struct SharedLedger {
  std::mutex mu;  // makes "build on the pending tip, submit" atomic
  std::unique_ptr<Ledger> ledger;
  std::atomic<uint64_t> counter{0};
  LedgerStats start;
  std::string dir;
};
SharedLedger* g_shared = nullptr;

void BM_ConcurrentSubmitters(benchmark::State& state) {
  constexpr size_t kTxs = 10;
  if (state.thread_index() == 0) {
    g_shared = new SharedLedger;
    g_shared->dir = bench_dir("concurrent");
    auto l = Ledger::open(g_shared->dir);
    if (!l.ok()) std::abort();
    g_shared->ledger = std::move(*l);
    g_shared->start = g_shared->ledger->stats();
  }
  // Google Benchmark starts all threads' loops together after setup.
  for (auto _ : state) {
    std::vector<Transaction> txs;
    for (size_t i = 0; i < kTxs; ++i) txs.push_back(make_tx(g_shared->counter++));
    const Hash32 root = compute_merkle_root(txs);
    std::promise<absl::Status> done;
    auto f = done.get_future();
    {
      std::lock_guard lk(g_shared->mu);
      const TipInfo tip = g_shared->ledger->pending_tip();
      Block b;
      b.header = BlockHeader{1, tip.height + 1, tip.hash, root, tip.timestamp_ms, uint32_t(kTxs)};
      b.txs = std::move(txs);
      if (!g_shared->ledger->submit(std::move(b), [&done](absl::Status s) { done.set_value(s); }).ok()) std::abort();
    }
    if (!f.get().ok()) state.SkipWithError("commit failed");
  }
  if (state.thread_index() == 0) {
    // Other threads may still be finishing their last block; the counters are
    // taken after all loops ended (thread 0 reports).
  }
  state.counters["blocks/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) {
    const LedgerStats s = g_shared->ledger->stats();
    const double blocks = double(s.blocks_committed - g_shared->start.blocks_committed);
    state.counters["fsyncs/block"] = double(s.fsyncs - g_shared->start.fsyncs) / blocks;
    std::filesystem::remove_all(g_shared->dir);
  }
}
BENCHMARK(BM_ConcurrentSubmitters)->Threads(1)->Threads(4)->Threads(16)->Threads(64)->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

double cpu_seconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// A read-side fixture: 20,000 blocks of 10 transactions (200,000 ids),
// reopened (so the indexes are the ones rebuilt by the open-time scan; the
// open is timed once with one scan thread and once with all cores).
struct ReadFixture {
  std::string dir;
  std::unique_ptr<Ledger> ledger;
  std::vector<Hash32> ids;
  double open_seconds = 0, open_seconds_1 = 0, open_cpu_seconds = 0;
  ReadFixture() {
    dir = bench_dir("read");
    {
      auto l = Ledger::open(dir);
      if (!l.ok()) std::abort();
      ChainBuilder chain((*l)->durable_tip());
      Countdown cd;
      for (int i = 0; i < 20000; ++i) {
        Block b = chain.next(10);
        for (const auto& tx : b.txs) ids.push_back(tx.id());
        cd.add(1);
        if (!(*l)->submit(std::move(b), [&cd](absl::Status s) { cd.done(s); }).ok()) std::abort();
      }
      cd.wait();
    }
    // Open (the full recovery scan) with one scan thread and with all cores.
    for (size_t threads : {1, 0}) {
      LedgerOptions opts;
      opts.scan_threads = threads;
      ledger.reset();
      const auto t0 = std::chrono::steady_clock::now();
      const double cpu0 = cpu_seconds();
      auto l = Ledger::open(dir, opts);
      if (!l.ok()) std::abort();
      (threads == 1 ? open_seconds_1 : open_seconds) =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      open_cpu_seconds = cpu_seconds() - cpu0;
      ledger = std::move(*l);
    }
  }
  ~ReadFixture() {
    ledger.reset();
    std::filesystem::remove_all(dir);
  }
};

ReadFixture& read_fixture() {
  static ReadFixture* f = new ReadFixture;  // shared by the read benchmarks; removed at exit
  static struct Cleanup {
    ~Cleanup() { delete f; }
  } cleanup;
  return *f;
}

void BM_ReadBlockBytesByHeight(benchmark::State& state) {
  ReadFixture& f = read_fixture();
  std::mt19937_64 rng(1);
  const uint64_t n = f.ledger->durable_tip().height + 1;
  for (auto _ : state) benchmark::DoNotOptimize(f.ledger->read_block_bytes(rng() % n));
  state.counters["open_s"] = f.open_seconds;
  state.counters["open_s_1thread"] = f.open_seconds_1;
  state.counters["open_cpu_s"] = f.open_cpu_seconds;
}
BENCHMARK(BM_ReadBlockBytesByHeight)->Unit(benchmark::kMicrosecond);

void BM_ReadBlockByHeight(benchmark::State& state) {
  ReadFixture& f = read_fixture();
  std::mt19937_64 rng(2);
  const uint64_t n = f.ledger->durable_tip().height + 1;
  for (auto _ : state) benchmark::DoNotOptimize(f.ledger->read_block(rng() % n));
}
BENCHMARK(BM_ReadBlockByHeight)->Unit(benchmark::kMicrosecond);

void BM_FindTxById(benchmark::State& state) {
  ReadFixture& f = read_fixture();
  std::mt19937_64 rng(3);
  for (auto _ : state) benchmark::DoNotOptimize(f.ledger->find_tx(f.ids[rng() % f.ids.size()]));
}
BENCHMARK(BM_FindTxById)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

void BM_ContainsUnknownId(benchmark::State& state) {
  ReadFixture& f = read_fixture();
  Hash32 id{};
  uint64_t n = 0;
  for (auto _ : state) {
    std::memcpy(id.data(), &++n, 8);
    benchmark::DoNotOptimize(f.ledger->contains_id(id));
  }
}
BENCHMARK(BM_ContainsUnknownId)->Unit(benchmark::kMicrosecond);

// The batched duplicate check (admission): 4,096 unknown ids per call.
void BM_ContainsIdsBatch(benchmark::State& state) {
  ReadFixture& f = read_fixture();
  std::vector<Hash32> ids(4096);
  std::vector<uint8_t> present(ids.size());
  uint64_t n = 0;
  for (auto _ : state) {
    for (Hash32& id : ids) {
      ++n;
      std::memcpy(id.data(), &n, 8);
      std::memcpy(id.data() + 8, &n, 8);
    }
    f.ledger->contains_ids(ids, present);
    benchmark::DoNotOptimize(present.data());
  }
  state.counters["ids/s"] = benchmark::Counter(double(state.iterations() * ids.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ContainsIdsBatch)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace bg

BENCHMARK_MAIN();
