// A shared byte budget: what all connections together may hold of one kind
// (bodies being read, work admitted but not answered, answers being written).
// Acquiring is all-or-nothing; the first holder always gets in, so one item
// larger than the whole budget is still served when nothing else is.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

namespace bg {

class ByteBudget {
 public:
  ByteBudget() = default;  // unlimited until set_limit
  explicit ByteBudget(uint64_t limit) : limit_(limit) {}
  void set_limit(uint64_t limit) { limit_.store(limit); }
  uint64_t limit() const { return limit_.load(); }
  uint64_t used() const { return used_.load(); }

  bool try_acquire(uint64_t n) {
    uint64_t cur = used_.load();
    do {
      if (cur != 0 && (cur > limit_.load() || n > limit_.load() - cur)) return false;
    } while (!used_.compare_exchange_weak(cur, cur + n));
    return true;
  }
  void release(uint64_t n) { used_.fetch_sub(n); }

 private:
  std::atomic<uint64_t> limit_{UINT64_MAX};
  std::atomic<uint64_t> used_{0};
};

// Bytes held from a ByteBudget, given back when the hold is reset or dies.
class BudgetHold {
 public:
  BudgetHold() = default;
  ~BudgetHold() { reset(); }
  BudgetHold(BudgetHold&& o) noexcept : budget_(std::exchange(o.budget_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  BudgetHold& operator=(BudgetHold&& o) noexcept {
    if (this != &o) {
      reset();
      budget_ = std::exchange(o.budget_, nullptr);
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  BudgetHold(const BudgetHold&) = delete;
  BudgetHold& operator=(const BudgetHold&) = delete;

  // Holds `n` more bytes of `budget` (the same budget as before, if any).
  bool grow(ByteBudget& budget, uint64_t n) {
    if (budget_ != nullptr && budget_ != &budget) return false;
    if (n == 0) return true;
    if (!budget.try_acquire(n)) return false;
    budget_ = &budget;
    bytes_ += n;
    return true;
  }
  uint64_t bytes() const { return bytes_; }
  void reset() {
    if (budget_ != nullptr && bytes_ != 0) budget_->release(bytes_);
    budget_ = nullptr;
    bytes_ = 0;
  }

 private:
  ByteBudget* budget_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace bg
