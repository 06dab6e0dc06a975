// The process the crash test kills: appends blocks of real signed
// transactions as fast as it can and writes each committed height to stdout
// ("H\n") only after its commit callback ran, i.e. after fdatasync returned.
// Usage: ledger_crash_child DIR SEED TXS_PER_BLOCK PAYLOAD_BYTES
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "ledger/ledger.h"
#include "testing/tx_factory.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DIR SEED TXS_PER_BLOCK PAYLOAD_BYTES\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  const size_t txs = std::strtoull(argv[3], nullptr, 10);
  const size_t payload = std::strtoull(argv[4], nullptr, 10);
  // A small index write buffer: ingestions into RocksDB happen every few
  // dozen blocks, so that kills land during them too.
  bg::LedgerOptions opts;
  opts.index_buffer_ids = 64;
  auto ledger = bg::Ledger::open(dir, opts);
  if (!ledger.ok()) {
    std::fprintf(stderr, "crash child: %s\n", std::string(ledger.status().message()).c_str());
    return 1;
  }
  // "R": recovered and ready; the parent starts its kill timer here.
  if (::write(1, "R\n", 2) != 2) return 3;
  bg::testing::BlockMaker maker(seed, payload);
  std::atomic<int> in_flight{0};
  constexpr int kMaxInFlight = 64;  // bounds the queue; keeps batches large
  while (true) {
    while (in_flight.load() >= kMaxInFlight) std::this_thread::yield();
    bg::Block b = maker.next((*ledger)->pending_tip(), txs);
    const uint64_t h = b.header.height;
    in_flight++;
    absl::Status st = (*ledger)->submit(std::move(b), [&in_flight, h](absl::Status s) {
      if (s.ok()) {
        std::string line = std::to_string(h) + "\n";
        // Unbuffered: once this returns the parent can read it, even if killed next.
        if (::write(1, line.data(), line.size()) != ssize_t(line.size())) std::_Exit(3);
      }
      in_flight--;
    });
    if (!st.ok()) {
      std::fprintf(stderr, "crash child: submit: %s\n", std::string(st.message()).c_str());
      return 1;
    }
  }
}
