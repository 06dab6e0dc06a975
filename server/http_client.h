// A small synchronous HTTP/1.1 client over one keep-alive connection
// (Boost.Beast), with a deadline on every operation. Used by the server tests
// and by `blockgate loadgen`. Not thread-safe: one client per thread.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bg {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// "http://HOST:PORT[/...]", "https://HOST:PORT[/...]" (or "HOST:PORT"): host,
// port, the path prefix ("" when none) and whether it is HTTPS.
struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string path;
  bool tls = false;
};
absl::StatusOr<HttpUrl> parse_http_url(std::string_view url);

struct HttpResponse {
  int status = 0;
  std::string body;
  HttpHeaders headers;
  bool keep_alive = true;
  // Case-insensitive lookup; "" when absent.
  std::string header(std::string_view name) const;
};

struct HttpClientOptions {
  // Deadline for each connect, each request write and each response read.
  std::chrono::milliseconds timeout{30000};
  // Largest response body accepted (the parser fails past it).
  uint64_t max_body_bytes = 1ull << 30;
  // HTTPS (TLS 1.2 or 1.3), the server's certificate checked against
  // `ca_file` (PEM; empty: the system's trust store) and the host name.
  bool tls = false;
  std::string ca_file;
};

class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port, HttpClientOptions opts = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;

  // Connects now; request() also connects lazily when not connected.
  absl::Status connect();
  bool connected() const;
  void close();

  // Sends one request and reads the whole response on the kept-alive
  // connection. When a reused connection turns out to be closed by the server
  // before any response byte arrived, reconnects and sends once more (the
  // server never saw the request). "Host" and "Content-Length" are set here.
  absl::StatusOr<HttpResponse> request(std::string_view method, std::string_view target, std::string body = {},
                                       const HttpHeaders& headers = {});
  absl::StatusOr<HttpResponse> get(std::string_view target, const HttpHeaders& headers = {}) {
    return request("GET", target, {}, headers);
  }
  absl::StatusOr<HttpResponse> post(std::string_view target, std::string body,
                                    std::string_view content_type = "application/json",
                                    const HttpHeaders& headers = {});

  // Streaming responses (GET /v1/stream): open_stream() sends the request and
  // reads the status and headers only (body empty); read_stream() then returns
  // the next decoded body bytes as they arrive, "" once the body has ended.
  // DeadlineExceeded when nothing arrives within `timeout`; the stream stays
  // open and can be read again.
  absl::StatusOr<HttpResponse> open_stream(std::string_view target, const HttpHeaders& headers = {});
  absl::StatusOr<std::string> read_stream(std::chrono::milliseconds timeout);

  // Raw bytes for protocol tests (slow or broken clients): send_raw writes them
  // as they are; read_raw returns whatever arrives next ("" on orderly close).
  absl::Status send_raw(std::string_view bytes);
  absl::StatusOr<std::string> read_raw(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bg
