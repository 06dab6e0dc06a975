// The server below its sockets: block feed, transaction pipeline, sealer and
// API wired to each other over an open ledger and backend. Server::create and
// the handler tests both build it here, so the wiring exists once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "host/backend.h"
#include "ledger/ledger.h"
#include "server/api.h"
#include "server/block_feed.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/sealer.h"
#include "server/tx_pipeline.h"

namespace bg {

// What the components are built over. Every reference must outlive them.
struct ServerCoreDeps {
  const ServerOptions& opts;
  Ledger& ledger;
  VerifyBackend& backend;
  Metrics& metrics;
  std::atomic<bool>& draining;
  // Where the pipeline runs request completions (the server's io threads).
  std::function<void(std::function<void()>)> post;
  // Called after each durable commit, before the block feed hears of it; may be empty.
  std::function<void(uint64_t height)> on_committed;
  // serve --follow / --publish, for the API (read-only answers, readiness, metrics).
  const Follower* follower = nullptr;
  const Publisher* publisher = nullptr;
};

// Owners of the wired components. Destroy (or stop) the sealer and pipeline
// before what they call: stop() does both, in that order.
struct ServerCore {
  std::unique_ptr<BlockFeed> feed;
  std::unique_ptr<TxPipeline> pipeline;
  std::unique_ptr<Sealer> sealer;
  std::unique_ptr<Api> api;
};

// Builds the feed (at the ledger's durable height), pipeline, sealer and api,
// with the sealer's hooks calling back into the pipeline and the feed.
ServerCore make_server_core(const ServerCoreDeps& deps);

}  // namespace bg
