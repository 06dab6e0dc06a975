// `blockgate reindex --data DIR [--index-cache-mb N]`: rebuilds the ledger's
// transaction index (DIR/index) from the segments, offline (it takes the
// ledger's lock: no server may be running on DIR), with a progress bar on
// stderr. The segments are only read, except that a torn tail is cut exactly
// as `blockgate serve` would at start-up.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cmd/commands.h"
#include "cmd/flags.h"
#include "ledger/ledger.h"
#include "ledger/scan.h"

namespace bg::cmd {
namespace {

struct ReindexConfig {
  std::string data;
  LedgerOptions ledger;
};

const FlagTable<ReindexConfig>& reindex_flags() {
  static const FlagTable<ReindexConfig> table = [] {
    FlagTable<ReindexConfig> t("reindex", std::string(command_summary("reindex")));
    t.add("data", &ReindexConfig::data, "ledger directory whose index to rebuild").value("DIR").needed();
    t.add("index-cache-mb", &ReindexConfig::ledger, &LedgerOptions::index_cache_mb,
          "transaction index block cache, MiB").at_least(1);
    t.add("index-memtable-mb", &ReindexConfig::ledger, &LedgerOptions::index_memtable_mb,
          "transaction index write buffers, MiB").at_least(2);
    t.add("index-filter-mb", &ReindexConfig::ledger, &LedgerOptions::index_filter_mb,
          "id filter in front of the transaction index, MiB (0: none)");
    return t;
  }();
  return table;
}

}  // namespace

int reindex(int argc, char** argv) {
  ReindexConfig cfg;
  ParsedFlags parsed;
  if (auto exit_code = parse_command_line(reindex_flags(), argc, argv, &cfg, &parsed)) return *exit_code;
  const std::string dir = cfg.data;
  if (::access((dir + "/" + segment_file_name(0)).c_str(), F_OK) != 0) {
    std::cerr << "blockgate reindex: no ledger in " << dir << "\n";
    return 1;
  }
  LedgerOptions& opts = cfg.ledger;
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
