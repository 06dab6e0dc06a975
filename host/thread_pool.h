// A fixed pool of worker threads started once, and a blocking parallel_for
// that splits an index range into chunks. The calling thread works too, and
// several callers may run parallel_for at once (jobs interleave in the queue).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bg {

// Names the calling thread (at most 15 characters show) so that `top -H`
// and /proc/PID/task/*/comm tell the server's stages apart.
void set_thread_name(const char* name);

class ThreadPool {
 public:
  // threads == 0 means std::thread::hardware_concurrency(). The pool starts
  // threads - 1 workers; the caller of parallel_for is the last one.
  explicit ThreadPool(size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size() + 1; }

  // Calls fn(begin, end) over [0, n) in chunks of at least `grain` items and
  // returns when every chunk is done.
  void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

 private:
  void worker_loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace bg
