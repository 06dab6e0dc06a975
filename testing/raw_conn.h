// A bare TCP connection for protocol abuse in tests: bytes go out exactly as
// given, and a read that times out leaves the connection open (unlike
// HttpClient, which drops a connection after any failed read).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "host/fd.h"

namespace bg::testing {

class RawConn {
 public:
  RawConn(const std::string& host, uint16_t port);
  ~RawConn() { close_now(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_.valid(); }
  // False when the peer has gone (EPIPE/ECONNRESET) or the socket is closed.
  bool send(std::string_view bytes);
  enum class Read { kData, kClosed, kTimeout, kError };
  // Waits up to `timeout` for bytes; appends them to *out.
  Read read(std::chrono::milliseconds timeout, std::string* out);
  // Reads until the peer closes or `timeout` passes; true when it closed.
  bool read_until_closed(std::chrono::milliseconds timeout, std::string* out);
  void close_now();

 private:
  UniqueFd fd_;
};

}  // namespace bg::testing
