// Tells /v1/stream consumers that new blocks are durable. Consumers read the
// blocks themselves from the ledger, so the feed holds no block data: a
// waiter is a height and a wake-up callback, nothing more.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace bg {

class BlockFeed {
 public:
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
  void wait(uint64_t height, std::function<void()> wake) {
    {
      std::lock_guard lk(mu_);
      if (!closed_ && height > published_) {
        waiters_.emplace_back(height, std::move(wake));
        return;
      }
    }
    wake();
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

 private:
  void take_ready(std::vector<std::function<void()>>* out, bool all) {
    for (size_t i = 0; i < waiters_.size();) {
      if (all || waiters_[i].first <= published_) {
        out->push_back(std::move(waiters_[i].second));
        waiters_[i] = std::move(waiters_.back());
        waiters_.pop_back();
      } else {
        ++i;
      }
    }
  }

  mutable std::mutex mu_;
  uint64_t published_;
  bool closed_ = false;
  std::vector<std::pair<uint64_t, std::function<void()>>> waiters_;
};

}  // namespace bg
