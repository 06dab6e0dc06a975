// The NATS JetStream side of the block feed (libnats, the C client): one
// connection with its JetStream context, the stream that holds blocks, and
// the two things done with it — publish block h as stream sequence h + 1
// (exactly once, in order, enforced by the server through expected-last-
// sequence) and read blocks back from a sequence with an ordered consumer.
// Used by the publisher (serve --publish), the follower (serve --follow
// nats://) and `blockgate tail`.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/bytes.h"

namespace bg {

struct NatsConfig {
  std::string url;         // nats://HOST:PORT, or tls://HOST:PORT for TLS
  std::string creds_file;  // a NATS .creds file (JWT + NKey seed); optional
  std::string token;       // a token (read from --nats-token-file); optional
  std::string ca_file;     // CA certificates for tls:// (system store when empty)
  std::string stream = "BLOCKGATE";
  std::string subject = "blockgate.blocks";
  std::chrono::milliseconds timeout{5000};  // connect and each request
};

// Message headers set on every published block.
inline constexpr const char* kNatsHeightHeader = "Blockgate-Height";
inline constexpr const char* kNatsHashHeader = "Blockgate-Hash";

// One block as read back from the stream.
struct StreamBlock {
  uint64_t sequence = 0;  // stream sequence = height + 1
  Bytes bytes;            // the binary block (docs/FORMATS.md)
  std::string hash_hex;   // the Blockgate-Hash header ("" when absent)
};

class JetStream {
 public:
  // Connects (no automatic reconnect: callers own their retry loop, so that
  // they re-read the stream's state after every reconnect).
  static absl::StatusOr<std::unique_ptr<JetStream>> connect(const NatsConfig& cfg);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  // The server's max_payload, announced at connect.
  int64_t max_payload() const;
  bool connected() const;

  // Creates the stream (file storage, the one subject) when it is missing.
  // Returns the stream's last sequence (0 when empty).
  absl::StatusOr<uint64_t> ensure_stream();
  // The last sequence of an existing stream; NotFound when there is none.
  absl::StatusOr<uint64_t> last_sequence();

  enum class PublishResult {
    kPublished,    // stored as sequence height + 1
    kWrongLastSeq  // the stream's last sequence is not `height`: someone else wrote, or our ack was lost
  };
  // Publishes block `height` with expected-last-sequence = height and message
  // id = hash_hex (JetStream's duplicate window drops a resend), without
  // waiting for the acknowledgement, so that many blocks travel at once. The
  // stream can take block h only right after h - 1 (a block after one that
  // failed fails too, with kWrongLastSeq): order and exactly-once hold
  // however many are in flight. Each publish yields one AsyncResult, in the
  // order the server answers. Publishes carry no deadline of their own:
  // a caller that gets no answer for too long drops the connection.
  struct AsyncResult {
    uint64_t height = 0;
    PublishResult result = PublishResult::kPublished;
    absl::Status status;  // not OK: the server refused it for another reason, or the connection failed
    uint64_t bytes = 0;
  };
  absl::Status publish_block_async(uint64_t height, const std::string& hash_hex, ByteSpan block);
  // Publishes not yet answered, and their payload bytes.
  size_t async_in_flight() const;
  uint64_t async_in_flight_bytes() const;
  // The results that arrived; waits up to `timeout` for `at_least` of them
  // (fewer when nothing else is in flight).
  std::vector<AsyncResult> take_async_results(std::chrono::milliseconds timeout, size_t at_least = 1);

  // The message at `sequence`; NotFound when the stream has none there.
  absl::StatusOr<StreamBlock> get(uint64_t sequence);

  // Starts an ordered consumer at `start_sequence` (replaces any earlier one).
  absl::Status subscribe_from(uint64_t start_sequence);
  // The next message of the consumer; nullopt when none arrived in `timeout`.
  absl::StatusOr<std::optional<StreamBlock>> next(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit JetStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "nats://" or "tls://" prefix.
bool is_nats_url(const std::string& url);

}  // namespace bg
