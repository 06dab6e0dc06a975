// One POST /v1/transactions in flight: a result slot per input item, filled
// by whichever stage decides that item (admission, verification, the sealer's
// commit), and a completion callback run once every awaited slot is final.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "host/bytes.h"
#include "host/codes.h"

namespace bg {

enum class TxStatus : uint8_t { kPending, kRejected, kVerified, kCommitted, kUnavailable };

struct TxResult {
  std::optional<Hash32> id;  // none when the item did not decode
  TxStatus status = TxStatus::kPending;
  ErrorCode error = ErrorCode::kOk;
  uint64_t height = 0;
  uint32_t index = 0;
};

class TxRequest {
 public:
  // wait_commit: answer once every admitted tx is committed (or failed);
  // otherwise once every admitted tx is verified.
  TxRequest(std::vector<TxResult> results, bool wait_commit)
      : results_(std::move(results)), wait_commit_(wait_commit) {}

  bool wait_commit() const { return wait_commit_; }

  // Arms the request: `outstanding` slots are still pending; done() runs on
  // the thread that finalizes the last one (at once when none is pending).
  void start(size_t outstanding, std::function<void()> done) {
    std::unique_lock lk(mu_);
    outstanding_ = outstanding;
    done_ = std::move(done);
    if (outstanding_ == 0) {
      auto d = std::move(done_);
      lk.unlock();
      d();
    }
  }

  // Records a final result for `slot`. After verification in wait=verify mode
  // a later commit outcome is not recorded: the answer has already gone.
  void finish(size_t slot, TxStatus status, ErrorCode error = ErrorCode::kOk, uint64_t height = 0,
              uint32_t index = 0) {
    std::unique_lock lk(mu_);
    if (finished_) return;
    TxResult& r = results_[slot];
    if (r.status != TxStatus::kPending) return;
    r.status = status;
    r.error = error;
    r.height = height;
    r.index = index;
    if (--outstanding_ == 0) {
      finished_ = true;
      auto d = std::move(done_);
      lk.unlock();
      if (d) d();
    }
  }

  // Only after done() ran: results are then immutable.
  const std::vector<TxResult>& results() const { return results_; }

 private:
  std::mutex mu_;
  std::vector<TxResult> results_;
  const bool wait_commit_;
  size_t outstanding_ = 0;
  bool finished_ = false;
  std::function<void()> done_;
};

}  // namespace bg
