// Tells /v1/stream consumers that new blocks are durable. Consumers read the
// blocks themselves from the ledger, so the feed holds no block data: a
// waiter is a height and a wake-up callback, nothing more. A consumer that
// goes away cancels its waiter, so waiters never outlive their connections
// and a commit only visits the waiters it wakes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace bg {

class BlockFeed {
 public:
  // Identifies a registered waiter (for cancel); id 0 is "none".
  struct Ticket {
    uint64_t height = 0;
    uint64_t id = 0;
  };

  explicit BlockFeed(uint64_t durable_height) : published_(durable_height) {}

  // Called in height order once block `height` is durable.
  void publish(uint64_t height) {
    std::vector<std::function<void()>> wake;
    {
      std::lock_guard lk(mu_);
      if (height > published_) published_ = height;
      take_ready(&wake, false);
    }
    for (auto& w : wake) w();
  }

  // Runs `wake` (on the publishing thread, or here at once) when block
  // `height` is durable or the feed closes. The callback must be cheap: post.
  // The ticket has id 0 when `wake` already ran.
  Ticket wait(uint64_t height, std::function<void()> wake) {
    {
      std::lock_guard lk(mu_);
      if (!closed_ && height > published_) {
        const Ticket t{height, ++next_id_};
        waiters_.emplace(std::make_pair(t.height, t.id), std::move(wake));
        return t;
      }
    }
    wake();
    return {};
  }

  // Forgets a waiter (its connection closed). Harmless when it already woke.
  void cancel(const Ticket& t) {
    if (t.id == 0) return;
    std::function<void()> dropped;  // destroyed outside the lock
    std::lock_guard lk(mu_);
    auto it = waiters_.find(std::make_pair(t.height, t.id));
    if (it == waiters_.end()) return;
    dropped = std::move(it->second);
    waiters_.erase(it);
  }

  // Shutdown: every waiter wakes and sees closed().
  void close() {
    std::vector<std::function<void()>> wake;
    {
      std::lock_guard lk(mu_);
      closed_ = true;
      take_ready(&wake, true);
    }
    for (auto& w : wake) w();
  }

  bool closed() const {
    std::lock_guard lk(mu_);
    return closed_;
  }
  uint64_t published() const {
    std::lock_guard lk(mu_);
    return published_;
  }
  size_t waiters() const {
    std::lock_guard lk(mu_);
    return waiters_.size();
  }

 private:
  // Waiters are ordered by height: a commit takes only those it satisfies.
  void take_ready(std::vector<std::function<void()>>* out, bool all) {
    auto it = waiters_.begin();
    while (it != waiters_.end() && (all || it->first.first <= published_)) {
      out->push_back(std::move(it->second));
      it = waiters_.erase(it);
    }
  }

  mutable std::mutex mu_;
  uint64_t published_;
  uint64_t next_id_ = 0;
  bool closed_ = false;
  std::map<std::pair<uint64_t, uint64_t>, std::function<void()>> waiters_;
};

}  // namespace bg
