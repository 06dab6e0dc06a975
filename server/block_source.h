// Where a consumer reads validated blocks from: another blockgate's
// /v1/stream (http://HOST:PORT) or the JetStream stream it publishes to
// (nats://HOST:PORT, tls://HOST:PORT). Used by the follower and by
// `blockgate tail`. A source delivers blocks in height order from the height
// it was opened at; it does not validate them (its users do).
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "host/block.h"
#include "server/jetstream.h"
#include "server/stream_codec.h"

namespace bg {

struct BlockSourceOptions {
  std::string url;               // http://…, nats://… or tls://…
  NatsConfig nats;               // for nats:// (url, stream and subject are used from here)
  StreamFormat http_format{true, false};  // what to ask an HTTP upstream for
  std::string ca_file;           // https:// upstreams (when supported by the client)
  uint64_t max_block_bytes = 64ull << 20;
  uint64_t max_payload_bytes = 65536;
  // An HTTP upstream sends a keep-alive every few seconds while idle: nothing
  // at all for this long means the connection is dead.
  std::chrono::milliseconds dead_after{20000};
};

struct SourcedBlock {
  Block block;
  uint64_t height = 0;  // block.header.height, as the source delivered it
};

class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // (Re)connects and positions at `from_height`.
  virtual absl::Status open(uint64_t from_height) = 0;
  // The next block; nullopt when none arrived within `timeout`. An error means
  // the connection is gone (open() again to resume).
  virtual absl::StatusOr<std::optional<SourcedBlock>> next(std::chrono::milliseconds timeout) = 0;
  // The upstream's tip height when known (asked at most every second).
  virtual std::optional<uint64_t> upstream_tip() = 0;
  // The hash of the upstream's block at `height` (to check the link of the
  // first block a consumer reads when it starts past genesis).
  virtual absl::StatusOr<Hash32> block_hash(uint64_t height) = 0;
  virtual std::string url() const = 0;
};

absl::StatusOr<std::unique_ptr<BlockSource>> make_block_source(const BlockSourceOptions& opts);

}  // namespace bg
