// Wiring of feed, pipeline, sealer and api (see server_core.h).
#include "server/server_core.h"

#include <utility>
#include <vector>

namespace bg {

ServerCore make_server_core(const ServerCoreDeps& d) {
  ServerCore c;
  c.feed = std::make_unique<BlockFeed>(d.ledger.durable_tip().height);
  c.pipeline = std::make_unique<TxPipeline>(d.ledger, d.backend, d.metrics, d.opts, d.post);
  // The hooks hold raw pointers: the objects live on the heap, owned by the
  // returned ServerCore, and the sealer stops before they go.
  TxPipeline* pipeline = c.pipeline.get();
  BlockFeed* feed = c.feed.get();
  SealerHooks hooks;
  hooks.txs_done = [pipeline](std::vector<SealTx> txs, absl::Status st, uint64_t height) {
    pipeline->on_sealed(std::move(txs), std::move(st), height);
  };
  hooks.txs_duplicate = [pipeline](std::vector<SealTx> txs) { pipeline->on_duplicate(std::move(txs)); };
  hooks.committed = [feed, on_committed = d.on_committed](uint64_t height) {
    if (on_committed) on_committed(height);
    feed->publish(height);
  };
  hooks.ledger_error = [pipeline](const absl::Status& st) { pipeline->note_ledger_error(st); };
  c.sealer = std::make_unique<Sealer>(d.ledger, d.backend, d.metrics, d.opts, std::move(hooks));
  c.pipeline->set_sealer(c.sealer.get());
  ServerContext ctx{d.opts, d.ledger, d.backend, *c.pipeline, *c.sealer, *c.feed, d.metrics, d.draining};
  ctx.follower = d.follower;
  ctx.publisher = d.publisher;
  c.api = std::make_unique<Api>(ctx);
  return c;
}

}  // namespace bg
