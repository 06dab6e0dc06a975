// HttpClient: each blocking call issues one Beast async operation on a private
// io_context and runs it to completion; tcp_stream's expiry closes the socket
// when the deadline passes, which is how synchronous calls get timeouts.
#include "server/http_client.h"

#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <openssl/ssl.h>

#include <optional>

#include "host/status_macros.h"

namespace bg {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

absl::StatusOr<HttpUrl> parse_http_url(std::string_view url) {
  std::string_view rest = url;
  HttpUrl out;
  if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else if (rest.rfind("https://", 0) == 0) {
    rest.remove_prefix(8);
    out.tls = true;
    out.port = 443;
  } else if (rest.find("://") != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("only http:// and https:// URLs are supported: ", std::string(url)));
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    out.path = std::string(rest.substr(slash));
    if (out.path == "/") out.path.clear();
    rest = rest.substr(0, slash);
  }
  std::string_view host = rest, port;
  if (!rest.empty() && rest[0] == '[') {  // [v6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("bad IPv6 host in URL");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return absl::InvalidArgumentError(absl::StrCat("no host in URL: ", std::string(url)));
  out.host = std::string(host);
  if (!port.empty()) {
    uint32_t p;
    if (!absl::SimpleAtoi(std::string(port), &p) || p > 65535)
      return absl::InvalidArgumentError(absl::StrCat("bad port in URL: ", std::string(url)));
    out.port = uint16_t(p);
  }
  return out;
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (absl::EqualsIgnoreCase(k, std::string(name))) return v;
  return "";
}

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  HttpClientOptions opts;
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  std::unique_ptr<net::ssl::context> ssl_ctx;                // opts.tls
  std::optional<net::ssl::stream<beast::tcp_stream&>> tls;  // while connected over TLS
  beast::flat_buffer buffer;
  bool connected = false;
  std::optional<http::response_parser<http::buffer_body>> stream_parser;

  // Runs the async operation started by `start(handler)` until it completes or
  // the deadline closes the socket.
  template <class Start>
  beast::error_code run(std::chrono::milliseconds timeout, Start&& start, size_t* bytes = nullptr) {
    beast::error_code result = net::error::would_block;
    stream.expires_after(timeout);
    start([&](beast::error_code ec, std::size_t n) {
      result = ec;
      if (bytes) *bytes = n;
    });
    ioc.restart();
    ioc.run();
    stream.expires_never();
    return result;
  }

  // Like run(), but a deadline only cancels the operation and leaves the
  // connection open (a quiet stream is not a dead one). *timed_out says so.
  template <class Start>
  beast::error_code run_cancellable(std::chrono::milliseconds timeout, Start&& start, bool* timed_out) {
    beast::error_code result = net::error::would_block;
    bool done = false;
    stream.expires_never();
    start([&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    ioc.restart();
    ioc.run_for(timeout);
    *timed_out = !done;
    if (!done) {
      stream.socket().cancel();
      ioc.restart();
      ioc.run();
    }
    return result;
  }

  // Runs `f` with the stream requests go through: TLS or the bare socket.
  template <class F>
  void io(F&& f) {
    if (tls) f(*tls);
    else f(stream);
  }

  absl::Status fail(std::string_view what, beast::error_code ec) {
    disconnect();
    if (ec == beast::error::timeout)
      return absl::DeadlineExceededError(absl::StrCat(std::string(what), ": timed out"));
    return absl::UnavailableError(absl::StrCat(std::string(what), ": ", ec.message()));
  }

  void disconnect() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    tls.reset();
    buffer.clear();
    stream_parser.reset();
    connected = false;
  }

  absl::Status connect() {
    if (connected) return absl::OkStatus();
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return absl::UnavailableError(absl::StrCat("resolve ", host, ": ", ec.message()));
    beast::error_code result = net::error::would_block;
    stream.expires_after(opts.timeout);
    stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { result = e; });
    ioc.restart();
    ioc.run();
    stream.expires_never();
    if (result) return fail(absl::StrCat("connect ", host, ":", port), result);
    stream.socket().set_option(tcp::no_delay(true), ec);
    if (opts.tls) {
      tls.emplace(stream, *ssl_ctx);
      SSL_set_tlsext_host_name(tls->native_handle(), host.c_str());
      tls->set_verify_mode(net::ssl::verify_peer);
      tls->set_verify_callback(net::ssl::host_name_verification(host));
      result = net::error::would_block;
      stream.expires_after(opts.timeout);
      tls->async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) { result = e; });
      ioc.restart();
      ioc.run();
      stream.expires_never();
      if (result) return fail(absl::StrCat("TLS handshake with ", host, ":", port), result);
    }
    buffer.clear();
    connected = true;
    return absl::OkStatus();
  }

  http::request<http::string_body> make_request(std::string_view method, std::string_view target, std::string body,
                                                const HttpHeaders& headers) {
    http::request<http::string_body> req;
    req.method_string(beast::string_view(method.data(), method.size()));
    req.target(beast::string_view(target.data(), target.size()));
    req.version(11);
    req.set(http::field::host, absl::StrCat(host, ":", port));
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    if (!req.body().empty() || method == "POST" || method == "PUT") req.prepare_payload();
    return req;
  }

  static void fill_headers(const http::fields& f, HttpResponse* out) {
    for (const auto& field : f) out->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
};

HttpClient::HttpClient(std::string host, uint16_t port, HttpClientOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->opts = opts;
  if (opts.tls) {
    impl_->ssl_ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(impl_->ssl_ctx->native_handle(), TLS1_2_VERSION);
    beast::error_code ec;
    if (opts.ca_file.empty()) impl_->ssl_ctx->set_default_verify_paths(ec);
    else impl_->ssl_ctx->load_verify_file(opts.ca_file, ec);
    // A bad CA file makes every handshake fail verification, which says so.
  }
}

HttpClient::~HttpClient() {
  if (impl_) impl_->disconnect();
}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

absl::Status HttpClient::connect() { return impl_->connect(); }
bool HttpClient::connected() const { return impl_->connected; }
void HttpClient::close() { impl_->disconnect(); }

absl::StatusOr<HttpResponse> HttpClient::request(std::string_view method, std::string_view target, std::string body,
                                                 const HttpHeaders& headers) {
  Impl& c = *impl_;
  c.stream_parser.reset();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = c.connected;
    BG_RETURN_IF_ERROR(c.connect());
    // The body is kept for a possible second attempt.
    auto req = c.make_request(method, target, attempt == 0 && reused ? body : std::move(body), headers);
    beast::error_code ec = c.run(c.opts.timeout, [&](auto&& h) { c.io([&](auto& s) { http::async_write(s, req, h); }); });
    if (ec) {
      if (reused && attempt == 0 && ec != beast::error::timeout) {
        c.disconnect();
        continue;
      }
      return c.fail("write request", ec);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(c.opts.max_body_bytes);
    ec = c.run(c.opts.timeout, [&](auto&& h) { c.io([&](auto& s) { http::async_read(s, c.buffer, parser, h); }); });
    if (ec) {
      const bool nothing_read = !parser.got_some();
      if (reused && attempt == 0 && nothing_read &&
          (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset)) {
        c.disconnect();
        continue;
      }
      return c.fail("read response", ec);
    }
    auto res = parser.release();
    HttpResponse out;
    out.status = res.result_int();
    out.keep_alive = res.keep_alive();
    Impl::fill_headers(res, &out);
    out.body = std::move(res.body());
    if (!out.keep_alive) c.disconnect();
    return out;
  }
  return absl::UnavailableError("connection closed by the server twice");
}

absl::StatusOr<HttpResponse> HttpClient::post(std::string_view target, std::string body, std::string_view content_type,
                                              const HttpHeaders& headers) {
  HttpHeaders h = headers;
  if (!content_type.empty()) h.emplace_back("Content-Type", std::string(content_type));
  return request("POST", target, std::move(body), h);
}

absl::StatusOr<HttpResponse> HttpClient::open_stream(std::string_view target, const HttpHeaders& headers) {
  Impl& c = *impl_;
  BG_RETURN_IF_ERROR(c.connect());
  auto req = c.make_request("GET", target, {}, headers);
  beast::error_code ec = c.run(c.opts.timeout, [&](auto&& h) { c.io([&](auto& s) { http::async_write(s, req, h); }); });
  if (ec) return c.fail("write request", ec);
  c.stream_parser.emplace();
  c.stream_parser->body_limit(boost::none);
  ec = c.run(c.opts.timeout, [&](auto&& h) {
    c.io([&](auto& s) { http::async_read_header(s, c.buffer, *c.stream_parser, h); });
  });
  if (ec) return c.fail("read response header", ec);
  HttpResponse out;
  const auto& res = c.stream_parser->get();
  out.status = res.result_int();
  out.keep_alive = res.keep_alive();
  Impl::fill_headers(res, &out);
  return out;
}

absl::StatusOr<std::string> HttpClient::read_stream(std::chrono::milliseconds timeout) {
  Impl& c = *impl_;
  if (!c.stream_parser) return absl::FailedPreconditionError("no open stream");
  char chunk[64 * 1024];
  // A read may consume only framing (a chunk header) and yield no body bytes.
  while (!c.stream_parser->is_done()) {
    auto& body = c.stream_parser->get().body();
    body.data = chunk;
    body.size = sizeof(chunk);
    bool timed_out = false;
    beast::error_code ec = c.run_cancellable(
        timeout, [&](auto&& h) {
          c.io([&](auto& s) { http::async_read_some(s, c.buffer, *c.stream_parser, h); });
        }, &timed_out);
    if (timed_out) return absl::DeadlineExceededError("read stream: nothing arrived in time");
    if (ec && ec != http::error::need_buffer) return c.fail("read stream", ec);
    const size_t got = sizeof(chunk) - c.stream_parser->get().body().size;
    if (got > 0) return std::string(chunk, got);
  }
  return std::string();
}

absl::Status HttpClient::send_raw(std::string_view bytes) {
  Impl& c = *impl_;
  BG_RETURN_IF_ERROR(c.connect());
  beast::error_code ec = c.run(c.opts.timeout, [&](auto&& h) {
    c.io([&](auto& s) { net::async_write(s, net::buffer(bytes.data(), bytes.size()), h); });
  });
  if (ec) return c.fail("write", ec);
  return absl::OkStatus();
}

absl::StatusOr<std::string> HttpClient::read_raw(std::chrono::milliseconds timeout) {
  Impl& c = *impl_;
  if (!c.connected) return absl::FailedPreconditionError("not connected");
  if (c.buffer.size() > 0) {
    std::string out = beast::buffers_to_string(c.buffer.data());
    c.buffer.consume(c.buffer.size());
    return out;
  }
  char tmp[16 * 1024];
  size_t n = 0;
  beast::error_code ec =
      c.run(timeout, [&](auto&& h) { c.io([&](auto& s) { s.async_read_some(net::buffer(tmp, sizeof(tmp)), h); }); }, &n);
  if (ec == net::error::eof) {
    c.disconnect();
    return std::string();
  }
  if (ec) return c.fail("read", ec);
  return std::string(tmp, n);
}

}  // namespace bg
