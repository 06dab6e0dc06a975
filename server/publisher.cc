// Publisher: one thread, one JetStream connection at a time. The stream is
// the ledger's mirror: before publishing, the stream's last block must be our
// block at that height (same hash), else it is not ours and we stop. Blocks
// are published without waiting for each acknowledgement (a bounded window);
// expected-last-sequence keeps them in order and the answers are taken in
// height order.
#include "server/publisher.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "host/block.h"
#include "host/thread_pool.h"
#include "server/metrics.h"

namespace bg {
namespace {

constexpr auto kMinBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
constexpr auto kIdleCheck = std::chrono::milliseconds(500);
// Publishes awaiting their acknowledgement, at most (the first block of a
// window always goes, whatever its size).
constexpr uint64_t kWindowBlocks = 64;
constexpr uint64_t kWindowBytes = 8u << 20;
// Blocks read back from the ledger at once (one pread of their records): a
// window's worth, in at most this many bytes of records.
constexpr size_t kReadBlocks = kWindowBlocks;
constexpr size_t kReadBytes = 1u << 20;

// Marks a refusal that retrying cannot fix.
absl::Status permanent(std::string msg) { return absl::FailedPreconditionError(std::move(msg)); }

absl::StatusOr<std::string> block_hash_hex(ByteSpan block) {
  BlockHeader h;
  if (!BlockHeader::decode(block, &h)) return absl::DataLossError("ledger returned a block shorter than its header");
  return to_hex(h.hash());
}

}  // namespace

Publisher::Publisher(const Ledger& ledger, NatsConfig cfg, uint64_t max_block_bytes)
    : ledger_(ledger), cfg_(std::move(cfg)), max_block_bytes_(max_block_bytes) {}

Publisher::~Publisher() { stop(); }

absl::Status Publisher::check_payload(const JetStream& js) const {
  const int64_t max_payload = js.max_payload();
  if (max_payload >= 0 && uint64_t(max_payload) < max_block_bytes_)
    return permanent(absl::StrCat("the NATS server at ", cfg_.url, " accepts messages of at most ", max_payload,
                                  " bytes (max_payload) but this node can commit blocks of up to ", max_block_bytes_,
                                  " bytes: raise max_payload in the NATS server's configuration, or lower "
                                  "--max-block-bytes to at most ",
                                  max_payload));
  return absl::OkStatus();
}

absl::Status Publisher::start() {
  auto js = JetStream::connect(cfg_);
  if (js.ok()) {
    if (absl::Status st = check_payload(**js); !st.ok()) return st;
    std::lock_guard lk(mu_);
    first_ = std::move(*js);
  } else {
    std::cerr << "blockgate: publish: " << js.status().message() << "; retrying in the background\n";
  }
  thread_ = std::thread([this] { run(); });
  return absl::OkStatus();
}

void Publisher::notify(uint64_t) {
  std::lock_guard lk(mu_);
  cv_.notify_all();
}

void Publisher::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

PublisherStats Publisher::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

std::string Publisher::render_metrics(uint64_t tip) const {
  const PublisherStats s = stats();
  std::string out;
  const double published = s.any_published ? double(s.published_height) : -1.0;
  const uint64_t lag = s.any_published ? tip - std::min(tip, s.published_height) : tip + 1;
  append_metric(out, "blockgate_publish_height", "gauge", "Highest height in the JetStream stream (-1: none yet).",
                published);
  append_metric(out, "blockgate_publish_lag_blocks", "gauge", "Durable blocks not yet in the stream.", uint64_t(lag));
  append_metric(out, "blockgate_publish_errors_total", "counter", "Failed publishes and connection attempts.",
                uint64_t(s.errors));
  append_metric(out, "blockgate_publish_reconnects_total", "counter", "Reconnections to NATS.",
                uint64_t(s.reconnects));
  append_metric(out, "blockgate_publish_stopped", "gauge", "1 once publishing stopped for good (see the log).",
                uint64_t(s.stopped ? 1 : 0));
  return out;
}

void Publisher::set_state(std::string state) {
  std::lock_guard lk(mu_);
  stats_.state = std::move(state);
}

bool Publisher::wait_for(std::chrono::milliseconds d) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, d, [this] { return stopping_; });
  return !stopping_;
}

void Publisher::run() {
  set_thread_name("bg-publish");
  auto backoff = kMinBackoff;
  std::string last_logged;
  bool first_attempt = true;
  for (;;) {
    std::unique_ptr<JetStream> js;
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
      js = std::move(first_);
    }
    absl::Status st;
    if (!js) {
      set_state("connecting");
      auto c = JetStream::connect(cfg_);
      if (c.ok()) js = std::move(*c);
      else st = c.status();
    }
    if (js) {
      if (!first_attempt) {
        std::lock_guard lk(mu_);
        ++stats_.reconnects;
      }
      set_state("connected");
      if (last_logged != "connected") std::cerr << "blockgate: publish: connected to " << cfg_.url << "\n";
      last_logged = "connected";
      bool progressed = false;
      const auto session_start = std::chrono::steady_clock::now();
      st = publish_session(*js, &progressed);
      // A session that published something, or held its connection for a
      // while, starts the next one's backoff afresh; one that failed at once
      // (a stream that cannot be created, a server refusing every request)
      // keeps doubling it, so a broken setup is retried every few seconds,
      // not ten times a second.
      if (progressed || std::chrono::steady_clock::now() - session_start >= kMaxBackoff) backoff = kMinBackoff;
    }
    first_attempt = false;
    if (st.ok()) continue;  // stopping, checked above
    if (absl::IsFailedPrecondition(st)) {
      std::cerr << "blockgate: publish: stopped: " << st.message() << "\n";
      std::lock_guard lk(mu_);
      stats_.stopped = true;
      stats_.state = absl::StrCat("stopped: ", st.message());
      return;
    }
    {
      std::lock_guard lk(mu_);
      ++stats_.errors;
      stats_.state = absl::StrCat("retrying: ", st.message());
    }
    if (last_logged != st.message()) {
      std::cerr << "blockgate: publish: " << st.message() << "; retrying with backoff (at most "
                << kMaxBackoff.count() << " ms)\n";
      last_logged = std::string(st.message());
    }
    if (!wait_for(backoff)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

absl::Status Publisher::publish_session(JetStream& js, bool* progressed) {
  if (absl::Status st = check_payload(js); !st.ok()) return st;
  auto last = js.ensure_stream();
  if (!last.ok()) return last.status();
  // The stream holds heights 0 .. *last - 1. Its last block must be ours.
  uint64_t next = *last;
  if (next > 0) {
    const uint64_t h = next - 1;
    const TipInfo tip = ledger_.durable_tip();
    const uint64_t probe = std::min(h, tip.height);
    auto theirs = js.get(probe + 1);
    if (!theirs.ok()) return theirs.status();
    auto ours = ledger_.read_block_bytes(probe);
    if (!ours.ok()) return ours.status();
    auto ours_hex = block_hash_hex(*ours);
    if (!ours_hex.ok()) return ours_hex.status();
    if (theirs->hash_hex != *ours_hex)
      return permanent(absl::StrCat("stream ", cfg_.stream, " holds a different block at height ", probe,
                                    " (another writer or another chain publishes to it)"));
    if (h > tip.height)
      return permanent(absl::StrCat("stream ", cfg_.stream, " already holds heights up to ", h,
                                    " but this ledger's tip is ", tip.height, ": another writer publishes to it"));
  }
  {
    std::lock_guard lk(mu_);
    stats_.any_published = next > 0;
    stats_.published_height = next > 0 ? next - 1 : 0;
  }
  // How fast a backlog drains: logged once per session, when it first does.
  const uint64_t first = next;
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t bytes_sent = 0;
  double read_s = 0;  // reading blocks back from the ledger
  bool drained_logged = false;
  // Blocks travel kWindowBlocks / kWindowBytes at a time; `acked` is the
  // next height whose answer is awaited, in order.
  uint64_t acked = next;
  std::map<uint64_t, JetStream::AsyncResult> answers;
  // Blocks read ahead from the ledger, range.first_height .. + size(); the
  // publishes copy them, so the buffer is reused for the next range.
  BlockRange range;
  size_t in_range = 0;  // range.blocks[in_range] is height `next`
  auto last_answer = std::chrono::steady_clock::now();  // or the first publish after an idle spell
  for (;;) {
    {
      std::lock_guard lk(mu_);
      if (stopping_) return absl::OkStatus();
    }
    const uint64_t tip = ledger_.durable_tip().height;
    while (next <= tip && (next == acked || (next - acked < kWindowBlocks &&
                                             js.async_in_flight_bytes() < kWindowBytes))) {
      if (in_range >= range.size() || range.first_height + in_range != next) {
        const auto r0 = std::chrono::steady_clock::now();
        absl::Status st = ledger_.read_block_range(next, kReadBlocks, kReadBytes, &range);
        read_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
        if (!st.ok()) return st;
        in_range = 0;
      }
      const ByteSpan block = range.blocks[in_range];
      auto hash_hex = block_hash_hex(block);
      if (!hash_hex.ok()) return hash_hex.status();
      if (next == acked) last_answer = std::chrono::steady_clock::now();
      if (absl::Status st = js.publish_block_async(next, *hash_hex, block); !st.ok()) return st;
      ++in_range;
      ++next;
    }
    if (acked < next) {
      const uint64_t acked_before = acked;
      // Refill as soon as an eighth of the window has been answered (or on
      // the first answer when the tip is near), so that close to a full
      // window stays in flight, as with a raw client's window (waiting for
      // half of it left the connection half idle between refills).
      const size_t at_least =
          next <= ledger_.durable_tip().height ? size_t(std::max<uint64_t>(1, (next - acked) / 8)) : 1;
      for (JetStream::AsyncResult& r : js.take_async_results(kIdleCheck, at_least))
        answers.emplace(r.height, std::move(r));
      for (auto it = answers.find(acked); it != answers.end(); it = answers.find(acked)) {
        JetStream::AsyncResult r = std::move(it->second);
        answers.erase(it);
        if (!r.status.ok()) return r.status;
        if (r.result == JetStream::PublishResult::kWrongLastSeq) {
          // Every block after this one in the window fails the same way. The
          // stream's block at acked + 1 tells ours (an earlier session's
          // publish that landed late: resume from the stream's state) from
          // another writer's.
          auto at = js.get(acked + 1);
          if (!at.ok() && !absl::IsNotFound(at.status())) return at.status();
          auto ours = ledger_.read_block_bytes(acked);
          if (!ours.ok()) return ours.status();
          auto ours_hex = block_hash_hex(*ours);
          if (!ours_hex.ok()) return ours_hex.status();
          if (!at.ok() || at->hash_hex != *ours_hex)
            return permanent(absl::StrCat("stream ", cfg_.stream, " refused height ", acked,
                                          " (its last sequence is not ", acked, "): another writer publishes to it"));
          return absl::UnavailableError(absl::StrCat("stream ", cfg_.stream, " already holds height ", acked,
                                                     "; resuming from its last sequence"));
        }
        ++acked;
        *progressed = true;
        bytes_sent += r.bytes;
        std::lock_guard lk(mu_);
        stats_.any_published = true;
        stats_.published_height = acked - 1;
      }
      if (acked < next && !js.connected())
        return absl::UnavailableError(absl::StrCat("lost the connection to ", cfg_.url));
      const auto now = std::chrono::steady_clock::now();
      if (acked != acked_before) last_answer = now;
      else if (now - last_answer > cfg_.timeout)
        return absl::DeadlineExceededError(absl::StrCat("no acknowledgement from ", cfg_.url, " for ",
                                                        cfg_.timeout.count(), " ms (height ", acked, ")"));
      continue;
    }
    if (!drained_logged && next > first) {
      drained_logged = true;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cerr << "blockgate: publish: caught up with height " << next - 1 << ": " << next - first << " blocks, "
                << bytes_sent << " bytes in " << absl::StrFormat("%.3f", secs) << " s ("
                << absl::StrFormat("%.0f", double(next - first) / std::max(secs, 1e-9)) << " blocks/s, "
                << absl::StrFormat("%.1f", double(bytes_sent) / std::max(secs, 1e-9) / 1e6) << " MB/s; "
                << absl::StrFormat("%.3f", read_s) << " s reading the ledger)\n";
    }
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, kIdleCheck, [&] { return stopping_ || ledger_.durable_tip().height >= next; });
    if (stopping_) return absl::OkStatus();
    lk.unlock();
    if (!js.connected()) return absl::UnavailableError(absl::StrCat("lost the connection to ", cfg_.url));
  }
}

}  // namespace bg
