// serve --follow SOURCE: a verifying follower. It keeps its own ledger and
// reads blocks from its tip + 1 out of SOURCE (another blockgate's
// /v1/stream, or the JetStream stream a leader publishes to), trusting
// nothing: every block gets the full check of POST /v1/blocks (chain link,
// Merkle root, no duplicate, every signature on this node's backend) before
// the group-committed ledger takes it. Four stages overlap, each on its own
// thread: fetch (decode) → prepare (ids, Merkle roots, links, duplicates of
// batch N+1) → verify (batch N's signatures in one backend call, beside
// batch N-1's) → commit in batch order (the ledger's writer). A block that
// fails is never appended: the follower stops following, says why in the
// log and in /readyz, and reads go on.
#pragma once

#include <absl/container/flat_hash_set.h>
#include <absl/status/status.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "host/backend.h"
#include "ledger/ledger.h"
#include "server/block_source.h"

namespace bg {

struct FollowerOptions {
  BlockSourceOptions source;
  size_t max_batch_signatures = 131072;  // one verify call during catch-up, at most (serve --max-batch)
  size_t verify_depth = 2;  // batches verifying at once (serve --verify-depth); submitted in order
  uint64_t max_queued_bytes = 64ull << 20;  // fetched, not yet verified
  uint64_t max_future_ms = 2 * 3600 * 1000;  // a block's timestamp may lead this node's clock by this much
};

struct FollowerStats {
  std::string upstream;
  uint64_t tip = 0;                     // this node's durable tip
  std::optional<uint64_t> upstream_tip;  // when the source has said
  uint64_t lag_blocks = 0;
  double lag_seconds = 0;  // age of our tip while behind the upstream, else 0
  uint64_t reconnects = 0;
  uint64_t blocks_verified = 0;
  uint64_t txs_verified = 0;
  double blocks_per_second = 0;  // over the last few seconds
  // Block timestamp (set when the leader sealed it) to durable on this node,
  // over the last kLatencySamples blocks committed once caught up (blocks
  // fetched during a catch-up are old by then and do not count).
  uint64_t seal_to_commit_samples = 0;
  double seal_to_commit_p50_ms = 0, seal_to_commit_p99_ms = 0;
  bool connected = false;
  bool failed = false;  // stopped following for good
  uint64_t failed_height = 0;
  std::string failed_code;  // SPEC §3 code, or "ledger" / "source"
  std::string error;        // the detail
};

class Follower {
 public:
  // `committed(height)` runs (in height order, on the ledger's thread) once a
  // followed block is durable.
  Follower(Ledger& ledger, VerifyBackend& backend, FollowerOptions opts, std::function<void(uint64_t)> committed);
  ~Follower();  // stop()
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  absl::Status start();
  // Stops fetching, finishes the batch being verified, waits for its commits.
  void stop();

  // Not ready once following stopped on a bad block; `why` names it.
  bool ready(std::string* why) const;
  FollowerStats stats() const;
  // Prometheus lines (blockgate_follower_*).
  std::string render_metrics() const;

 private:
  struct Queued {
    Block block;
    uint64_t bytes = 0;
  };
  // A batch checked for everything but signatures, waiting for verify.
  struct Prepared {
    uint64_t seq = 0;  // batches in fetch order, from 1
    std::vector<Queued> batch;
    std::vector<Hash32> ids;       // every transaction's id, block after block
    std::vector<size_t> first_tx;  // block i's ids start at first_tx[i]; batch.size() + 1 entries
    std::vector<SigItem> items;    // the signatures of the blocks [0, good)
    size_t good = 0;               // blocks that passed every check but signatures
    std::optional<std::pair<uint64_t, std::string>> failure;  // height, code: block `good` failed
    std::string detail;
  };
  // Ids of a batch handed to verify whose blocks the ledger may not hold yet:
  // prepare checks later batches against them as well as against the ledger.
  struct InFlightIds {
    uint64_t seq = 0;
    absl::flat_hash_set<Hash32, Hash32Hasher> ids;
  };
  // Seconds each stage spent working (not waiting), for the "caught up" line.
  struct StageTimes {
    double fetch = 0, prepare = 0, verify = 0, submit = 0;
    uint64_t batches = 0;
  };

  void fetch_loop();
  void prepare_loop();
  // The prepare thread's buffers for hashing a batch's ids, kept from one
  // batch to the next (fresh ones cost a page fault every 4 KiB each batch).
  struct HashScratch {
    Bytes encodings;
    std::vector<size_t> ends;
    std::vector<ByteSpan> spans;
  };
  Prepared prepare(std::vector<Queued> batch, uint64_t seq, TipInfo& tip, std::deque<InFlightIds>& in_flight,
                   HashScratch& scratch);
  void verify_loop();
  void verify_and_commit(Prepared p);
  void fail(uint64_t height, std::string code, std::string detail);
  bool sleep_for(std::chrono::milliseconds d);

  Ledger& ledger_;
  VerifyBackend& backend_;
  const FollowerOptions opts_;
  std::function<void(uint64_t)> committed_;
  std::unique_ptr<BlockSource> source_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // room in the queue, prepared batch, turn to submit, stop, failure
  // The queue became non-empty (prepare waits on it), stop, failure: its own
  // variable, so that a fetched block wakes the prepare thread only, and only
  // when it waits for one (a wake-up of every waiter per block cost a context
  // switch or more per block).
  std::condition_variable queue_cv_;
  std::deque<Queued> queue_;
  uint64_t queued_bytes_ = 0;
  uint64_t queued_sigs_ = 0;  // transactions in queue_
  std::optional<Prepared> prepared_;  // prepare → verify, one batch
  std::atomic<uint64_t> submitted_seq_{0};  // every block of batches up to this one is submitted
  StageTimes times_;
  uint64_t next_fetch_ = 0;
  bool stopping_ = false;
  FollowerStats stats_;
  mutable std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> rate_samples_;
  static constexpr size_t kLatencySamples = 4096;
  std::vector<double> latency_ms_;  // ring of seal-to-commit times
  size_t latency_next_ = 0;
  std::atomic<uint64_t> in_flight_{0};
  std::chrono::steady_clock::time_point started_{};
  uint64_t start_height_ = 0;
  bool caught_up_logged_ = false;
  std::thread fetch_thread_, prepare_thread_;
  std::vector<std::thread> verify_threads_;
};

}  // namespace bg
