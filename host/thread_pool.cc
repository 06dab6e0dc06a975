// ThreadPool implementation: one mutex-guarded deque; chunks are sized so each
// thread gets a few, which balances uneven items (ECDSA vs ed25519) cheaply.
#include "host/thread_pool.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <memory>

namespace bg {

void set_thread_name(const char* name) { pthread_setname_np(pthread_self(), name); }

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop() {
  set_thread_name("bg-verify");
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

void ThreadPool::parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  const size_t threads = size();
  // About four chunks per thread, never below the grain.
  size_t chunk = std::max(grain, (n + 4 * threads - 1) / (4 * threads));
  size_t chunks = (n + chunk - 1) / chunk;
  if (chunks <= 1 || threads == 1) {
    fn(0, n);
    return;
  }
  // Shared state, so a helper that is scheduled only after the work is done
  // (the pool busy with another caller's job) finds no chunk and leaves
  // without touching this stack frame.
  struct State {
    std::function<void(size_t, size_t)> fn;
    size_t n, chunk, chunks;
    std::atomic<size_t> next{0};
    std::latch done;
    State(const std::function<void(size_t, size_t)>& f, size_t n_, size_t c, size_t cs)
        : fn(f), n(n_), chunk(c), chunks(cs), done(static_cast<std::ptrdiff_t>(cs)) {}
    void run() {
      for (;;) {
        size_t c = next.fetch_add(1, std::memory_order_relaxed);
        if (c >= chunks) return;
        size_t b = c * chunk, e = std::min(n, b + chunk);
        fn(b, e);
        done.count_down();
      }
    }
  };
  auto state = std::make_shared<State>(fn, n, chunk, chunks);
  const size_t helpers = std::min(chunks - 1, workers_.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < helpers; ++i) queue_.emplace_back([state] { state->run(); });
  }
  if (helpers == 1) cv_.notify_one(); else cv_.notify_all();
  state->run();
  state->done.wait();
}

}  // namespace bg
