// Server counters and histograms, rendered in the Prometheus text format
// (blockgate_ prefix, base units, _total counters). Counters are atomics;
// labelled counters and histograms take a short mutex (observed per batch or
// per block, so contention stays low).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/codes.h"
#include "ledger/ledger.h"

namespace bg {

// The exposition of one unlabelled sample with its HELP and TYPE lines
// (`type` is "counter" or "gauge"); doubles print with 9 significant digits.
void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   uint64_t value);
void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   double value);
// A label value escaped for the exposition format (backslash, quote, newline).
std::string escape_label(std::string_view s);

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v, uint64_t times = 1);
  // Prometheus exposition of the family `name` (buckets, _sum, _count).
  void render(std::string& out, std::string_view name, std::string_view help) const;
  // Upper bound of the bucket holding quantile q (0 when empty): a coarse
  // estimate, good enough for the status page.
  double quantile(double q) const;
  uint64_t count() const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // one per bound, plus +Inf
  uint64_t count_ = 0;
  double sum_ = 0;
};

// How each transaction ended (blockgate_transactions_total{outcome}).
enum class TxOutcome : uint8_t { kCommitted, kVerified, kRejected, kUnavailable };

// Gauges read from other components at render time.
struct MetricsSnapshot {
  uint64_t ledger_height = 0;
  uint64_t pending_txs = 0;
  uint64_t pending_blocks = 0;
  uint64_t fsyncs = 0;
  uint64_t bytes_written = 0;
  LedgerStats ledger;  // blockgate_ledger_index_*
  bool ready = false;
  std::string backend;
  std::string backend_description;
  std::string backend_active;     // the one answering now ("cpu" while a device is re-created)
  uint64_t backend_fallbacks = 0;  // device failures whose work moved to cpu
};

class Metrics {
 public:
  Metrics();

  void count_request(std::string_view route, int status);
  void count_txs(TxOutcome outcome, uint64_t n = 1);
  void count_rejected(ErrorCode code, uint64_t n = 1);
  void count_block(bool posted);
  uint64_t committed_txs() const { return tx_outcomes_[0].load(std::memory_order_relaxed); }
  uint64_t outcome(TxOutcome o) const { return tx_outcomes_[size_t(o)].load(std::memory_order_relaxed); }
  uint64_t rejected(ErrorCode c) const { return rejected_[size_t(c)].load(std::memory_order_relaxed); }

  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0};
  std::atomic<uint64_t> streams_open{0};
  std::atomic<uint64_t> shed_requests{0};  // 503 for saturation
  std::atomic<uint64_t> accept_backoffs{0};  // accept paused: out of file descriptors
  std::atomic<uint64_t> batches_in_flight{0};     // verify_batch calls running for transactions
  std::atomic<uint64_t> block_sigs_in_flight{0};  // signatures of POSTed blocks queued or verifying

  Histogram batch_size;              // signatures per verify_batch call (transactions)
  Histogram verify_seconds;          // one verify_batch call
  Histogram commit_latency_seconds;  // tx admitted → its block durable
  Histogram block_commit_seconds;    // Ledger::submit → durable (write + fsync + queueing)
  Histogram fsync_seconds;           // the ledger's own fsync timing
  Histogram block_txs;               // transactions per sealed block

  // Committed transactions per second over roughly the last five seconds.
  double recent_tx_rate();
  double uptime_seconds() const;

  std::string render(const MetricsSnapshot& snap) const;

 private:
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::array<std::atomic<uint64_t>, 4> tx_outcomes_{};
  std::array<std::atomic<uint64_t>, 16> rejected_{};
  std::atomic<uint64_t> blocks_sealed_{0}, blocks_posted_{0};
  std::mutex rate_mu_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> rate_samples_;
};

}  // namespace bg
