// Admission and dynamic batching of submitted transactions, and the
// verification of POSTed blocks. Admission rejects duplicates (same id
// earlier in the request, already in the ledger, or pending here) and sheds
// load past --max-pending-txs. --verify-depth batcher threads each gather
// transactions from every connection into one verify_batch call, so the next
// batch is gathered while the backend works on the last; the batch size
// follows the backlog (see ServerOptions). Verdicts go back to an io thread:
// valid transactions go to the sealer. POSTed blocks are checked (contents,
// Merkle root, signatures in chunks) on their own thread, beside the
// transaction batches, under their own signature budget; only verified blocks
// reach the sealer, which checks the chain link.
#pragma once

#include <absl/status/status.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "host/backend.h"
#include "host/block.h"
#include "ledger/ledger.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/sealer.h"
#include "server/tx_request.h"

namespace bg {

// A decoded transaction of a request, with its id and result slot.
struct Candidate {
  Transaction tx;
  Hash32 id{};
  uint32_t slot = 0;
};

class TxPipeline {
 public:
  // `post` runs a function on an io thread (completions never run on the
  // batcher or ledger threads).
  using Post = std::function<void(std::function<void()>)>;

  TxPipeline(Ledger& ledger, VerifyBackend& backend, Metrics& metrics, const ServerOptions& opts, Post post);
  ~TxPipeline();  // stop()
  TxPipeline(const TxPipeline&) = delete;
  TxPipeline& operator=(const TxPipeline&) = delete;

  // Set once, before the first admit(): where verified transactions go.
  void set_sealer(Sealer* sealer) { sealer_ = sealer; }

  // Admits `cands` for `req`: duplicates are finished at once, the rest queued
  // for verification, and `req` is armed with `done`. ResourceExhausted (the
  // pipeline is full) or Unavailable (shutting down): nothing admitted, `done`
  // never runs.
  absl::Status admit(const std::shared_ptr<TxRequest>& req, std::vector<Candidate> cands, std::function<void()> done);

  // Admits a decoded POSTed block: a timestamp past the server clock by more
  // than --max-future-ms is answered at once (bad_timestamp); otherwise it
  // queues for verification and `done` runs with its outcome (from a
  // verification thread or the ledger's). ResourceExhausted (too many blocks
  // or block signatures waiting) or Unavailable (shutting down): nothing
  // queued, `done` never runs.
  absl::Status admit_block(Block block, BlockDone done);
  // POSTed blocks queued or being verified here (not yet at the sealer).
  size_t blocks_verifying() const;

  // Sealer hooks (any thread): final outcomes of sealed transactions.
  void on_sealed(std::vector<SealTx> txs, absl::Status status, uint64_t height);
  void on_duplicate(std::vector<SealTx> txs);

  // Sealer hook: a ledger failure; Internal means the writer stopped for good.
  void note_ledger_error(const absl::Status& status);

  size_t pending() const;
  // The ledger writer failed for good (Internal): readiness and admission say so.
  bool writer_failed() const { return writer_failed_.load(); }
  absl::Status writer_status() const;
  // The last verify_batch call's status: a failing backend (a lost GPU)
  // makes the server not ready until a later call succeeds.
  absl::Status backend_status() const;

  // Refuses new work, verifies everything queued and waits until the sealer
  // has received it. Does not stop the sealer.
  void stop();

 private:
  struct Job {
    std::shared_ptr<TxRequest> req;
    std::vector<Candidate> cands;
    std::chrono::steady_clock::time_point queued;
  };

  struct BlockJob {
    Block block;
    BlockDone done;
  };

  void run();
  void run_blocks();
  // Everything but the chain link: contents, Merkle root, signatures. Fills
  // `ids` on success.
  BlockOutcome verify_block(const Block& block, std::vector<Hash32>* ids);
  void verified(std::vector<Job> jobs, std::vector<uint8_t> valid, absl::Status st);
  void release(const std::vector<Hash32>& ids);

  Ledger& ledger_;
  VerifyBackend& backend_;
  Metrics& metrics_;
  const ServerOptions& opts_;
  Post post_;
  Sealer* sealer_ = nullptr;

  // Ids admitted and not yet final; its size is the admission bound.
  mutable std::mutex pending_mu_;
  std::unordered_set<Hash32, Hash32Hasher> pending_;
  bool stopping_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  size_t queued_txs_ = 0;
  size_t in_flight_ = 0;  // batches taken, verdicts not yet handed on
  size_t verifying_ = 0;  // batches inside verify_batch
  bool thread_stop_ = false;
  std::condition_variable drained_cv_;
  std::vector<std::thread> threads_;

  mutable std::mutex block_mu_;
  std::condition_variable block_cv_;
  std::deque<BlockJob> blocks_;
  size_t block_sigs_ = 0;  // signatures of blocks queued or verifying
  size_t blocks_held_ = 0;  // blocks queued or verifying
  bool block_stop_ = false;
  std::thread block_thread_;

  std::atomic<bool> writer_failed_{false};
  mutable std::mutex status_mu_;
  absl::Status writer_status_;
  absl::Status backend_status_;
};

}  // namespace bg
