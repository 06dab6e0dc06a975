// `blockgate reindex --data DIR [--index-cache-mb N]`: rebuilds the ledger's
// transaction index (DIR/index) from the segments, offline (it takes the
// ledger's lock: no server may be running on DIR), with a progress bar on
// stderr. The segments are only read, except that a torn tail is cut exactly
// as `blockgate serve` would at start-up.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cmd/args.h"
#include "cmd/commands.h"
#include "ledger/ledger.h"
#include "ledger/scan.h"

namespace bg::cmd {

int reindex(int argc, char** argv) {
  auto args = Args::parse(argc, argv, {"data", "index-cache-mb", "index-memtable-mb"});
  if (!args.ok()) {
    std::cerr << "blockgate reindex: " << args.status().message() << "\n";
    return 2;
  }
  if (!args->has("data")) {
    std::cerr << "blockgate reindex: --data DIR is required\n";
    return 2;
  }
  LedgerOptions opts;
  auto cache = args->get_u64("index-cache-mb", opts.index_cache_mb);
  auto memtable = args->get_u64("index-memtable-mb", opts.index_memtable_mb);
  if (!cache.ok() || !memtable.ok()) {
    std::cerr << "blockgate reindex: " << (cache.ok() ? memtable.status() : cache.status()).message() << "\n";
    return 2;
  }
  const std::string dir = args->get("data");
  if (::access((dir + "/" + segment_file_name(0)).c_str(), F_OK) != 0) {
    std::cerr << "blockgate reindex: no ledger in " << dir << "\n";
    return 1;
  }
  opts.index_cache_mb = *cache;
  opts.index_memtable_mb = *memtable;
  opts.rebuild_index = true;
  const bool tty = ::isatty(2);
  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0 - std::chrono::seconds(1);
  opts.index_progress = [&](uint64_t done, uint64_t total, uint64_t blocks) {
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last < std::chrono::milliseconds(tty ? 200 : 5000)) return;
    last = now;
    const double frac = total ? double(done) / double(total) : 1.0;
    const int width = 40;
    const int fill = int(frac * width);
    const double secs = std::chrono::duration<double>(now - t0).count();
    std::fprintf(stderr, "%sreindex [%.*s%*s] %5.1f%%  %llu blocks  %.1f s%s", tty ? "\r" : "", fill,
                 "########################################", width - fill, "", 100 * frac,
                 static_cast<unsigned long long>(blocks), secs, tty ? "" : "\n");
  };
  auto ledger = Ledger::open(dir, opts);
  if (tty) std::fprintf(stderr, "\n");
  if (!ledger.ok()) {
    std::cerr << "blockgate reindex: " << ledger.status().message() << "\n";
    return 1;
  }
  const LedgerStats s = (*ledger)->stats();
  const TipInfo tip = (*ledger)->durable_tip();
  ledger->reset();  // flushes the index
  std::cout << "reindexed " << s.index_catchup_blocks << " blocks, " << s.txs_committed << " transactions, tip "
            << tip.height << " in "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s" << std::endl;
  return 0;
}

}  // namespace bg::cmd
