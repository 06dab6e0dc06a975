// serve --publish: every durable block, sealed or POSTed, on a leader or a
// follower, goes to a JetStream stream as sequence height + 1, in order,
// exactly once. The publisher reads blocks back from the ledger, so commits
// never wait for it: when NATS is down or slow it falls behind and catches up
// from the stream's last sequence after each (re)connect — no height skipped,
// none repeated. A stream whose content disagrees with this ledger (a second
// writer, another chain) stops the publisher with a log line; commits go on.
#pragma once

#include <absl/status/status.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "ledger/ledger.h"
#include "server/jetstream.h"

namespace bg {

struct PublisherStats {
  uint64_t published_height = 0;  // highest height known to be in the stream (+1 = next to publish)
  bool any_published = false;     // the stream holds at least genesis
  uint64_t errors = 0;            // failed publishes and connects
  uint64_t reconnects = 0;
  bool stopped = false;  // refused for good (second writer, foreign chain, payload limit)
  std::string state;     // "connected", "connecting", or why it stopped
};

class Publisher {
 public:
  // `max_block_bytes`: the largest block this node can commit; start() refuses
  // a NATS server whose max_payload is smaller.
  Publisher(const Ledger& ledger, NatsConfig cfg, uint64_t max_block_bytes);
  ~Publisher();  // stop()

  // Connects once: refuses (FailedPrecondition, naming both numbers and the
  // fix) when the server's max_payload is below max_block_bytes. A server
  // that cannot be reached now is not an error: the thread keeps trying.
  absl::Status start();
  // Block `height` is durable (called in height order; cheap).
  void notify(uint64_t height);
  void stop();

  PublisherStats stats() const;
  // Prometheus lines (blockgate_publish_*), lag measured against `tip`.
  std::string render_metrics(uint64_t tip) const;

 private:
  void run();
  // One connected session; returns when the connection fails or on stop.
  // *progressed is set once a publish was acknowledged.
  absl::Status publish_session(JetStream& js, bool* progressed);
  absl::Status check_payload(const JetStream& js) const;
  void set_state(std::string state);
  bool wait_for(std::chrono::milliseconds d);

  const Ledger& ledger_;
  const NatsConfig cfg_;
  const uint64_t max_block_bytes_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::unique_ptr<JetStream> first_;  // the connection start() made, handed to the thread
  PublisherStats stats_;
  std::thread thread_;
};

}  // namespace bg
