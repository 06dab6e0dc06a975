// TxPipeline: admission under one mutex (check-and-insert of pending ids),
// --verify-depth batcher threads that gather and verify batches (one gathers
// while another waits on the backend), a block thread that verifies POSTed
// blocks beside them, and completion work posted back to io threads so
// neither the batchers nor the ledger writer ever format a response.
#include "server/tx_pipeline.h"

#include <absl/strings/str_cat.h>

#include <algorithm>

#include "host/thread_pool.h"
#include "ledger/validate.h"

namespace bg {
namespace {

uint64_t system_now_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

}  // namespace

TxPipeline::TxPipeline(Ledger& ledger, VerifyBackend& backend, Metrics& metrics, const ServerOptions& opts, Post post)
    : ledger_(ledger), backend_(backend), metrics_(metrics), opts_(opts), post_(std::move(post)) {
  const size_t depth = std::max<uint64_t>(1, opts_.verify_depth);
  for (size_t i = 0; i < depth; ++i) threads_.emplace_back([this] { run(); });
  block_thread_ = std::thread([this] { run_blocks(); });
}

TxPipeline::~TxPipeline() { stop(); }

size_t TxPipeline::pending() const {
  std::lock_guard lk(pending_mu_);
  return pending_.size();
}

absl::Status TxPipeline::writer_status() const {
  std::lock_guard lk(status_mu_);
  return writer_status_;
}

absl::Status TxPipeline::backend_status() const {
  std::lock_guard lk(status_mu_);
  return backend_status_;
}

absl::Status TxPipeline::admit(const std::shared_ptr<TxRequest>& req, std::vector<Candidate> cands,
                               std::function<void()> done) {
  std::vector<Candidate> fresh;
  std::vector<uint32_t> dup_slots;
  fresh.reserve(cands.size());
  // The ledger is asked once, in a batch, outside the admission lock: an id
  // that reaches the ledger after this is caught when its block is sealed.
  std::vector<uint8_t> in_ledger(cands.size(), 0);
  {
    std::vector<Hash32> ids(cands.size());
    for (size_t i = 0; i < cands.size(); ++i) ids[i] = cands[i].id;
    ledger_.contains_ids(ids, in_ledger);
  }
  {
    std::lock_guard lk(pending_mu_);
    if (stopping_) return absl::UnavailableError("server is shutting down");
    if (writer_failed_.load()) return writer_status();
    if (pending_.size() + cands.size() > opts_.max_pending_txs)
      return absl::ResourceExhaustedError(absl::StrCat("pipeline full: ", pending_.size(), " transactions pending"));
    std::unordered_set<Hash32, Hash32Hasher> seen;
    seen.reserve(cands.size());
    for (size_t i = 0; i < cands.size(); ++i) {
      Candidate& c = cands[i];
      if (!seen.insert(c.id).second || pending_.count(c.id) || in_ledger[i]) {
        dup_slots.push_back(c.slot);
        continue;
      }
      pending_.insert(c.id);
      fresh.push_back(std::move(c));
    }
  }
  // Armed before anything can finish a slot: the batcher may run at once.
  req->start(fresh.size() + dup_slots.size(), std::move(done));
  if (!dup_slots.empty()) metrics_.count_rejected(ErrorCode::kDuplicate, dup_slots.size());
  for (uint32_t slot : dup_slots) req->finish(slot, TxStatus::kRejected, ErrorCode::kDuplicate);
  if (fresh.empty()) return absl::OkStatus();
  std::lock_guard lk(mu_);
  queued_txs_ += fresh.size();
  queue_.push_back(Job{req, std::move(fresh), std::chrono::steady_clock::now()});
  cv_.notify_all();  // a batcher waiting to fill and one waiting for work may both care
  return absl::OkStatus();
}

void TxPipeline::run() {
  set_thread_name("bg-batcher");
  const auto deadline = std::chrono::microseconds(opts_.batch_deadline_us);
  const size_t max_batch = std::max<uint64_t>(1, opts_.max_batch);
  const size_t min_batch = std::clamp<uint64_t>(opts_.min_batch, 1, max_batch);
  std::unique_lock lk(mu_);
  for (;;) {
    while (queue_.empty()) {
      if (thread_stop_) return;
      cv_.wait(lk);
    }
    // The batch size follows the backlog. With nothing in the backend, go at
    // once (latency); while batches are in flight, let this one fill until
    // it is full or its oldest transaction is due, so the backlog that built
    // up during the last call goes as one call.
    for (;;) {
      if (queue_.empty() || thread_stop_ || queued_txs_ >= max_batch) break;
      if (verifying_ == 0 && queued_txs_ >= min_batch) break;
      const auto due = queue_.front().queued + deadline;
      if (std::chrono::steady_clock::now() >= due) break;
      cv_.wait_until(lk, due);
    }
    if (queue_.empty()) continue;  // another batcher took it
    // Whole requests only: a request larger than max_batch goes alone.
    auto jobs = std::make_shared<std::vector<Job>>();
    size_t n = 0;
    while (!queue_.empty() && (jobs->empty() || n + queue_.front().cands.size() <= max_batch)) {
      n += queue_.front().cands.size();
      jobs->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_txs_ -= n;
    ++in_flight_;
    ++verifying_;
    metrics_.batches_in_flight.store(verifying_);
    lk.unlock();

    std::vector<SigItem> items;
    items.reserve(n);
    for (const Job& j : *jobs)
      for (const Candidate& c : j.cands) items.push_back(sig_item(c.tx));
    auto valid = std::make_shared<std::vector<uint8_t>>(n, 0);
    const auto t0 = std::chrono::steady_clock::now();
    absl::Status st = backend_.verify_batch(items, *valid);
    metrics_.verify_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    metrics_.batch_size.observe(double(n));
    {
      std::lock_guard slk(status_mu_);
      backend_status_ = st;
    }
    post_([this, jobs, valid, st] { verified(std::move(*jobs), std::move(*valid), st); });
    lk.lock();
    --verifying_;
    metrics_.batches_in_flight.store(verifying_);
    cv_.notify_all();  // a batcher filling a batch may go now
  }
}

absl::Status TxPipeline::admit_block(Block block, BlockDone done) {
  const uint64_t now = system_now_ms();
  if (block.header.timestamp_ms > now && block.header.timestamp_ms - now > opts_.max_future_ms) {
    BlockOutcome o;
    o.kind = BlockOutcome::Kind::kInvalid;
    o.code = ErrorCode::kBadTimestamp;
    done(std::move(o));
    return absl::OkStatus();
  }
  const size_t sigs = block.txs.size();
  const size_t at_sealer = sealer_ != nullptr ? sealer_->pending_blocks() : 0;
  {
    std::lock_guard lk(block_mu_);
    if (block_stop_) return absl::UnavailableError("server is shutting down");
    if (blocks_held_ + at_sealer >= opts_.max_pending_blocks)
      return absl::ResourceExhaustedError(absl::StrCat("block queue full: ", blocks_held_ + at_sealer, " blocks pending"));
    // A block bigger than the whole budget may still go alone.
    if (blocks_held_ > 0 && block_sigs_ + sigs > opts_.max_block_sigs)
      return absl::ResourceExhaustedError(
          absl::StrCat("block signature budget full: ", block_sigs_, " signatures of POSTed blocks pending"));
    ++blocks_held_;
    block_sigs_ += sigs;
    metrics_.block_sigs_in_flight.store(block_sigs_);
    blocks_.push_back(BlockJob{std::move(block), std::move(done)});
  }
  block_cv_.notify_one();
  return absl::OkStatus();
}

size_t TxPipeline::blocks_verifying() const {
  std::lock_guard lk(block_mu_);
  return blocks_held_;
}

BlockOutcome TxPipeline::verify_block(const Block& block, std::vector<Hash32>* ids) {
  BlockOutcome out;
  out.kind = BlockOutcome::Kind::kInvalid;
  // A height at or below the pending tip can never extend it: say so before
  // any work. (A greater height may still become the next one: blocks ahead
  // of it here may extend the tip first; the sealer decides.)
  const TipInfo tip = ledger_.pending_tip();
  if (block.header.version != 1) {
    out.code = ErrorCode::kMalformed;
    return out;
  }
  if (block.header.height <= tip.height) {
    out.kind = BlockOutcome::Kind::kNotExtendingTip;
    out.tip = tip;
    return out;
  }
  ids->clear();
  ids->reserve(block.txs.size());
  for (const Transaction& tx : block.txs) ids->push_back(tx.id());
  if (BlockDecodeError e = check_block_contents(block, *ids); !e.ok()) {
    out.code = e.code;
    out.tx_index = e.tx_index;
    return out;
  }
  // Signatures in chunks, in order, stopping at the first chunk with an
  // invalid one: the first invalid index is the one reported, a block of bad
  // signatures costs one chunk, and transaction batches never wait behind a
  // whole block in the backend.
  const size_t chunk = std::max<uint64_t>(1, opts_.block_verify_chunk);
  std::vector<SigItem> items;
  std::vector<uint8_t> valid;
  for (size_t b = 0; b < block.txs.size(); b += chunk) {
    const size_t e = std::min(block.txs.size(), b + chunk);
    items.clear();
    for (size_t i = b; i < e; ++i) items.push_back(sig_item(block.txs[i]));
    valid.assign(items.size(), 0);
    if (absl::Status st = backend_.verify_batch(items, valid); !st.ok()) {
      out.kind = BlockOutcome::Kind::kUnavailable;
      out.status = st;
      return out;
    }
    for (size_t i = 0; i < valid.size(); ++i)
      if (!valid[i]) {
        out.code = ErrorCode::kInvalidSignature;
        out.tx_index = uint32_t(b + i);
        return out;
      }
  }
  out.kind = BlockOutcome::Kind::kCommitted;  // "verified": the sealer decides the rest
  return out;
}

void TxPipeline::run_blocks() {
  set_thread_name("bg-blocks");
  std::unique_lock lk(block_mu_);
  for (;;) {
    block_cv_.wait(lk, [&] { return block_stop_ || !blocks_.empty(); });
    if (blocks_.empty()) return;  // stopping, and everything queued is done
    BlockJob job = std::move(blocks_.front());
    blocks_.pop_front();
    lk.unlock();

    const size_t sigs = job.block.txs.size();
    std::vector<Hash32> ids;
    BlockOutcome out = verify_block(job.block, &ids);
    bool queued = false;
    if (out.kind == BlockOutcome::Kind::kCommitted) {
      queued = sealer_ != nullptr && sealer_->push_block(std::move(job.block), std::move(ids), job.done);
      if (!queued) {
        metrics_.shed_requests.fetch_add(1);
        out.kind = BlockOutcome::Kind::kUnavailable;
        out.status = absl::UnavailableError("block queue full");
      }
    }
    if (!queued) job.done(std::move(out));

    lk.lock();
    --blocks_held_;
    block_sigs_ -= sigs;
    metrics_.block_sigs_in_flight.store(block_sigs_);
  }
}

void TxPipeline::verified(std::vector<Job> jobs, std::vector<uint8_t> valid, absl::Status st) {
  // Ids of rejected transactions are released before any answer goes out, so
  // a client that resubmits at once is judged afresh, not as a duplicate.
  // Counters are updated before any answer goes out too, so a client that
  // reads /metrics right after its answer sees its own transactions counted.
  std::vector<Hash32> done_ids;
  size_t invalid = 0, failed = 0, verified_answers = 0;
  size_t k = 0;
  for (const Job& job : jobs)
    for (const Candidate& c : job.cands) {
      const bool ok = st.ok() && valid[k++];
      if (!ok) done_ids.push_back(c.id);
      if (!st.ok()) ++failed;
      else if (!ok) ++invalid;
      else if (!job.req->wait_commit()) ++verified_answers;
    }
  release(done_ids);
  if (invalid) metrics_.count_rejected(ErrorCode::kInvalidSignature, invalid);
  if (failed) metrics_.count_txs(TxOutcome::kUnavailable, failed);
  if (verified_answers) metrics_.count_txs(TxOutcome::kVerified, verified_answers);

  std::vector<SealTx> to_seal;
  k = 0;
  for (Job& job : jobs) {
    for (Candidate& c : job.cands) {
      const bool ok = st.ok() && valid[k++];
      if (!st.ok()) {
        job.req->finish(c.slot, TxStatus::kUnavailable);
      } else if (!ok) {
        job.req->finish(c.slot, TxStatus::kRejected, ErrorCode::kInvalidSignature);
      } else {
        if (!job.req->wait_commit()) job.req->finish(c.slot, TxStatus::kVerified);
        to_seal.push_back(SealTx{std::move(c.tx), c.id, job.req, c.slot, job.queued});
      }
    }
  }
  if (sealer_ != nullptr) sealer_->push_txs(std::move(to_seal));
  std::lock_guard lk(mu_);
  --in_flight_;
  drained_cv_.notify_all();
}

void TxPipeline::release(const std::vector<Hash32>& ids) {
  if (ids.empty()) return;
  std::lock_guard lk(pending_mu_);
  for (const Hash32& id : ids) pending_.erase(id);
}

void TxPipeline::note_ledger_error(const absl::Status& status) {
  if (!absl::IsInternal(status) || writer_failed_.load()) return;
  std::lock_guard lk(status_mu_);
  writer_status_ = absl::UnavailableError(absl::StrCat("ledger writer stopped: ", std::string(status.message())));
  writer_failed_.store(true);
}

void TxPipeline::on_sealed(std::vector<SealTx> txs, absl::Status status, uint64_t height) {
  auto items = std::make_shared<std::vector<SealTx>>(std::move(txs));
  post_([this, items, status = std::move(status), height] {
    const auto now = std::chrono::steady_clock::now();
    std::vector<Hash32> ids;
    ids.reserve(items->size());
    for (const SealTx& t : *items) ids.push_back(t.id);
    release(ids);  // before the answers (see verified())
    // Metrics before answers (see verified()).
    if (status.ok())
      for (const SealTx& t : *items)
        metrics_.commit_latency_seconds.observe(std::chrono::duration<double>(now - t.admitted).count());
    metrics_.count_txs(status.ok() ? TxOutcome::kCommitted : TxOutcome::kUnavailable, items->size());
    for (size_t i = 0; i < items->size(); ++i) {
      SealTx& t = (*items)[i];
      if (status.ok()) {
        t.request->finish(t.slot, TxStatus::kCommitted, ErrorCode::kOk, height, uint32_t(i));
      } else {
        t.request->finish(t.slot, TxStatus::kUnavailable);
      }
    }
  });
}

void TxPipeline::on_duplicate(std::vector<SealTx> txs) {
  auto items = std::make_shared<std::vector<SealTx>>(std::move(txs));
  post_([this, items] {
    std::vector<Hash32> ids;
    for (const SealTx& t : *items) ids.push_back(t.id);
    release(ids);
    metrics_.count_rejected(ErrorCode::kDuplicate, items->size());
    for (SealTx& t : *items) t.request->finish(t.slot, TxStatus::kRejected, ErrorCode::kDuplicate);
  });
}

void TxPipeline::stop() {
  {
    std::lock_guard lk(pending_mu_);
    stopping_ = true;
  }
  {
    std::lock_guard lk(mu_);
    thread_stop_ = true;
    cv_.notify_all();
  }
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  {
    std::lock_guard lk(block_mu_);
    block_stop_ = true;
  }
  block_cv_.notify_all();
  if (block_thread_.joinable()) block_thread_.join();
  std::unique_lock lk(mu_);
  drained_cv_.wait(lk, [&] { return in_flight_ == 0; });
}

}  // namespace bg
