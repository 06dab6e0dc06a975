// The wire formats of /v1/stream, both directions:
//  - NDJSON (default): one block per line as JSON; a blank line is a keep-alive.
//  - binary (Accept: application/octet-stream): frames of u32 little-endian
//    length + binary block (docs/FORMATS.md); a zero-length frame is a
//    keep-alive. About half the bytes of NDJSON's hex.
//  - either one gzip-compressed (Accept-Encoding: gzip), flushed after every
//    block and keep-alive so a consumer never waits for a compressor.
// StreamEncoder is the server's side, StreamDecoder the consumers' (the
// follower and `blockgate tail`).
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "host/block.h"
#include "host/bytes.h"

namespace bg {

struct StreamFormat {
  bool binary = false;
  bool gzip = false;
};

inline constexpr std::string_view kNdjsonType = "application/x-ndjson";
inline constexpr std::string_view kBinaryType = "application/octet-stream";

// From the request's Accept and Accept-Encoding headers.
StreamFormat negotiate_stream_format(std::string_view accept, std::string_view accept_encoding);

class StreamEncoder {
 public:
  explicit StreamEncoder(StreamFormat format);
  ~StreamEncoder();
  StreamEncoder(const StreamEncoder&) = delete;
  StreamEncoder& operator=(const StreamEncoder&) = delete;

  const StreamFormat& format() const { return format_; }
  std::string_view content_type() const { return format_.binary ? kBinaryType : kNdjsonType; }

  // Appends one block, given as its binary encoding (as the ledger stores it).
  absl::Status add_block(ByteSpan block_bytes, std::string* out);
  void add_keepalive(std::string* out);

 private:
  void emit(std::string_view plain, std::string* out);

  StreamFormat format_;
  struct Gzip;
  std::unique_ptr<Gzip> gzip_;
};

class StreamDecoder {
 public:
  // `max_block_bytes` bounds one frame or line (the decoder fails past it).
  StreamDecoder(StreamFormat format, uint64_t max_block_bytes, uint64_t max_payload_bytes);
  ~StreamDecoder();
  StreamDecoder(const StreamDecoder&) = delete;
  StreamDecoder& operator=(const StreamDecoder&) = delete;

  // Feeds bytes as they arrived (compressed when the format says gzip).
  absl::Status feed(std::string_view bytes);
  // The next complete block, if any; keep-alives are skipped (and counted).
  absl::StatusOr<std::optional<Block>> next();
  uint64_t keepalives() const { return keepalives_; }

 private:
  StreamFormat format_;
  uint64_t max_block_bytes_, max_payload_bytes_;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t keepalives_ = 0;
  struct Gunzip;
  std::unique_ptr<Gunzip> gunzip_;
};

}  // namespace bg
