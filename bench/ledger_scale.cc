// ledger_scale: builds large ledgers of real signed transactions and measures
// the index at scale (docs/PERFORMANCE.md, "Ledger index at scale").
//
//   ledger_scale build   --data DIR --transactions N [--per-block 100] [--seed S] [--threads T]
//       Appends N unique ed25519 transactions of exactly 128 bytes, validly
//       signed (on all cores, by 4,096 seeded keys; each payload starts with
//       the transaction's number), in blocks of --per-block, through Ledger::submit
//       (so the index is built as a server would build it). An existing
//       ledger at DIR is extended: transaction numbers continue from its count.
//       `blockgate audit --data DIR` passes on the result.
//       --fast-sign: one fixed nonce per key instead of RFC 8032's
//       per-message nonce: a signature costs a SHA-512 and two scalar
//       operations instead of a base-point multiplication (~10x cheaper). The
//       signatures verify exactly like RFC 8032 ones (audit accepts them), but
//       nonce reuse reveals the secret key: for these public benchmark keys only.
//   ledger_scale commit  --data DIR [--per-block 100] [--transactions 200000] [--rounds 3]
//       Durable commit throughput with and without the index, alternating in
//       the same run (fresh ledgers under DIR): everything submitted at once,
//       timed until the last block's callback (i.e. fsynced). Transactions are
//       128 bytes with unique payloads and dummy signatures: the ledger does not
//       verify signatures (the caller did), so its cost does not depend on them.
//   ledger_scale measure --data DIR [--lookups 1000000] [--index-cache-mb 256] [--index-filter-mb 128] [--drop-caches]
//       Opens the ledger (the server's open: tail scan only), then reports:
//       open time, RSS after open, find_tx and read_tx latency (p50/p99) over
//       random committed ids, RSS after the lookups, and the duplicate-check
//       rate with contains_ids in batches of 4,096 unknown ids. --drop-caches
//       (root): after picking the ids, empties the page cache and times the
//       first 10,000 find_tx and the next 10,000 read_tx cold.
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "bench/signed_corpus.h"
#include "cmd/args.h"
#include "host/hash.h"
#include "host/thread_pool.h"
#include "ledger/ledger.h"

namespace bg {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of the calling thread: rates per CPU second stay comparable
// when the machine is shared.
double thread_cpu() {
  rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

uint64_t rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

int build(const cmd::Args& args) {
  const std::string dir = args.get("data");
  const uint64_t n = *args.get_u64("transactions", 1000000);
  const uint64_t per_block = std::max<uint64_t>(1, *args.get_u64("per-block", 100));
  const uint64_t seed = *args.get_u64("seed", 1);
  ThreadPool pool(*args.get_u64("threads", 0));
  if (sodium_init() < 0) {
    std::cerr << "ledger_scale: libsodium cannot start\n";
    return 1;
  }
  auto opened = Ledger::open(dir);
  if (!opened.ok()) {
    std::cerr << "ledger_scale: " << opened.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<Ledger> ledger = std::move(*opened);
  const uint64_t first = ledger->stats().txs_committed;
  std::fprintf(stderr, "ledger_scale: %s holds %llu transactions; appending %llu\n", dir.c_str(),
               static_cast<unsigned long long>(first), static_cast<unsigned long long>(n));
  // Signing is the build's cost: 4,096 seeded keys are expanded once
  // (crypto_sign_seed_keypair per signature would double it), then every
  // transaction is one crypto_sign_detached on all cores. Payloads start with
  // the transaction's number, so every id is unique.
  constexpr size_t kKeys = 4096;
  struct ScaleKey {
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    // --fast-sign: the key's scalar a, one fixed nonce r and R = rB.
    uint8_t a[32], r[32], big_r[32];
  };
  const bool fast = args.has("fast-sign");
  std::vector<ScaleKey> keys(kKeys);
  pool.parallel_for(kKeys, 64, [&](size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) {
      Bytes tag = {'b', 'g', '-', 's', 'c', 'a', 'l', 'e', '-', 'k', 'e', 'y'};
      put_u64le(tag, seed);
      put_u64le(tag, k);
      const Hash32 secret = sha256(tag);
      ScaleKey& key = keys[k];
      crypto_sign_seed_keypair(key.pk, key.sk, secret.data());
      // RFC 8032 5.1.5: a = clamp(SHA-512(seed)[0..32)), reduced mod L here.
      uint8_t h[64], wide[64] = {0};
      crypto_hash_sha512(h, secret.data(), 32);
      h[0] &= 248;
      h[31] &= 127;
      h[31] |= 64;
      std::memcpy(wide, h, 32);
      crypto_core_ed25519_scalar_reduce(key.a, wide);
      // One nonce per key for every signature (--fast-sign only).
      crypto_hash_sha512(h, key.sk, 64);
      crypto_core_ed25519_scalar_reduce(key.r, h);
      crypto_scalarmult_ed25519_base_noclamp(key.big_r, key.r);
    }
  });
  const size_t payload_bytes = 128 - tx_fixed_size(Scheme::kEd25519);
  constexpr uint64_t kChunk = 1 << 16;
  // At most two chunks' blocks in flight: signing the next overlaps the writer.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t in_flight = 0;
  std::atomic<bool> failed{false};
  const auto t0 = Clock::now();
  double sign_s = 0;
  TipInfo tip = ledger->pending_tip();
  for (uint64_t done = 0; done < n && !failed;) {
    const uint64_t base = first + done;
    std::vector<Transaction> txs(size_t(std::min(kChunk, n - done)));
    std::vector<Hash32> ids(txs.size());
    const auto ts = Clock::now();
    pool.parallel_for(txs.size(), 256, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        const uint64_t num = base + i;
        const ScaleKey& key = keys[num % kKeys];
        Transaction& tx = txs[i];
        tx.scheme = Scheme::kEd25519;
        std::memcpy(tx.public_key.data(), key.pk, sizeof key.pk);
        tx.payload.resize(payload_bytes);
        uint64_t x = num ^ (seed * 0x9E3779B97F4A7C15ull);
        for (size_t k = 0; k < payload_bytes; k += 8) {
          // The number itself first, then splitmix64 filler.
          uint64_t w = num;
          if (k > 0) {
            x += 0x9E3779B97F4A7C15ull;
            w = x;
            w = (w ^ (w >> 30)) * 0xBF58476D1CE4E5B9ull;
            w = (w ^ (w >> 27)) * 0x94D049BB133111EBull;
            w ^= w >> 31;
          }
          std::memcpy(tx.payload.data() + k, &w, std::min<size_t>(8, payload_bytes - k));
        }
        if (fast) {
          // S = r + SHA-512(R || A || M) * a mod L: the verification equation
          // SB = R + kA holds exactly as for an RFC 8032 signature, but r is
          // the same for every message of the key, which reveals the key to
          // anyone holding two signatures. Acceptable only because these
          // keys are public by construction (derived from the seed above).
          uint8_t h[64], k[32], ka[32];
          crypto_hash_sha512_state st;
          crypto_hash_sha512_init(&st);
          crypto_hash_sha512_update(&st, key.big_r, 32);
          crypto_hash_sha512_update(&st, key.pk, 32);
          crypto_hash_sha512_update(&st, tx.payload.data(), tx.payload.size());
          crypto_hash_sha512_final(&st, h);
          crypto_core_ed25519_scalar_reduce(k, h);
          crypto_core_ed25519_scalar_mul(ka, k, key.a);
          std::memcpy(tx.signature.data(), key.big_r, 32);
          crypto_core_ed25519_scalar_add(tx.signature.data() + 32, key.r, ka);
        } else {
          crypto_sign_detached(tx.signature.data(), nullptr, tx.payload.data(), tx.payload.size(), key.sk);
        }
        ids[i] = tx.id();
      }
    });
    sign_s += since(ts);
    for (size_t off = 0; off < txs.size(); off += per_block) {
      const size_t end = std::min<size_t>(txs.size(), off + per_block);
      Block blk;
      blk.header.height = tip.height + 1;
      blk.header.prev_hash = tip.hash;
      blk.header.timestamp_ms = tip.timestamp_ms + 1;
      blk.header.tx_count = uint32_t(end - off);
      std::vector<Hash32> bids(ids.begin() + off, ids.begin() + end);
      blk.header.merkle_root = merkle_root(bids);
      blk.txs.assign(std::make_move_iterator(txs.begin() + off), std::make_move_iterator(txs.begin() + end));
      tip = TipInfo{blk.header.height, blk.header.hash(), blk.header.timestamp_ms};
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return in_flight < 2 * kChunk / per_block + 1; });
        ++in_flight;
      }
      absl::Status st = ledger->submit_with_ids(std::move(blk), std::move(bids), [&](absl::Status s) {
        if (!s.ok()) {
          std::fprintf(stderr, "ledger_scale: commit failed: %s\n", std::string(s.message()).c_str());
          failed = true;
        }
        std::lock_guard lk(mu);
        --in_flight;
        cv.notify_all();
      });
      if (!st.ok()) {
        std::cerr << "ledger_scale: submit: " << st.message() << "\n";
        return 1;
      }
    }
    done += txs.size();
    std::fprintf(stderr, "\rledger_scale: %llu / %llu transactions, %.0f s (%.0f signed/s while signing)",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(n), since(t0),
                 double(done) / sign_s);
  }
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return in_flight == 0; });
  }
  const LedgerStats s = ledger->stats();
  ledger.reset();
  std::fprintf(stderr, "\n");
  std::printf("built %s: tip %llu, %llu transactions, index %.1f MB, %.1f s\n", dir.c_str(),
              static_cast<unsigned long long>(s.blocks_committed - 1),
              static_cast<unsigned long long>(s.txs_committed), double(s.index_size_bytes) / 1e6, since(t0));
  return failed ? 1 : 0;
}

Transaction dummy_tx(uint64_t n) {
  Transaction tx;
  tx.scheme = Scheme::kEd25519;
  for (int i = 0; i < 32; ++i) tx.public_key[i] = uint8_t(i * 7 + 1);
  for (int i = 0; i < 64; ++i) tx.signature[i] = uint8_t(i * 13 + 5);
  tx.payload.assign(128 - tx_fixed_size(Scheme::kEd25519), 0xAB);
  for (int i = 0; i < 8; ++i) tx.payload[i] = uint8_t(n >> (8 * i));
  return tx;
}

int commit(const cmd::Args& args) {
  const std::string base = args.get("data");
  const uint64_t per_block = std::max<uint64_t>(1, *args.get_u64("per-block", 100));
  const uint64_t n = *args.get_u64("transactions", 200000);
  const uint64_t rounds = *args.get_u64("rounds", 3);
  uint64_t counter = 0;
  for (uint64_t r = 0; r < rounds; ++r) {
    for (bool with_index : {true, false}) {
      const std::string dir = base + (with_index ? "/commit-index" : "/commit-memory");
      std::filesystem::remove_all(dir);
      LedgerOptions opts;
      opts.index = with_index;
      auto opened = Ledger::open(dir, opts);
      if (!opened.ok()) {
        std::cerr << "ledger_scale: " << opened.status().message() << "\n";
        return 1;
      }
      std::unique_ptr<Ledger> l = std::move(*opened);
      TipInfo tip = l->durable_tip();
      std::vector<Block> blocks;
      for (uint64_t done = 0; done < n; done += per_block) {
        Block b;
        b.header.height = tip.height + 1;
        b.header.prev_hash = tip.hash;
        b.header.timestamp_ms = tip.timestamp_ms + 1;
        for (uint64_t i = 0; i < per_block; ++i) b.txs.push_back(dummy_tx(counter++));
        b.header.tx_count = uint32_t(per_block);
        b.header.merkle_root = compute_merkle_root(b.txs);
        tip = TipInfo{b.header.height, b.header.hash(), b.header.timestamp_ms};
        blocks.push_back(std::move(b));
      }
      const LedgerStats s0 = l->stats();
      std::mutex mu;
      std::condition_variable cv;
      size_t left = blocks.size();
      bool failed = false;
      const auto t0 = Clock::now();
      for (Block& b : blocks) {
        absl::Status st = l->submit(std::move(b), [&](absl::Status s) {
          std::lock_guard lk(mu);
          if (!s.ok()) failed = true;
          if (--left == 0) cv.notify_all();
        });
        if (!st.ok()) {
          std::cerr << "ledger_scale: submit: " << st.message() << "\n";
          return 1;
        }
      }
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return left == 0; });
      }
      const double secs = since(t0);
      const LedgerStats s1 = l->stats();
      std::printf("round %llu, %s: %llu tx in blocks of %llu: %.0f tx/s committed, %.3f fsyncs/block%s\n",
                  static_cast<unsigned long long>(r + 1), with_index ? "index " : "memory",
                  static_cast<unsigned long long>(n), static_cast<unsigned long long>(per_block), double(n) / secs,
                  double(s1.fsyncs - s0.fsyncs) / double(blocks.size()), failed ? " (A COMMIT FAILED)" : "");
      std::fflush(stdout);
      l.reset();
      std::filesystem::remove_all(dir);
      if (failed) return 1;
    }
  }
  return 0;
}

double pct(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, size_t(q * double(v.size())));
  std::nth_element(v.begin(), v.begin() + long(k), v.end());
  return v[k];
}

int measure(const cmd::Args& args) {
  const std::string dir = args.get("data");
  const uint64_t lookups = *args.get_u64("lookups", 1000000);
  LedgerOptions opts;
  opts.index_cache_mb = *args.get_u64("index-cache-mb", opts.index_cache_mb);
  opts.index_filter_mb = *args.get_u64("index-filter-mb", opts.index_filter_mb);
  const uint64_t rss0 = rss_kb();
  const auto t0 = Clock::now();
  auto opened = Ledger::open(dir, opts);
  if (!opened.ok()) {
    std::cerr << "ledger_scale: " << opened.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<Ledger> l = std::move(*opened);
  const double open_s = since(t0);
  const uint64_t rss_open = rss_kb();
  const TipInfo tip = l->durable_tip();
  LedgerStats s = l->stats();
  std::printf("ledger %s: tip %llu, %llu transactions, index %.1f MB on disk\n", dir.c_str(),
              static_cast<unsigned long long>(tip.height), static_cast<unsigned long long>(s.txs_committed),
              double(s.index_size_bytes) / 1e6);
  std::printf("open: %.3f s (indexed %llu blocks at open), RSS %.1f MB (process before open %.1f MB)\n", open_s,
              static_cast<unsigned long long>(s.index_catchup_blocks), rss_open / 1024.0, rss0 / 1024.0);
  if (s.index_filter_bytes > 0) {
    // A filter that was not trusted is rebuilt in the background: wait for it
    // (lookups are exact meanwhile, but the rates below are the filter's).
    const auto tw = Clock::now();
    while (!l->stats().index_filter_ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    s = l->stats();
    std::printf("id filter: %.0f MB, %s, ready %.1f s after open; %llu ids, expected false-positive rate %.4f\n",
                double(s.index_filter_bytes) / 1048576.0,
                s.index_filter_rebuild_reason.empty() ? "trusted from the file"
                                                      : ("rebuilt (" + s.index_filter_rebuild_reason + ")").c_str(),
                since(tw), static_cast<unsigned long long>(s.index_filter_ids), s.index_filter_fp_rate);
  }

  // Random committed ids: random blocks, one transaction each (not timed).
  std::mt19937_64 rng(42);
  const size_t want = size_t(std::min<uint64_t>(lookups, 1000000));
  std::vector<Hash32> ids;
  ids.reserve(want);
  const auto tp = Clock::now();
  while (ids.size() < want) {
    auto b = l->read_block(1 + rng() % tip.height);
    if (!b.ok() || b->txs.empty()) continue;
    ids.push_back(b->txs[rng() % b->txs.size()].id());
  }
  std::printf("picked %zu random committed ids in %.1f s\n", ids.size(), since(tp));
  std::shuffle(ids.begin(), ids.end(), rng);
  uint64_t cold_missed = 0;
  if (args.has("drop-caches")) {
    // Cold: the page cache emptied (root only), then the first lookups timed.
    ::sync();
    std::ofstream dc("/proc/sys/vm/drop_caches");
    dc << "3" << std::endl;
    if (!dc) {
      std::printf("cold: cannot drop the page cache (not root?): skipped\n");
    } else {
      const size_t cold = std::min<size_t>(ids.size(), 10000);
      std::vector<double> cold_us;
      cold_us.reserve(cold);
      uint64_t cold_missing = 0;
      for (size_t i = 0; i < cold; ++i) {
        const auto a = Clock::now();
        if (!l->find_tx(ids[i])) ++cold_missing;
        cold_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
      }
      std::printf("find_tx cold (page cache dropped, first %zu random ids): p50 %.1f us, p99 %.1f us, missing %llu\n",
                  cold, pct(cold_us, 0.5), pct(cold_us, 0.99), static_cast<unsigned long long>(cold_missing));
      std::vector<double> cold_read;
      for (size_t i = cold; i < std::min(ids.size(), cold + 10000); ++i) {
        const auto a = Clock::now();
        if (!l->read_tx(ids[i]).ok()) ++cold_missing;
        cold_read.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
      }
      std::printf("read_tx cold (next %zu ids): p50 %.1f us, p99 %.1f us\n", cold_read.size(), pct(cold_read, 0.5),
                  pct(cold_read, 0.99));
      cold_missed = cold_missing;
    }
  }
  std::vector<double> find_us, read_us;
  find_us.reserve(ids.size());
  uint64_t missing = cold_missed;
  const auto tf = Clock::now();
  const double cf = thread_cpu();
  for (const Hash32& id : ids) {
    const auto a = Clock::now();
    if (!l->find_tx(id)) ++missing;
    find_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  const double find_total = since(tf);
  const double find_cpu = thread_cpu() - cf;
  const size_t reads = std::min<size_t>(ids.size(), 200000);
  read_us.reserve(reads);
  for (size_t i = 0; i < reads; ++i) {
    const auto a = Clock::now();
    if (!l->read_tx(ids[i]).ok()) ++missing;
    read_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  s = l->stats();
  std::printf("find_tx: %zu lookups in %.2f s wall, %.2f s CPU (%.2f us CPU each), p50 %.2f us, p99 %.2f us; "
              "read_tx (%zu): p50 %.2f us, p99 %.2f us; missing %llu; cache hit ratio %.3f, cache %.1f MB\n",
              find_us.size(), find_total, find_cpu, 1e6 * find_cpu / double(find_us.size()), pct(find_us, 0.5), pct(find_us, 0.99), reads, pct(read_us, 0.5),
              pct(read_us, 0.99), static_cast<unsigned long long>(missing), s.index_cache_hit_ratio,
              double(s.index_cache_bytes) / 1e6);
  ids.clear();
  ids.shrink_to_fit();
  std::printf("RSS after the lookups: %.1f MB\n", rss_kb() / 1024.0);

  // Duplicate checks of unknown ids, 4,096 per call.
  constexpr size_t kBatch = 4096;
  std::vector<Hash32> unknown(kBatch);
  std::vector<uint8_t> present(kBatch);
  uint64_t checked = 0, hits = 0;
  const auto td = Clock::now();
  const double cd = thread_cpu();
  while (since(td) < 5.0) {
    for (Hash32& h : unknown)
      for (size_t k = 0; k < 32; k += 8) {
        const uint64_t r = rng();
        std::memcpy(h.data() + k, &r, 8);
      }
    l->contains_ids(unknown, present);
    for (uint8_t p : present) hits += p;
    checked += kBatch;
  }
  const double dup_s = since(td);
  const double dup_cpu = thread_cpu() - cd;
  const LedgerStats sd = l->stats();
  std::printf("contains_ids: %llu unknown ids in batches of %zu: %.0f ids/s wall, %.0f ids per CPU second "
              "(%llu reported present: must be 0); the filter passed %llu of %llu ids it was asked on to RocksDB\n",
              static_cast<unsigned long long>(checked), kBatch, double(checked) / dup_s, double(checked) / dup_cpu,
              static_cast<unsigned long long>(hits), static_cast<unsigned long long>(sd.index_filter_passed),
              static_cast<unsigned long long>(sd.index_filter_lookups));
  std::printf("RSS at the end: %.1f MB\n", rss_kb() / 1024.0);
  return missing == 0 && hits == 0 ? 0 : 1;
}

}  // namespace
}  // namespace bg

int main(int argc, char** argv) {
  using namespace bg;
  const std::string mode = argc >= 2 ? argv[1] : "";
  if (mode != "build" && mode != "measure" && mode != "commit") {
    std::cerr << "usage: ledger_scale build --data DIR --transactions N [--per-block 100] [--seed S] [--threads T] [--fast-sign]\n"
                 "       ledger_scale commit --data DIR [--per-block 100] [--transactions N] [--rounds R]\n"
                 "       ledger_scale measure --data DIR [--lookups N] [--index-cache-mb N] [--index-filter-mb N] "
                 "[--drop-caches]\n";
    return 2;
  }
  auto args = cmd::Args::parse(
      argc - 1, argv + 1, {"data", "transactions", "per-block", "seed", "threads", "lookups", "index-cache-mb", "index-filter-mb", "rounds"},
      {"fast-sign", "drop-caches"});
  if (!args.ok() || !args->has("data")) {
    std::cerr << "ledger_scale: "
              << (args.ok() ? std::string("--data DIR is required") : std::string(args.status().message())) << "\n";
    return 2;
  }
  for (const char* f :
       {"transactions", "per-block", "seed", "threads", "lookups", "index-cache-mb", "index-filter-mb", "rounds"})
    if (!args->get_u64(f, 0).ok()) {
      std::cerr << "ledger_scale: " << args->get_u64(f, 0).status().message() << "\n";
      return 2;
    }
  if (mode == "build") return build(*args);
  if (mode == "commit") return commit(*args);
  return measure(*args);
}
