// Metrics: bucketed histograms and the Prometheus text rendering.
#include "server/metrics.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <algorithm>

namespace bg {
namespace {

std::vector<double> exponential(double start, double factor, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i, start *= factor) v.push_back(start);
  return v;
}

std::string fmt_double(double v) { return absl::StrFormat("%.9g", v); }

constexpr std::array<std::string_view, 4> kOutcomeNames = {"committed", "verified", "rejected", "unavailable"};

void append_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  absl::StrAppend(&out, "# HELP ", std::string(name), " ", std::string(help), "\n# TYPE ", std::string(name), " ",
                  std::string(type), "\n");
}

}  // namespace

// Label values: escape backslash, quote and newline (exposition format).
std::string escape_label(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   uint64_t value) {
  append_header(out, name, type, help);
  absl::StrAppend(&out, std::string(name), " ", value, "\n");
}

void append_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                   double value) {
  append_header(out, name, type, help);
  absl::StrAppend(&out, std::string(name), " ", fmt_double(value), "\n");
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v, uint64_t times) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  std::lock_guard lk(mu_);
  counts_[i] += times;
  count_ += times;
  sum_ += v * double(times);
}

uint64_t Histogram::count() const {
  std::lock_guard lk(mu_);
  return count_;
}

double Histogram::quantile(double q) const {
  std::lock_guard lk(mu_);
  if (count_ == 0) return 0;
  const double target = q * double(count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (double(seen) >= target) return i < bounds_.size() ? bounds_[i] : bounds_.back();
  }
  return bounds_.back();
}

void Histogram::render(std::string& out, std::string_view name, std::string_view help) const {
  std::lock_guard lk(mu_);
  append_header(out, name, "histogram", help);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    absl::StrAppend(&out, std::string(name), "_bucket{le=\"", fmt_double(bounds_[i]), "\"} ", cumulative, "\n");
  }
  absl::StrAppend(&out, std::string(name), "_bucket{le=\"+Inf\"} ", count_, "\n", std::string(name), "_sum ",
                  fmt_double(sum_), "\n", std::string(name), "_count ", count_, "\n");
}

Metrics::Metrics()
    : batch_size(exponential(1, 2, 19)),                 // 1 .. 262144
      verify_seconds(exponential(1e-5, 2.5, 16)),        // 10 µs .. ~9 s
      commit_latency_seconds(exponential(1e-4, 2, 18)),  // 100 µs .. ~13 s
      block_commit_seconds(exponential(1e-4, 2, 18)),
      fsync_seconds(exponential(1e-5, 2.5, 16)),
      block_txs(exponential(1, 4, 10)),
      start_(std::chrono::steady_clock::now()) {}

void Metrics::count_request(std::string_view route, int status) {
  std::lock_guard lk(mu_);
  ++requests_[{std::string(route), status}];
}

void Metrics::count_txs(TxOutcome outcome, uint64_t n) {
  tx_outcomes_[size_t(outcome)].fetch_add(n, std::memory_order_relaxed);
}

void Metrics::count_rejected(ErrorCode code, uint64_t n) {
  rejected_[size_t(code)].fetch_add(n, std::memory_order_relaxed);
  count_txs(TxOutcome::kRejected, n);
}

void Metrics::count_block(bool posted) { (posted ? blocks_posted_ : blocks_sealed_).fetch_add(1); }

double Metrics::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Metrics::recent_tx_rate() {
  const auto now = std::chrono::steady_clock::now();
  const uint64_t committed = committed_txs();
  std::lock_guard lk(rate_mu_);
  if (rate_samples_.empty() || now - rate_samples_.back().first >= std::chrono::milliseconds(200))
    rate_samples_.emplace_back(now, committed);
  while (rate_samples_.size() > 2 && now - rate_samples_[1].first >= std::chrono::seconds(5)) rate_samples_.pop_front();
  const auto& [t0, c0] = rate_samples_.front();
  const double dt = std::chrono::duration<double>(now - t0).count();
  return dt > 0.05 ? double(committed - c0) / dt : 0.0;
}

std::string Metrics::render(const MetricsSnapshot& snap) const {
  std::string out;
  out.reserve(8192);
  append_header(out, "blockgate_http_requests_total", "counter", "HTTP requests answered, by route and status code.");
  {
    std::lock_guard lk(mu_);
    for (const auto& [key, n] : requests_)
      absl::StrAppend(&out, "blockgate_http_requests_total{path=\"", escape_label(key.first), "\",code=\"", key.second,
                      "\"} ", n, "\n");
  }
  append_header(out, "blockgate_transactions_total", "counter", "Submitted transactions by final outcome.");
  for (size_t i = 0; i < kOutcomeNames.size(); ++i)
    absl::StrAppend(&out, "blockgate_transactions_total{outcome=\"", std::string(kOutcomeNames[i]), "\"} ",
                    tx_outcomes_[i].load(), "\n");
  append_header(out, "blockgate_transactions_rejected_total", "counter", "Rejected transactions by error code.");
  for (uint8_t c = uint8_t(ErrorCode::kMalformed); c <= uint8_t(ErrorCode::kNotExtendingTip); ++c)
    absl::StrAppend(&out, "blockgate_transactions_rejected_total{error=\"", std::string(error_name(ErrorCode(c))),
                    "\"} ", rejected_[c].load(), "\n");
  append_header(out, "blockgate_blocks_committed_total", "counter",
                "Blocks made durable, sealed here or POSTed whole.");
  absl::StrAppend(&out, "blockgate_blocks_committed_total{source=\"sealed\"} ", blocks_sealed_.load(), "\n",
                  "blockgate_blocks_committed_total{source=\"posted\"} ", blocks_posted_.load(), "\n");
  append_metric(out, "blockgate_connections_accepted_total", "counter", "TCP connections accepted.",
                uint64_t(connections_accepted.load()));
  append_metric(out, "blockgate_connections_refused_total", "counter", "Connections refused over --max-connections.",
                uint64_t(connections_refused.load()));
  append_metric(out, "blockgate_accept_backoffs_total", "counter",
                "Accept pauses (100 ms) for want of file descriptors.", uint64_t(accept_backoffs.load()));
  append_metric(out, "blockgate_requests_shed_total", "counter", "Requests answered 503 because a queue was full.",
                uint64_t(shed_requests.load()));
  append_metric(out, "blockgate_connections_open", "gauge", "Open client connections.",
                uint64_t(connections_open.load()));
  append_metric(out, "blockgate_streams_open", "gauge", "Open /v1/stream consumers.", uint64_t(streams_open.load()));
  append_metric(out, "blockgate_ledger_height", "gauge", "Height of the durable tip.", uint64_t(snap.ledger_height));
  append_metric(out, "blockgate_pending_transactions", "gauge", "Transactions admitted and not yet final.",
                uint64_t(snap.pending_txs));
  append_metric(out, "blockgate_pending_blocks", "gauge", "POSTed blocks waiting for the writer.",
                uint64_t(snap.pending_blocks));
  append_metric(out, "blockgate_ledger_fsyncs_total", "counter", "fsync calls by the ledger writer.",
                uint64_t(snap.fsyncs));
  append_metric(out, "blockgate_ledger_written_bytes_total", "counter", "Bytes appended to the ledger.",
                uint64_t(snap.bytes_written));
  append_metric(out, "blockgate_ledger_index_size_bytes", "gauge",
                "Transaction index on disk (RocksDB tables + heights file).", uint64_t(snap.ledger.index_size_bytes));
  append_metric(out, "blockgate_ledger_index_cache_hit_ratio", "gauge", "Index block cache hits / lookups since start.",
                double(snap.ledger.index_cache_hit_ratio));
  append_metric(out, "blockgate_ledger_index_cache_bytes", "gauge",
                "Index block cache in use (bounded by --index-cache-mb).", uint64_t(snap.ledger.index_cache_bytes));
  append_metric(out, "blockgate_ledger_index_covered_height", "gauge", "Highest height the index covers.",
                uint64_t(snap.ledger.index_covered_height));
  append_metric(out, "blockgate_ledger_index_catchup_blocks", "gauge",
                "Blocks indexed by the start-up scan (the unindexed tail).",
                uint64_t(snap.ledger.index_catchup_blocks));
  append_metric(out, "blockgate_ledger_index_catchup_seconds", "gauge", "Duration of the start-up indexing scan.",
                double(snap.ledger.index_catchup_seconds));
  append_metric(out, "blockgate_ledger_index_rebuilt", "gauge",
                "1 when the start-up found no usable index and rebuilt it.",
                uint64_t(snap.ledger.index_rebuilt ? 1 : 0));
  append_metric(out, "blockgate_ledger_index_filter_bytes", "gauge",
                "Memory of the id filter in front of the index (--index-filter-mb).",
                uint64_t(snap.ledger.index_filter_bytes));
  append_metric(out, "blockgate_ledger_index_filter_ready", "gauge",
                "1 when the id filter answers; 0 while it is rebuilt from the index.",
                uint64_t(snap.ledger.index_filter_ready ? 1 : 0));
  append_metric(out, "blockgate_ledger_index_filter_ids", "gauge", "Ids added to the id filter.",
                uint64_t(snap.ledger.index_filter_ids));
  append_metric(out, "blockgate_ledger_index_filter_fp_rate", "gauge",
                "Expected false-positive rate of the id filter at its number of ids.",
                double(snap.ledger.index_filter_fp_rate));
  append_metric(out, "blockgate_ledger_index_filter_lookups_total", "counter", "Ids asked of the id filter.",
                uint64_t(snap.ledger.index_filter_lookups));
  append_metric(out, "blockgate_ledger_index_filter_passed_total", "counter",
                "Ids the filter could not rule out, looked up in the index.",
                uint64_t(snap.ledger.index_filter_passed));
  append_metric(out, "blockgate_ledger_index_staged_ids", "gauge",
                "Committed ids in the index's write buffer, not yet ingested into RocksDB.",
                uint64_t(snap.ledger.index_staged_ids));
  append_metric(out, "blockgate_ledger_index_ingested_files_total", "counter",
                "Write buffers ingested into RocksDB as SST files since start.",
                uint64_t(snap.ledger.index_ingested_files));
  append_metric(out, "blockgate_ledger_index_level0_files", "gauge",
                "RocksDB level-0 SST files of the index (compacted 8 at a time).",
                uint64_t(snap.ledger.index_level0_files));
  append_metric(out, "blockgate_ledger_index_compacting", "gauge",
                "1 while RocksDB compacts the index or has a compaction due (background CPU and disk).",
                uint64_t(snap.ledger.index_compacting ? 1 : 0));
  append_metric(out, "blockgate_ledger_index_ingest_waiting", "gauge",
                "1 while an index ingestion refused for want of disk space is retried (commits wait once the "
                "next write buffer is full).",
                uint64_t(snap.ledger.index_ingest_waiting ? 1 : 0));
  append_metric(out, "blockgate_ready", "gauge", "1 when the server accepts writes (/readyz).",
                uint64_t(snap.ready ? 1 : 0));
  append_metric(out, "blockgate_uptime_seconds", "gauge", "Seconds since the server started.",
                double(uptime_seconds()));
  append_header(out, "blockgate_backend_info", "gauge", "The verification backend in use.");
  absl::StrAppend(&out, "blockgate_backend_info{backend=\"", escape_label(snap.backend), "\",description=\"",
                  escape_label(snap.backend_description), "\"} 1\n");
  append_header(out, "blockgate_backend_active", "gauge",
                "The backend answering now (cpu while a failed device is re-created).");
  absl::StrAppend(&out, "blockgate_backend_active{backend=\"", escape_label(snap.backend_active), "\"} 1\n");
  append_metric(out, "blockgate_backend_fallbacks_total", "counter",
                "Device failures whose work moved to the cpu backend.", uint64_t(snap.backend_fallbacks));
  append_metric(out, "blockgate_verify_batches_in_flight", "gauge", "Transaction verify batches in the backend now.",
                uint64_t(batches_in_flight.load()));
  append_metric(out, "blockgate_block_signatures_in_flight", "gauge",
                "Signatures of POSTed blocks queued or verifying.", uint64_t(block_sigs_in_flight.load()));
  batch_size.render(out, "blockgate_verify_batch_size", "Signatures per verify_batch call.");
  verify_seconds.render(out, "blockgate_verify_seconds", "Wall time of one verify_batch call.");
  commit_latency_seconds.render(out, "blockgate_commit_latency_seconds",
                                "From admission of a transaction to its block being durable.");
  block_commit_seconds.render(out, "blockgate_block_commit_seconds", "From Ledger::submit to the block being durable.");
  fsync_seconds.render(out, "blockgate_fsync_seconds", "Duration of the ledger's fsync calls.");
  block_txs.render(out, "blockgate_block_transactions", "Transactions per sealed block.");
  return out;
}

}  // namespace bg
