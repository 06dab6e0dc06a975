// Follower: a fetch thread fills a byte-bounded queue; a verify thread takes
// as many queued blocks as fit one backend batch, checks each against the
// tip the previous one makes (ids, Merkle root, link, duplicates), verifies
// all their signatures in one call and submits the good prefix to the ledger
// without waiting for its fsync, so fetch, verify and commit overlap.
#include "server/follower.h"


#include <absl/container/flat_hash_set.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <algorithm>
#include <iostream>

#include "ledger/validate.h"
#include "server/metrics.h"

namespace bg {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kMinBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
constexpr auto kPoll = std::chrono::milliseconds(500);

uint64_t block_bytes_estimate(const Block& b) {
  uint64_t n = kHeaderSize;
  for (const Transaction& tx : b.txs) n += tx.encoded_size();
  return n;
}

uint64_t now_ms() {
  return uint64_t(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace

Follower::Follower(Ledger& ledger, VerifyBackend& backend, FollowerOptions opts,
                   std::function<void(uint64_t)> committed)
    : ledger_(ledger), backend_(backend), opts_(std::move(opts)), committed_(std::move(committed)) {
  stats_.upstream = opts_.source.url;
}

Follower::~Follower() { stop(); }

absl::Status Follower::start() {
  auto src = make_block_source(opts_.source);
  if (!src.ok()) return src.status();
  source_ = std::move(*src);
  next_fetch_ = ledger_.pending_tip().height + 1;
  start_height_ = next_fetch_ - 1;
  started_ = Clock::now();
  fetch_thread_ = std::thread([this] { fetch_loop(); });
  verify_thread_ = std::thread([this] { verify_loop(); });
  return absl::OkStatus();
}

void Follower::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (fetch_thread_.joinable()) fetch_thread_.join();
  if (verify_thread_.joinable()) verify_thread_.join();
  // Submitted blocks finish in the ledger's writer; wait for their callbacks.
  while (in_flight_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

bool Follower::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, d, [this] { return stopping_ || stats_.failed; });
  return !stopping_ && !stats_.failed;
}

void Follower::fail(uint64_t height, std::string code, std::string detail) {
  {
    std::lock_guard lk(mu_);
    if (stats_.failed) return;
    stats_.failed = true;
    stats_.failed_height = height;
    stats_.failed_code = code;
    stats_.error = detail;
    queue_.clear();
    queued_bytes_ = 0;
    cv_.notify_all();
  }
  std::cerr << "blockgate: follow: stopped following " << opts_.source.url << " at height " << height << ": " << code
            << (detail.empty() ? "" : " (") << detail << (detail.empty() ? "" : ")")
            << "; the block was not appended, reads go on\n";
}

void Follower::fetch_loop() {
  auto backoff = kMinBackoff;
  std::string last_logged;
  bool first = true;
  for (;;) {
    uint64_t from;
    {
      std::lock_guard lk(mu_);
      if (stopping_ || stats_.failed) return;
      from = next_fetch_;
      if (!first) ++stats_.reconnects;
    }
    first = false;
    absl::Status st = source_->open(from);
    if (st.ok()) {
      std::cerr << "blockgate: follow: reading " << opts_.source.url << " from height " << from << "\n";
      last_logged.clear();
      backoff = kMinBackoff;
      {
        std::lock_guard lk(mu_);
        stats_.connected = true;
      }
      for (;;) {
        auto b = source_->next(kPoll);
        if (!b.ok()) {
          st = b.status();
          break;
        }
        const std::optional<uint64_t> up = source_->upstream_tip();
        std::unique_lock lk(mu_);
        if (up) stats_.upstream_tip = up;
        if (stopping_ || stats_.failed) return;
        if (!*b) continue;
        const uint64_t bytes = block_bytes_estimate((*b)->block);
        cv_.wait(lk, [&] {
          return stopping_ || stats_.failed || queue_.empty() || queued_bytes_ + bytes <= opts_.max_queued_bytes;
        });
        if (stopping_ || stats_.failed) return;
        if (!stats_.upstream_tip || *stats_.upstream_tip < (*b)->height) stats_.upstream_tip = (*b)->height;
        queued_bytes_ += bytes;
        next_fetch_ = (*b)->height + 1;
        queue_.push_back(Queued{std::move((*b)->block), bytes});
        cv_.notify_all();
      }
    }
    {
      std::lock_guard lk(mu_);
      stats_.connected = false;
    }
    if (last_logged != st.message()) {
      std::cerr << "blockgate: follow: " << st.message() << "; reconnecting with backoff (at most "
                << kMaxBackoff.count() << " ms)\n";
      last_logged = std::string(st.message());
    }
    if (!sleep_for(backoff)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void Follower::verify_loop() {
  for (;;) {
    std::vector<Queued> batch;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || stats_.failed || !queue_.empty(); });
      if (stopping_ || stats_.failed) return;
      size_t sigs = 0;
      while (!queue_.empty() && (batch.empty() || sigs + queue_.front().block.txs.size() <= opts_.max_batch_signatures)) {
        sigs += queue_.front().block.txs.size();
        queued_bytes_ -= queue_.front().bytes;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      cv_.notify_all();  // room for the fetcher
    }
    verify_and_commit(std::move(batch));
  }
}

void Follower::verify_and_commit(std::vector<Queued> batch) {
  // Ids of every transaction of the batch in one backend call.
  std::vector<Bytes> encodings;
  std::vector<size_t> first_tx(batch.size() + 1, 0);
  for (size_t i = 0; i < batch.size(); ++i) {
    first_tx[i + 1] = first_tx[i] + batch[i].block.txs.size();
    for (const Transaction& tx : batch[i].block.txs) encodings.push_back(tx.encode());
  }
  std::vector<ByteSpan> spans(encodings.begin(), encodings.end());
  std::vector<Hash32> ids(encodings.size());
  for (;;) {
    absl::Status st = backend_.hash_batch(spans, ids);
    if (st.ok()) break;
    std::cerr << "blockgate: follow: hashing failed (" << st.message() << "); retrying\n";
    if (!sleep_for(std::chrono::milliseconds(1000))) return;
  }
  encodings.clear();

  // Structure, link and duplicates, block by block against the running tip;
  // the ledger answers for every id of the batch in one batched lookup.
  TipInfo tip = ledger_.pending_tip();
  std::vector<uint8_t> committed(ids.size(), 0);
  ledger_.contains_ids(ids, committed);
  absl::flat_hash_set<Hash32, Hash32Hasher> seen;
  size_t good = batch.size();
  std::optional<std::pair<uint64_t, std::string>> failure;  // height, code
  std::string detail;
  const uint64_t now = now_ms();
  for (size_t i = 0; i < batch.size(); ++i) {
    const Block& b = batch[i].block;
    std::span<const Hash32> bids(ids.data() + first_tx[i], b.txs.size());
    BlockDecodeError e = check_block_without_signatures(b, bids, tip, nullptr);
    if (e.ok() && b.header.timestamp_ms > now && b.header.timestamp_ms - now > opts_.max_future_ms) {
      e.code = ErrorCode::kBadTimestamp;
      e.detail = "timestamp more than --max-future-ms ahead of this node's clock";
    }
    if (e.ok())
      for (size_t t = 0; t < bids.size(); ++t)
        if (committed[first_tx[i] + t] || !seen.insert(bids[t]).second) {
          e.code = ErrorCode::kDuplicate;
          e.tx_index = uint32_t(t);
          break;
        }
    if (!e.ok()) {
      good = i;
      failure.emplace(b.header.height, std::string(error_name(e.code)));
      detail = absl::StrCat(e.tx_index ? absl::StrCat("tx_index ", *e.tx_index, " ") : "", e.detail);
      break;
    }
    tip = TipInfo{b.header.height, b.header.hash(), b.header.timestamp_ms};
  }

  // Every signature of the good prefix in one call.
  std::vector<SigItem> items;
  items.reserve(first_tx[good]);
  for (size_t i = 0; i < good; ++i)
    for (const Transaction& tx : batch[i].block.txs) items.push_back(sig_item(tx));
  std::vector<uint8_t> valid(items.size(), 0);
  for (;;) {
    absl::Status st = backend_.verify_batch(items, valid);
    if (st.ok()) break;
    std::cerr << "blockgate: follow: verification backend failed (" << st.message() << "); retrying\n";
    if (!sleep_for(std::chrono::milliseconds(1000))) return;
  }
  if (auto bad = std::find(valid.begin(), valid.end(), uint8_t(0)); bad != valid.end()) {
    const size_t k = size_t(bad - valid.begin());
    const size_t blk = size_t(std::upper_bound(first_tx.begin(), first_tx.end(), k) - first_tx.begin()) - 1;
    good = blk;
    failure.emplace(batch[blk].block.header.height, std::string(error_name(ErrorCode::kInvalidSignature)));
    detail = absl::StrCat("tx_index ", k - first_tx[blk]);
  }

  // Commit the good prefix; the ledger's writer group-commits it.
  for (size_t i = 0; i < good; ++i) {
    Block& b = batch[i].block;
    const uint64_t height = b.header.height;
    const size_t ntx = b.txs.size();
    std::vector<Hash32> bids(ids.begin() + first_tx[i], ids.begin() + first_tx[i + 1]);
    in_flight_.fetch_add(1);
    absl::Status st = ledger_.submit_with_ids(std::move(b), std::move(bids), [this, height, ntx](absl::Status s) {
      if (s.ok()) {
        std::optional<std::string> caught_up;
        {
          std::lock_guard lk(mu_);
          ++stats_.blocks_verified;
          stats_.txs_verified += ntx;
          if (!caught_up_logged_ && stats_.upstream_tip && height >= *stats_.upstream_tip) {
            caught_up_logged_ = true;
            const double secs = std::chrono::duration<double>(Clock::now() - started_).count();
            caught_up = absl::StrCat("blockgate: follow: caught up with height ", height, ": ",
                                     height - start_height_, " blocks, ", stats_.txs_verified, " transactions in ",
                                     absl::StrFormat("%.3f", secs), " s (",
                                     absl::StrFormat("%.0f", double(stats_.txs_verified) / std::max(secs, 1e-9)),
                                     " tx/s)\n");
          }
        }
        if (caught_up) std::cerr << *caught_up;
        committed_(height);
      } else {
        fail(height, "ledger", std::string(s.message()));
      }
      in_flight_.fetch_sub(1);
    });
    if (!st.ok()) {
      in_flight_.fetch_sub(1);
      fail(height, "ledger", std::string(st.message()));
      return;
    }
  }
  if (failure) fail(failure->first, failure->second, detail);
}

bool Follower::ready(std::string* why) const {
  std::lock_guard lk(mu_);
  if (!stats_.failed) return true;
  if (why)
    *why = absl::StrCat("following stopped at height ", stats_.failed_height, ": ", stats_.failed_code,
                        stats_.error.empty() ? "" : absl::StrCat(" (", stats_.error, ")"));
  return false;
}

FollowerStats Follower::stats() const {
  const TipInfo tip = ledger_.durable_tip();
  std::lock_guard lk(mu_);
  FollowerStats s = stats_;
  s.tip = tip.height;
  if (s.upstream_tip && *s.upstream_tip > tip.height) {
    s.lag_blocks = *s.upstream_tip - tip.height;
    const uint64_t now = now_ms();
    s.lag_seconds = now > tip.timestamp_ms ? double(now - tip.timestamp_ms) / 1000.0 : 0.0;
  }
  // Blocks per second over the last few seconds.
  auto& samples = rate_samples_;
  const auto now = Clock::now();
  samples.emplace_back(now, s.blocks_verified);
  while (samples.size() > 2 && now - samples[1].first > std::chrono::seconds(5)) samples.pop_front();
  if (samples.size() >= 2) {
    const double dt = std::chrono::duration<double>(samples.back().first - samples.front().first).count();
    if (dt > 0) s.blocks_per_second = double(samples.back().second - samples.front().second) / dt;
  }
  return s;
}

std::string Follower::render_metrics() const {
  const FollowerStats s = stats();
  std::string out;
  absl::StrAppend(&out, "# HELP blockgate_follower_info The upstream this node follows.\n",
                  "# TYPE blockgate_follower_info gauge\nblockgate_follower_info{upstream=\"", escape_label(s.upstream),
                  "\"} 1\n");
  append_metric(out, "blockgate_follower_tip_height", "gauge", "This node's durable tip while following.",
                uint64_t(s.tip));
  append_metric(out, "blockgate_follower_upstream_tip_height", "gauge", "The upstream's tip when known (-1: unknown).",
                s.upstream_tip ? double(*s.upstream_tip) : -1.0);
  append_metric(out, "blockgate_follower_lag_blocks", "gauge",
                "Blocks the upstream has that this node has not committed.", uint64_t(s.lag_blocks));
  append_metric(out, "blockgate_follower_lag_seconds", "gauge", "Age of this node's tip while it is behind the upstream.",
                double(s.lag_seconds));
  append_metric(out, "blockgate_follower_reconnects_total", "counter", "Reconnections to the upstream.",
                uint64_t(s.reconnects));
  append_metric(out, "blockgate_follower_blocks_verified_total", "counter", "Followed blocks verified and committed.",
                uint64_t(s.blocks_verified));
  append_metric(out, "blockgate_follower_transactions_verified_total", "counter",
                "Transactions of followed blocks verified and committed.", uint64_t(s.txs_verified));
  append_metric(out, "blockgate_follower_blocks_per_second", "gauge",
                "Followed blocks committed per second, last few seconds.", double(s.blocks_per_second));
  append_metric(out, "blockgate_follower_connected", "gauge", "1 while connected to the upstream.",
                uint64_t(s.connected ? 1 : 0));
  append_metric(out, "blockgate_follower_failed", "gauge", "1 once following stopped on a block that failed validation.",
                uint64_t(s.failed ? 1 : 0));
  return out;
}

}  // namespace bg
