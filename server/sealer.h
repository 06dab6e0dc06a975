// The single ordered writer (SPEC §3): verified transactions are sealed into
// blocks (every --block-interval-ms or --max-block-txs, whichever first) and
// POSTed blocks (already verified by TxPipeline: signatures, Merkle root,
// contents) get their chain link and ledger duplicates checked, both in
// arrival order, on one thread, against the ledger's pending tip, then are
// handed to Ledger::submit. Nothing else
// submits to the ledger, so the pending tip it reads is the one it extends.
#pragma once

#include <absl/status/status.h>

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
#include <variant>
#include <vector>

#include "host/backend.h"
#include "host/block.h"
#include "ledger/ledger.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/tx_request.h"

namespace bg {

// A verified transaction waiting for a block.
struct SealTx {
  Transaction tx;  // moved into the block when sealed
  Hash32 id{};
  std::shared_ptr<TxRequest> request;
  uint32_t slot = 0;
  std::chrono::steady_clock::time_point admitted;
};

struct BlockOutcome {
  enum class Kind { kCommitted, kNotExtendingTip, kInvalid, kUnavailable };
  Kind kind = Kind::kUnavailable;
  ErrorCode code = ErrorCode::kOk;      // kInvalid
  std::optional<uint32_t> tx_index;     // kInvalid, when one transaction is at fault
  TipInfo tip;                          // kNotExtendingTip: the tip to extend
  Hash32 hash{};                        // kCommitted
  uint64_t height = 0;                  // kCommitted
  absl::Status status;                  // kUnavailable: why
};
using BlockDone = std::function<void(BlockOutcome)>;

struct SealerHooks {
  // The transactions of one sealed block: with OkStatus, txs[i] stands at index
  // i of block `height`; otherwise the ledger failed the block. Runs on the
  // ledger's writer thread (or the sealer's): keep it short, post the work.
  std::function<void(std::vector<SealTx> txs, absl::Status status, uint64_t height)> txs_done;
  // Transactions found already in the ledger at seal time (a POSTed block took them).
  std::function<void(std::vector<SealTx> txs)> txs_duplicate;
  // Any block became durable; called in height order.
  std::function<void(uint64_t height)> committed;
  // The ledger refused or failed a block (disk full, writer stopped).
  std::function<void(const absl::Status& status)> ledger_error;
};

class Sealer {
 public:
  Sealer(Ledger& ledger, VerifyBackend& backend, Metrics& metrics, const ServerOptions& opts, SealerHooks hooks);
  ~Sealer();  // stop()
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  // Never refuses: admission upstream bounds the number of transactions.
  void push_txs(std::vector<SealTx> txs);
  // A POSTed block whose contents and signatures are verified (ids[i] =
  // txs[i].id()). False (nothing queued) when --max-pending-blocks blocks
  // already wait.
  bool push_block(Block block, std::vector<Hash32> ids, BlockDone done);

  size_t queued_txs() const;
  size_t pending_blocks() const;
  // Nothing queued and no submitted block still waiting for durability.
  bool idle() const;
  // Seals and submits everything queued, waits for every commit callback, then
  // ends the thread. Later pushes are failed Unavailable.
  void stop();

 private:
  struct BlockItem {
    Block block;
    std::vector<Hash32> ids;
    BlockDone done;
  };
  using Item = std::variant<SealTx, BlockItem>;

  void run();
  void seal(std::vector<SealTx> txs);
  void write_block(BlockItem item);
  void submitted(int delta);

  Ledger& ledger_;
  VerifyBackend& backend_;
  Metrics& metrics_;
  const ServerOptions& opts_;
  SealerHooks hooks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // queue changes, stop
  std::condition_variable idle_cv_;  // in-flight submits reach zero
  std::deque<Item> queue_;
  size_t queued_txs_ = 0;
  size_t queued_blocks_ = 0;
  size_t in_flight_ = 0;  // submitted, callback not yet run
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bg
