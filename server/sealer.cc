// Sealer: one thread owns the order of the chain. It wakes when a block is
// queued, when --max-block-txs transactions wait, or when the oldest waiting
// transaction has waited --block-interval-ms; it then seals or validates
// outside the lock and submits to the ledger, whose writer thread calls back.
#include "server/sealer.h"

#include <absl/strings/str_cat.h>

#include <algorithm>

#include "host/thread_pool.h"
#include "ledger/validate.h"

namespace bg {
namespace {

// Sealed blocks stay well under the ledger's record limit (1 GiB) and cheap to
// stream: at most this many encoded transaction bytes each.
constexpr size_t kMaxSealedBlockBytes = 64u << 20;

uint64_t now_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

Sealer::Sealer(Ledger& ledger, VerifyBackend& backend, Metrics& metrics, const ServerOptions& opts, SealerHooks hooks)
    : ledger_(ledger), backend_(backend), metrics_(metrics), opts_(opts), hooks_(std::move(hooks)) {
  thread_ = std::thread([this] { run(); });
}

Sealer::~Sealer() { stop(); }

void Sealer::push_txs(std::vector<SealTx> txs) {
  if (txs.empty()) return;
  {
    std::lock_guard lk(mu_);
    if (!stopping_) {
      queued_txs_ += txs.size();
      for (SealTx& t : txs) queue_.emplace_back(std::move(t));
      cv_.notify_one();
      return;
    }
  }
  hooks_.txs_done(std::move(txs), absl::UnavailableError("server is shutting down"), 0);
}

bool Sealer::push_block(Block block, std::vector<Hash32> ids, BlockDone done) {
  std::lock_guard lk(mu_);
  if (stopping_ || queued_blocks_ >= opts_.max_pending_blocks) return false;
  ++queued_blocks_;
  queue_.emplace_back(BlockItem{std::move(block), std::move(ids), std::move(done)});
  cv_.notify_one();
  return true;
}

size_t Sealer::queued_txs() const {
  std::lock_guard lk(mu_);
  return queued_txs_;
}

size_t Sealer::pending_blocks() const {
  std::lock_guard lk(mu_);
  return queued_blocks_;
}

bool Sealer::idle() const {
  std::lock_guard lk(mu_);
  return queue_.empty() && in_flight_ == 0;
}

void Sealer::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [&] { return in_flight_ == 0; });
}

void Sealer::submitted(int delta) {
  std::lock_guard lk(mu_);
  in_flight_ += delta;
  if (in_flight_ == 0) idle_cv_.notify_all();
}

void Sealer::run() {
  set_thread_name("bg-sealer");
  const auto interval = std::chrono::milliseconds(opts_.block_interval_ms);
  const size_t max_txs = std::max<uint64_t>(1, opts_.max_block_txs);
  std::unique_lock lk(mu_);
  for (;;) {
    // Ready when a block waits (txs queued before it are sealed first, without
    // waiting out the interval), a full block of txs waits, the oldest tx is
    // due, or we are stopping.
    for (;;) {
      if (queue_.empty()) {
        if (stopping_) return;
        cv_.wait(lk);
        continue;
      }
      if (queued_blocks_ > 0 || queued_txs_ >= max_txs || stopping_) break;
      const auto due = std::get<SealTx>(queue_.front()).admitted + interval;
      if (std::chrono::steady_clock::now() >= due) break;
      cv_.wait_until(lk, due);
    }
    if (auto* b = std::get_if<BlockItem>(&queue_.front())) {
      BlockItem item = std::move(*b);
      queue_.pop_front();
      ++in_flight_;  // counted before the lock drops, so idle() never sees a gap
      lk.unlock();
      write_block(std::move(item));
      lk.lock();
      --queued_blocks_;
      continue;
    }
    std::vector<SealTx> txs;
    txs.reserve(std::min(queued_txs_, max_txs));
    // The encoded block stays within --max-block-bytes (and the record cap).
    const size_t max_bytes = std::min<uint64_t>(kMaxSealedBlockBytes, opts_.max_block_bytes) - kHeaderSize;
    size_t bytes = 0;
    while (!queue_.empty() && txs.size() < max_txs && std::holds_alternative<SealTx>(queue_.front()) &&
           (txs.empty() || bytes + std::get<SealTx>(queue_.front()).tx.encoded_size() <= max_bytes)) {
      bytes += std::get<SealTx>(queue_.front()).tx.encoded_size();
      txs.push_back(std::move(std::get<SealTx>(queue_.front())));
      queue_.pop_front();
    }
    queued_txs_ -= txs.size();
    ++in_flight_;
    lk.unlock();
    seal(std::move(txs));
    lk.lock();
  }
}

// Called with one in-flight count taken; gives it back when the block is
// failed here or when the ledger calls back.
void Sealer::seal(std::vector<SealTx> txs) {
  // A POSTed block may have taken some of these ids since admission.
  // One batched lookup (the index answers many ids in one call).
  std::vector<Hash32> want(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) want[i] = txs[i].id;
  std::vector<uint8_t> present(txs.size(), 0);
  ledger_.contains_ids(want, present);
  std::vector<SealTx> fresh, dup;
  fresh.reserve(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) (present[i] ? dup : fresh).push_back(std::move(txs[i]));
  if (!dup.empty()) hooks_.txs_duplicate(std::move(dup));
  if (fresh.empty()) {
    submitted(-1);
    return;
  }

  const TipInfo tip = ledger_.pending_tip();
  Block block;
  block.header.version = 1;
  block.header.height = tip.height + 1;
  block.header.prev_hash = tip.hash;
  block.header.timestamp_ms = std::max(now_ms(), tip.timestamp_ms);
  block.header.tx_count = uint32_t(fresh.size());
  std::vector<Hash32> ids;
  ids.reserve(fresh.size());
  block.txs.reserve(fresh.size());
  for (SealTx& t : fresh) {
    ids.push_back(t.id);
    block.txs.push_back(std::move(t.tx));
  }
  auto root = backend_.merkle_root(ids);
  if (!root.ok()) {
    hooks_.txs_done(std::move(fresh), root.status(), 0);
    submitted(-1);
    return;
  }
  block.header.merkle_root = *root;
  const uint64_t height = block.header.height;
  metrics_.block_txs.observe(double(fresh.size()));

  auto items = std::make_shared<std::vector<SealTx>>(std::move(fresh));
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status st = ledger_.submit_with_ids(std::move(block), std::move(ids), [this, items, height, t0](absl::Status s) {
    if (s.ok()) {
      metrics_.block_commit_seconds.observe(seconds_since(t0));
      metrics_.count_block(false);
      hooks_.committed(height);
    }
    if (!s.ok()) hooks_.ledger_error(s);
    hooks_.txs_done(std::move(*items), std::move(s), height);
    submitted(-1);
  });
  if (!st.ok()) {
    hooks_.ledger_error(st);
    hooks_.txs_done(std::move(*items), st, 0);
    submitted(-1);
  }
}

void Sealer::write_block(BlockItem item) {
  // Signatures, Merkle root and contents were verified before the block
  // queued here; only what depends on the chain's order is left.
  BlockOutcome out;
  const TipInfo tip = ledger_.pending_tip();
  BlockDecodeError e = check_extends_tip(item.block.header, tip);
  if (e.ok()) {
    std::vector<uint8_t> present(item.ids.size(), 0);
    ledger_.contains_ids(item.ids, present);
    for (size_t i = 0; e.ok() && i < present.size(); ++i)
      if (present[i]) e = {ErrorCode::kDuplicate, uint32_t(i), "already in the ledger"};
  }
  if (!e.ok()) {
    if (e.code == ErrorCode::kNotExtendingTip) {
      out.kind = BlockOutcome::Kind::kNotExtendingTip;
      out.tip = tip;
    } else {
      out.kind = BlockOutcome::Kind::kInvalid;
      out.code = e.code;
      out.tx_index = e.tx_index;
    }
    item.done(std::move(out));
    submitted(-1);
    return;
  }

  const uint64_t height = item.block.header.height;
  const Hash32 hash = item.block.header.hash();
  auto done = std::make_shared<BlockDone>(std::move(item.done));
  const auto t0 = std::chrono::steady_clock::now();
  absl::Status st = ledger_.submit_with_ids(std::move(item.block), std::move(item.ids),
                                            [this, done, height, hash, t0](absl::Status s) {
    BlockOutcome o;
    if (s.ok()) {
      metrics_.block_commit_seconds.observe(seconds_since(t0));
      metrics_.count_block(true);
      hooks_.committed(height);
      o.kind = BlockOutcome::Kind::kCommitted;
      o.height = height;
      o.hash = hash;
    } else {
      hooks_.ledger_error(s);
      o.kind = BlockOutcome::Kind::kUnavailable;
      o.status = std::move(s);
    }
    (*done)(std::move(o));
    submitted(-1);
  });
  if (!st.ok()) {
    BlockOutcome o;
    if (absl::IsFailedPrecondition(st)) {  // validated against this tip: cannot happen, but answer truthfully
      o.kind = BlockOutcome::Kind::kNotExtendingTip;
      o.tip = ledger_.pending_tip();
    } else {
      hooks_.ledger_error(st);
      o.kind = BlockOutcome::Kind::kUnavailable;
      o.status = st;
    }
    (*done)(std::move(o));
    submitted(-1);
  }
}

}  // namespace bg
