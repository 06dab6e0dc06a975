// Follower: a fetch thread fills a byte-bounded queue; a prepare thread takes
// as many queued blocks as fit one backend batch and checks each against the
// tip the previous one makes (ids, Merkle root, link, duplicates); verify
// threads (--verify-depth of them) each verify a prepared batch's signatures
// in one call while the next batch is prepared, and submit the good prefix
// to the ledger in batch order without waiting for its fsync, so fetch,
// prepare, verify and commit overlap.
#include "server/follower.h"


#include <absl/container/flat_hash_set.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <algorithm>
#include <iostream>

#include "host/thread_pool.h"
#include "ledger/validate.h"
#include "server/metrics.h"

namespace bg {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kMinBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
constexpr auto kPoll = std::chrono::milliseconds(500);
// A batch takes at most half of the signatures queued (and at most
// --max-batch), but never fewer than this when that many are queued. During
// a catch-up the batches stay large while the queue is long and shrink
// geometrically as it drains, so the last batch is small: its verification
// and its commit (the ledger's writer alone on one core) are the tail that
// nothing overlaps. One batch taking all of a long queue made that tail
// tens of milliseconds on two cores.
constexpr size_t kMinBatchSignatures = 2048;
// The prepare thread keeps its hashing buffer up to this size between batches.
constexpr size_t kKeepScratchBytes = 16u << 20;

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
  prepare_thread_ = std::thread([this] { prepare_loop(); });
  for (size_t i = 0; i < std::max<size_t>(1, opts_.verify_depth); ++i)
    verify_threads_.emplace_back([this] { verify_loop(); });
  return absl::OkStatus();
}

void Follower::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    cv_.notify_all();
    queue_cv_.notify_all();
  }
  if (fetch_thread_.joinable()) fetch_thread_.join();
  if (prepare_thread_.joinable()) prepare_thread_.join();
  for (std::thread& t : verify_threads_)
    if (t.joinable()) t.join();
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
    queued_sigs_ = 0;
    prepared_.reset();
    cv_.notify_all();
    queue_cv_.notify_all();
  }
  std::cerr << "blockgate: follow: stopped following " << opts_.source.url << " at height " << height << ": " << code
            << (detail.empty() ? "" : " (") << detail << (detail.empty() ? "" : ")")
            << "; the block was not appended, reads go on\n";
}

void Follower::fetch_loop() {
  set_thread_name("bg-follow-fetch");
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
      // The backoff starts afresh once this connection delivers a block or
      // holds for a while; an upstream that accepts and then fails at once
      // is retried with a doubling backoff, not every 100 ms.
      const auto opened_at = Clock::now();
      const uint64_t from_before = from;
      auto reset_backoff = [&] {
        std::lock_guard lk(mu_);
        if (next_fetch_ > from_before || Clock::now() - opened_at >= kMaxBackoff) backoff = kMinBackoff;
      };
      {
        std::lock_guard lk(mu_);
        stats_.connected = true;
      }
      for (;;) {
        const auto t0 = Clock::now();
        auto b = source_->next(kPoll);
        const double fetch_s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (!b.ok()) {
          st = b.status();
          reset_backoff();
          break;
        }
        const std::optional<uint64_t> up = source_->upstream_tip();
        const uint64_t durable = ledger_.durable_tip().height;
        std::unique_lock lk(mu_);
        if (up) stats_.upstream_tip = up;
        if (!caught_up_logged_ && up && *up <= durable && queue_.empty() && !prepared_ && in_flight_.load() == 0) {
          // Nothing to catch up (a restart at the upstream's tip).
          caught_up_logged_ = true;
          std::cerr << "blockgate: follow: caught up with height " << durable << ": nothing to fetch\n";
        }
        if (stopping_ || stats_.failed) return;
        if (!*b) continue;
        times_.fetch += fetch_s;
        const uint64_t bytes = block_bytes_estimate((*b)->block);
        cv_.wait(lk, [&] {
          return stopping_ || stats_.failed || queue_.empty() || queued_bytes_ + bytes <= opts_.max_queued_bytes;
        });
        if (stopping_ || stats_.failed) return;
        if (!stats_.upstream_tip || *stats_.upstream_tip < (*b)->height) stats_.upstream_tip = (*b)->height;
        queued_bytes_ += bytes;
        queued_sigs_ += (*b)->block.txs.size();
        next_fetch_ = (*b)->height + 1;
        const bool was_empty = queue_.empty();
        queue_.push_back(Queued{std::move((*b)->block), bytes});
        if (was_empty) queue_cv_.notify_one();  // prepare waits only for an empty queue
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

void Follower::prepare_loop() {
  set_thread_name("bg-follow-prep");
  TipInfo tip = ledger_.pending_tip();
  std::deque<InFlightIds> in_flight;
  HashScratch scratch;
  for (uint64_t seq = 1;; ++seq) {
    std::vector<Queued> batch;
    {
      std::unique_lock lk(mu_);
      queue_cv_.wait(lk, [this] { return stopping_ || stats_.failed || !queue_.empty(); });
      if (stopping_ || stats_.failed) return;
      size_t sigs = 0;
      const size_t limit = std::min<size_t>(opts_.max_batch_signatures,
                                            std::max<uint64_t>(kMinBatchSignatures, (queued_sigs_ + 1) / 2));
      while (!queue_.empty() && (batch.empty() || sigs + queue_.front().block.txs.size() <= limit)) {
        sigs += queue_.front().block.txs.size();
        queued_bytes_ -= queue_.front().bytes;
        queued_sigs_ -= queue_.front().block.txs.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      cv_.notify_all();  // room for the fetcher
    }
    const auto t0 = Clock::now();
    Prepared p = prepare(std::move(batch), seq, tip, in_flight, scratch);
    const bool failed = p.failure.has_value();
    std::unique_lock lk(mu_);
    times_.prepare += std::chrono::duration<double>(Clock::now() - t0).count();
    cv_.wait(lk, [this] { return stopping_ || stats_.failed || !prepared_; });
    if (stopping_ || stats_.failed) return;
    prepared_.emplace(std::move(p));
    cv_.notify_all();
    // Nothing past a block that failed can be appended: verify takes the
    // good prefix and then stops following.
    if (failed) return;
  }
}

Follower::Prepared Follower::prepare(std::vector<Queued> batch, uint64_t seq, TipInfo& tip,
                                     std::deque<InFlightIds>& in_flight, HashScratch& scratch) {
  Prepared p;
  p.seq = seq;
  p.batch = std::move(batch);
  // Ids of every transaction of the batch in one backend call, over one
  // buffer holding every encoding (not one allocation per transaction).
  p.first_tx.assign(p.batch.size() + 1, 0);
  size_t enc_bytes = 0;
  for (size_t i = 0; i < p.batch.size(); ++i) {
    p.first_tx[i + 1] = p.first_tx[i] + p.batch[i].block.txs.size();
    for (const Transaction& tx : p.batch[i].block.txs) enc_bytes += tx.encoded_size();
  }
  Bytes& encodings = scratch.encodings;
  encodings.clear();
  encodings.reserve(enc_bytes);
  std::vector<size_t>& ends = scratch.ends;
  ends.clear();
  ends.reserve(p.first_tx.back());
  for (const Queued& q : p.batch)
    for (const Transaction& tx : q.block.txs) {
      tx.append_encoding(encodings);
      ends.push_back(encodings.size());
    }
  std::vector<ByteSpan>& spans = scratch.spans;
  spans.clear();
  spans.reserve(ends.size());
  for (size_t k = 0, begin = 0; k < ends.size(); begin = ends[k++])
    spans.emplace_back(encodings.data() + begin, ends[k] - begin);
  p.ids.resize(spans.size());
  for (;;) {
    absl::Status st = backend_.hash_batch(spans, p.ids);
    if (st.ok()) break;
    std::cerr << "blockgate: follow: hashing failed (" << st.message() << "); retrying\n";
    if (!sleep_for(std::chrono::milliseconds(1000))) return p;  // stopping: verify never sees it
  }
  if (encodings.capacity() > kKeepScratchBytes) {
    Bytes().swap(encodings);
    std::vector<size_t>().swap(ends);
    std::vector<ByteSpan>().swap(spans);
  }

  // Duplicates: the ledger answers for what has been submitted (batches up to
  // submitted_seq_, read before asking it); the batches handed to verify
  // since answer from their own id sets.
  const uint64_t submitted = submitted_seq_.load(std::memory_order_acquire);
  while (!in_flight.empty() && in_flight.front().seq <= submitted) in_flight.pop_front();
  std::vector<uint8_t> committed(p.ids.size(), 0);
  ledger_.contains_ids(p.ids, committed);
  for (size_t k = 0; k < p.ids.size(); ++k)
    for (const InFlightIds& f : in_flight)
      if (f.ids.contains(p.ids[k])) committed[k] = 1;

  // Structure, link and duplicates, block by block against the running tip
  // (the last block prepared: if that one fails, this batch is dropped).
  InFlightIds mine{seq, {}};
  mine.ids.reserve(p.ids.size());
  p.good = p.batch.size();
  const uint64_t now = now_ms();
  for (size_t i = 0; i < p.batch.size(); ++i) {
    const Block& b = p.batch[i].block;
    std::span<const Hash32> bids(p.ids.data() + p.first_tx[i], b.txs.size());
    BlockDecodeError e = check_block_without_signatures(b, bids, tip, nullptr);
    if (e.ok() && b.header.timestamp_ms > now && b.header.timestamp_ms - now > opts_.max_future_ms) {
      e.code = ErrorCode::kBadTimestamp;
      e.detail = "timestamp more than --max-future-ms ahead of this node's clock";
    }
    if (e.ok())
      for (size_t t = 0; t < bids.size(); ++t)
        if (committed[p.first_tx[i] + t] || !mine.ids.insert(bids[t]).second) {
          e.code = ErrorCode::kDuplicate;
          e.tx_index = uint32_t(t);
          break;
        }
    if (!e.ok()) {
      p.good = i;
      p.failure.emplace(b.header.height, std::string(error_name(e.code)));
      p.detail = absl::StrCat(e.tx_index ? absl::StrCat("tx_index ", *e.tx_index, " ") : "", e.detail);
      break;
    }
    tip = TipInfo{b.header.height, b.header.hash(), b.header.timestamp_ms};
  }
  in_flight.push_back(std::move(mine));

  p.items.reserve(p.first_tx[p.good]);
  for (size_t i = 0; i < p.good; ++i)
    for (const Transaction& tx : p.batch[i].block.txs) p.items.push_back(sig_item(tx));
  return p;
}

void Follower::verify_loop() {
  set_thread_name("bg-follow-sigs");
  for (;;) {
    Prepared p;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || stats_.failed || prepared_; });
      if (stopping_ || stats_.failed) return;
      p = std::move(*prepared_);
      prepared_.reset();
      cv_.notify_all();  // room for the next prepared batch
    }
    const bool last = p.failure.has_value();
    verify_and_commit(std::move(p));
    if (last) return;
  }
}

void Follower::verify_and_commit(Prepared p) {
  // Every signature of the good prefix in one call.
  const auto t0 = Clock::now();
  std::vector<uint8_t> valid(p.items.size(), 0);
  for (;;) {
    absl::Status st = backend_.verify_batch(p.items, valid);
    if (st.ok()) break;
    std::cerr << "blockgate: follow: verification backend failed (" << st.message() << "); retrying\n";
    if (!sleep_for(std::chrono::milliseconds(1000))) return;
  }
  if (auto bad = std::find(valid.begin(), valid.end(), uint8_t(0)); bad != valid.end()) {
    const size_t k = size_t(bad - valid.begin());
    const size_t blk = size_t(std::upper_bound(p.first_tx.begin(), p.first_tx.end(), k) - p.first_tx.begin()) - 1;
    p.good = blk;
    p.failure.emplace(p.batch[blk].block.header.height, std::string(error_name(ErrorCode::kInvalidSignature)));
    p.detail = absl::StrCat("tx_index ", k - p.first_tx[blk]);
  }
  const auto verified = Clock::now();
  // Batches verify side by side (so that one's last chunk does not leave
  // cores idle) but are submitted in order: wait for the one before. When it
  // failed, nothing of this one may be appended.
  {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] {
      return stopping_ || stats_.failed || submitted_seq_.load(std::memory_order_acquire) + 1 == p.seq;
    });
    if (stopping_ || stats_.failed) return;
  }
  const auto t1 = Clock::now();

  // Commit the good prefix; the ledger's writer group-commits it while the
  // next batches verify.
  for (size_t i = 0; i < p.good; ++i) {
    Block& b = p.batch[i].block;
    const uint64_t height = b.header.height;
    const size_t ntx = b.txs.size();
    const uint64_t sealed_ms = b.header.timestamp_ms;
    std::vector<Hash32> bids(p.ids.begin() + p.first_tx[i], p.ids.begin() + p.first_tx[i + 1]);
    in_flight_.fetch_add(1);
    absl::Status st = ledger_.submit_with_ids(std::move(b), std::move(bids), [this, height, ntx,
                                                                               sealed_ms](absl::Status s) {
      if (s.ok()) {
        std::optional<std::string> caught_up;
        {
          std::lock_guard lk(mu_);
          if (caught_up_logged_) {
            const uint64_t now = now_ms();
            const double ms = now > sealed_ms ? double(now - sealed_ms) : 0.0;
            if (latency_ms_.size() < kLatencySamples) latency_ms_.push_back(ms);
            else latency_ms_[latency_next_] = ms;
            latency_next_ = (latency_next_ + 1) % kLatencySamples;
            ++stats_.seal_to_commit_samples;
          }
          ++stats_.blocks_verified;
          stats_.txs_verified += ntx;
          if (!caught_up_logged_ && stats_.upstream_tip && height >= *stats_.upstream_tip) {
            caught_up_logged_ = true;
            const double secs = std::chrono::duration<double>(Clock::now() - started_).count();
            caught_up = absl::StrCat(
                "blockgate: follow: caught up with height ", height, ": ", height - start_height_, " blocks, ",
                stats_.txs_verified, " transactions in ", absl::StrFormat("%.3f", secs), " s (",
                absl::StrFormat("%.0f", double(stats_.txs_verified) / std::max(secs, 1e-9)), " tx/s); ", times_.batches,
                " batches; busy s: ",
                absl::StrFormat("fetch %.3f, prepare %.3f, verify %.3f, submit %.3f", times_.fetch,
                                times_.prepare, times_.verify, times_.submit),
                "\n");
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
  // A failure is recorded before the next batch's turn comes: that batch
  // then sees it and drops its blocks.
  if (p.failure) fail(p.failure->first, p.failure->second, p.detail);
  {
    std::lock_guard lk(mu_);
    submitted_seq_.store(p.seq, std::memory_order_release);
    cv_.notify_all();  // the next batch's turn
    times_.verify += std::chrono::duration<double>(verified - t0).count();
    ++times_.batches;
    times_.submit += std::chrono::duration<double>(Clock::now() - t1).count();
  }
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
  if (!latency_ms_.empty()) {
    std::vector<double> sorted = latency_ms_;
    std::sort(sorted.begin(), sorted.end());
    auto q = [&sorted](double f) { return sorted[std::min(sorted.size() - 1, size_t(f * double(sorted.size())))]; };
    s.seal_to_commit_p50_ms = q(0.5);
    s.seal_to_commit_p99_ms = q(0.99);
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
  append_metric(out, "blockgate_follower_seal_to_commit_p50_seconds", "gauge",
                "Median time from the leader's block timestamp to durable here (last 4096 blocks once caught up).",
                double(s.seal_to_commit_p50_ms / 1000));
  append_metric(out, "blockgate_follower_seal_to_commit_p99_seconds", "gauge",
                "99th percentile of the leader's block timestamp to durable here (last 4096 blocks once caught up).",
                double(s.seal_to_commit_p99_ms / 1000));
  append_metric(out, "blockgate_follower_connected", "gauge", "1 while connected to the upstream.",
                uint64_t(s.connected ? 1 : 0));
  append_metric(out, "blockgate_follower_failed", "gauge", "1 once following stopped on a block that failed validation.",
                uint64_t(s.failed ? 1 : 0));
  return out;
}

}  // namespace bg
