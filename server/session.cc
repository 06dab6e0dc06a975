// Listener and HttpSession (Beast advanced_server model): every session runs
// on its own strand; each step is a do_x that starts an async operation and
// an on_x that triages its error first.
#include "server/session.h"

#include <absl/strings/str_cat.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/ssl.hpp>
#include <type_traits>
#include <functional>
#include <iostream>

namespace bg {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 64 * 1024;
// The read buffer never grows past this: the headers (64 KiB) plus a little
// pipelined input. Bodies go straight into the request, chunk by chunk, so a
// line that never ends (a chunk header, a trailer) is what this bounds.
constexpr size_t kReadBufferMax = kHeaderLimit + 16 * 1024;
// A chunk-size line's extensions; past it 400 and close.
constexpr size_t kChunkHeaderLimit = 4096;
// Answers at least this big (block bodies) are counted in --max-response-bytes.
constexpr size_t kCountedResponseMin = 64 * 1024;
constexpr size_t kStreamChunkBytes = 1 << 20;  // one write to a stream consumer, at most
constexpr uint64_t kStreamChunkBlocks = 256;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kBudgetRetry = std::chrono::milliseconds(50);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

// Answer to a connection over --max-connections: written once, then closed.
constexpr std::string_view kRefused =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Retry-After: 1\r\n"
    "Connection: close\r\n"
    "Content-Length: 57\r\n"
    "\r\n"
    "{\"error\":\"unavailable\",\"detail\":\"too many connections\"}\r\n";
static_assert(std::string_view("{\"error\":\"unavailable\",\"detail\":\"too many connections\"}\r\n").size() == 57);

HttpResponseMsg unavailable(std::string_view detail) {
  HttpResponseMsg res = Api::error_response(503, "unavailable", detail);
  res.set(http::field::retry_after, "1");
  return res;
}

// Stream: beast::tcp_stream (plain HTTP) or beast::ssl_stream<tcp_stream>
// (--tls-cert); timeouts and the socket live on the lowest layer.
template <class Stream>
class HttpSession : public Reply, public std::enable_shared_from_this<HttpSession<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  using std::enable_shared_from_this<HttpSession<Stream>>::shared_from_this;

 public:
  template <class... StreamArgs>
  explicit HttpSession(SessionShared& shared, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        shared_(shared),
        buffer_(kReadBufferMax),
        keepalive_timer_(stream_.get_executor()),
        retry_timer_(stream_.get_executor()) {
    shared_.metrics.connections_open.fetch_add(1);
    chunk_cb_ = [this](uint64_t size, beast::string_view ext, beast::error_code& ec) {
      if (ext.size() > kChunkHeaderLimit) {
        read_error_ = ReadError::kChunkHeader;
        ec = http::error::bad_chunk_extension;
        return;
      }
      if (size > shared_.opts.max_body_bytes) return;  // the parser answers body_limit
      if (!body_hold_.grow(shared_.body_bytes, size)) {
        read_error_ = ReadError::kBodyBudget;
        ec = http::error::body_limit;
      }
    };
  }
  ~HttpSession() override {
    if (streaming_) shared_.metrics.streams_open.fetch_sub(1);
    else shared_.metrics.connections_open.fetch_sub(1);
    shared_.feed.cancel(ticket_);
  }

  void run() {
    beast::error_code ignored;
    lowest().socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (kTls) {
      // The handshake is held to the header timeout; a client that speaks
      // plain HTTP here fails it at once and is closed.
      net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
        self->lowest().expires_after(self->shared_.opts.header_timeout);
        self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->close();
          self->do_read();
        });
      });
    } else {
      net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
    }
  }

  void send(HttpResponseMsg res) override {
    net::post(stream_.get_executor(), [self = shared_from_this(), res = std::move(res)]() mutable {
      self->do_write(std::move(res));
    });
  }

  void stream_blocks(uint64_t from, StreamFormat format) override {
    net::post(stream_.get_executor(),
              [self = shared_from_this(), from, format] { self->do_stream_start(from, format); });
  }

 private:
  enum class ReadError { kNone, kChunkHeader, kBodyBudget };

  // --- request/response cycle -------------------------------------------
  void do_read() {
    parser_.emplace();
    parser_->body_limit(shared_.opts.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    parser_->on_chunk_header(chunk_cb_);
    read_error_ = ReadError::kNone;
    body_hold_.reset();
    if (buffer_.size() > 0) return do_read_header();  // a pipelined request is already here
    // Idle keep-alive wait for the first byte, with its own (longer) timeout.
    lowest().expires_after(shared_.opts.idle_timeout);
    stream_.async_read_some(buffer_.prepare(8192),
                            beast::bind_front_handler(&HttpSession::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    if (ec) return close();  // peer closed, idle timeout, or reset
    buffer_.commit(n);
    do_read_header();
  }

  void do_read_header() {
    // Slowloris clients are cut here: the whole header within header_timeout.
    lowest().expires_after(shared_.opts.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
  }

  // Errors common to the header and the body read; true when answered.
  bool read_failed(beast::error_code ec) {
    if (read_error_ == ReadError::kChunkHeader) {
      fail_request(400, "malformed", "chunk header over 4 KiB");
      return true;
    }
    if (read_error_ == ReadError::kBodyBudget) {
      shared_.metrics.shed_requests.fetch_add(1);
      fail_request(unavailable("request bodies being read over --max-body-buffer-bytes"));
      return true;
    }
    if (!ec) return false;
    if (ec == http::error::body_limit) fail_request(413, "body_too_large", "body over --max-body-bytes");
    else if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof) close();
    else if (ec == http::error::header_limit) fail_request(431, "headers_too_large", "headers over 64 KiB");
    else if (ec == http::error::buffer_overflow)
      fail_request(400, "malformed", "a request line, header, chunk header or trailer over the read buffer (80 KiB)");
    else fail_request(400, "malformed", absl::StrCat("bad HTTP request: ", ec.message()));
    return true;
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (read_failed(ec)) return;
    // A declared body is held in full by the parser: count it now.
    if (auto len = parser_->content_length(); len && *len > 0 && !body_hold_.grow(shared_.body_bytes, *len)) {
      read_error_ = ReadError::kBodyBudget;
      read_failed(ec);
      return;
    }
    // curl and others send large bodies only after "100 Continue" (or after
    // a one-second pause). Everything the header decides (route, method,
    // token, content type; the size was checked above) is decided before the
    // body is asked for.
    auto expect = parser_->get().find(http::field::expect);
    if (expect != parser_->get().end() && beast::iequals(expect->value(), "100-continue") &&
        !parser_->is_done()) {
      if (std::optional<HttpResponseMsg> no = shared_.api.check_before_body(parser_->get())) {
        shared_.metrics.count_request(Api::route_of(std::string_view(parser_->get().target())), no->result_int());
        return fail_request(std::move(*no), /*counted=*/true);
      }
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      lowest().expires_after(shared_.opts.write_timeout);
      return net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->close();
                                self->do_read_body();
                              });
    }
    do_read_body();
  }

  void do_read_body() {
    lowest().expires_after(shared_.opts.body_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (read_failed(ec)) return;
    lowest().expires_never();
    HttpRequest req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    is_get_ = req.method() == http::verb::get;
    shared_.requests_in_flight.fetch_add(1);
    shared_.api.handle(std::move(req), shared_from_this());
    body_hold_.reset();  // the Api decoded the body and dropped it
  }

  // A request that never reaches the Api: answered, then the connection is
  // closed (its remaining bytes cannot be framed or are not wanted).
  void fail_request(int status, std::string_view code, std::string_view detail) {
    fail_request(Api::error_response(status, code, detail));
  }
  void fail_request(HttpResponseMsg res, bool counted = false) {
    if (!counted) shared_.metrics.count_request(Api::route_of(std::string_view(parser_->get().target())), res.result_int());
    body_hold_.reset();
    keep_alive_ = false;
    version_ = 11;
    is_get_ = false;
    shared_.requests_in_flight.fetch_add(1);
    do_write(std::move(res));
  }

  void do_write(HttpResponseMsg res) {
    res.version(version_);
    // Large answers to reads (block bodies) share --max-response-bytes; an
    // answer to a POST is always written (it says what was committed).
    if (is_get_ && res.body().size() >= kCountedResponseMin &&
        !response_hold_.grow(shared_.response_bytes, res.body().size())) {
      shared_.metrics.shed_requests.fetch_add(1);
      res = unavailable("answers being written over --max-response-bytes");
      res.version(version_);
    }
    res.keep_alive(keep_alive_ && res.keep_alive() && !shared_.draining.load());
    res.prepare_payload();
    res_ = std::make_shared<HttpResponseMsg>(std::move(res));
    lowest().expires_after(shared_.opts.write_timeout);
    http::async_write(stream_, *res_, beast::bind_front_handler(&HttpSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    shared_.requests_in_flight.fetch_sub(1);
    const bool keep = res_->keep_alive();
    res_.reset();
    response_hold_.reset();
    if (ec) return close();
    if (!keep) return linger_close();
    do_read();
  }

  // Closing with unread request bytes makes the kernel send RST, which can
  // destroy the answer in flight (a 413 above all). So: stop sending, read and
  // drop what still comes for a short while, then close.
  void linger_close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(kLingerTime);
    do_linger();
  }

  void do_linger() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(64 * 1024), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->do_linger();
    });
  }

  void close() {
    beast::error_code ignored;
    keepalive_timer_.cancel();
    retry_timer_.cancel();
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    shared_.feed.cancel(ticket_);
    ticket_ = {};
    std::string().swap(chunk_);
    response_hold_.reset();
  }

  // --- /v1/stream ----------------------------------------------------------
  // History and live blocks alike are read from the ledger: the feed only says
  // when more are durable, so a consumer costs one chunk buffer (≤ 1 MiB, or
  // one block when a block is bigger; all of them together within
  // --max-response-bytes) and never holds blocks in memory. A consumer that
  // does not take a chunk within --write-timeout is disconnected; it resumes
  // with ?from=. A waiting consumer gets a blank line every
  // --stream-keepalive-ms, so a dead peer is noticed by a failed write.
  // Streams are counted apart from connections (--max-streams).
  void do_stream_start(uint64_t from, StreamFormat format) {
    if (shared_.metrics.streams_open.fetch_add(1) >= shared_.opts.max_streams) {
      shared_.metrics.streams_open.fetch_sub(1);
      shared_.metrics.shed_requests.fetch_add(1);
      keep_alive_ = false;
      return do_write(unavailable("streams over --max-streams"));
    }
    streaming_ = true;
    shared_.metrics.connections_open.fetch_sub(1);  // the slot goes back to request connections
    http10_ = version_ == 10;
    next_ = from;
    encoder_.emplace(format);
    stream_header_.emplace(http::status::ok, http10_ ? 10 : 11);
    stream_header_->set(http::field::server, "blockgate");
    stream_header_->set(http::field::content_type, encoder_->content_type());
    if (format.gzip) stream_header_->set(http::field::content_encoding, "gzip");
    stream_header_->set(http::field::vary, "Accept, Accept-Encoding");
    stream_header_->set(http::field::cache_control, "no-cache");
    stream_header_->set(http::field::connection, "close");
    // HTTP/1.0 has no chunked encoding: the body ends when the connection does.
    if (!http10_) stream_header_->chunked(true);
    serializer_.emplace(*stream_header_);
    lowest().expires_after(shared_.opts.write_timeout);
    http::async_write_header(stream_, *serializer_,
                             beast::bind_front_handler(&HttpSession::on_stream_header, shared_from_this()));
  }

  void on_stream_header(beast::error_code ec, std::size_t) {
    shared_.requests_in_flight.fetch_sub(1);  // the request is answered; the feed is not "in flight"
    if (ec) return close();
    // The consumer sends nothing more: a completed read means it went away.
    // (Plain TCP: on the bare socket, which no stream timeout touches; TLS
    // must read through the TLS layer, whose timer every write re-arms.)
    auto gone = [self = shared_from_this()](beast::error_code, std::size_t) {
      self->peer_gone_ = true;
      self->close();
    };
    if constexpr (kTls) stream_.async_read_some(net::buffer(peek_), std::move(gone));
    else lowest().socket().async_read_some(net::buffer(peek_), std::move(gone));
    stream_next();
  }

  void stream_next() {
    if (peer_gone_ || writing_) return;
    if (shared_.feed.closed()) return finish_stream();
    const uint64_t tip = shared_.ledger.durable_tip().height;
    if (next_ > tip) {
      if (!wake_pending_) {
        wake_pending_ = true;
        std::weak_ptr<HttpSession> weak = shared_from_this();
        ticket_ = shared_.feed.wait(next_, [weak] {
          if (auto self = weak.lock())
            net::post(self->stream_.get_executor(), [self] { self->on_wake(); });
        });
      }
      return arm_keepalive();
    }
    keepalive_timer_.cancel();
    chunk_.clear();
    uint64_t h = next_;
    while (h <= tip && h - next_ < kStreamChunkBlocks && chunk_.size() < kStreamChunkBytes) {
      auto bytes = shared_.ledger.read_block_bytes(h);
      if (!bytes.ok()) return close();
      if (!encoder_->add_block(*bytes, &chunk_).ok()) return close();
      ++h;
    }
    if (!response_hold_.grow(shared_.response_bytes, chunk_.size())) {
      // Every consumer together is over --max-response-bytes: give the
      // memory back and try again shortly.
      std::string().swap(chunk_);
      retry_timer_.expires_after(kBudgetRetry);
      retry_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->stream_next();
      });
      return;
    }
    chunk_next_ = h;
    write_stream_bytes(net::buffer(chunk_), [](HttpSession& self) {
      self.next_ = self.chunk_next_;
      self.response_hold_.reset();
      if (self.chunk_.capacity() > kStreamChunkBytes) std::string().swap(self.chunk_);
    });
  }

  // Writes `bytes` as one chunk (HTTP/1.1) or as they are (HTTP/1.0), then
  // runs `done` and goes on with the stream; a failed or late write closes.
  template <class After>
  void write_stream_bytes(net::const_buffer bytes, After done) {
    writing_ = true;
    lowest().expires_after(shared_.opts.write_timeout);
    auto on_done = [self = shared_from_this(), done](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) return self->close();
      done(*self);
      self->stream_next();
    };
    if (http10_) net::async_write(stream_, bytes, std::move(on_done));
    else net::async_write(stream_, http::make_chunk(bytes), std::move(on_done));
  }

  void on_wake() {
    wake_pending_ = false;
    ticket_ = {};
    stream_next();
  }

  void arm_keepalive() {
    if (keepalive_armed_) return;
    keepalive_armed_ = true;
    keepalive_timer_.expires_after(shared_.opts.stream_keepalive);
    keepalive_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->keepalive_armed_ = false;
      if (ec || self->peer_gone_ || self->writing_ || !self->wake_pending_) return;
      // A blank line (NDJSON) or a zero-length frame (binary), through the
      // compressor when the feed is gzip.
      self->chunk_.clear();
      self->encoder_->add_keepalive(&self->chunk_);
      self->write_stream_bytes(net::buffer(self->chunk_), [](HttpSession&) {});
    });
  }

  void finish_stream() {
    if (http10_) return linger_close();
    writing_ = true;
    lowest().expires_after(shared_.opts.write_timeout);
    net::async_write(stream_, http::make_chunk_last(), [self = shared_from_this()](beast::error_code, std::size_t) {
      self->close();
    });
  }

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  Stream stream_;
  SessionShared& shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::function<void(uint64_t, beast::string_view, beast::error_code&)> chunk_cb_;
  ReadError read_error_ = ReadError::kNone;
  BudgetHold body_hold_;
  BudgetHold response_hold_;
  std::shared_ptr<HttpResponseMsg> res_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool is_get_ = false;

  std::optional<StreamEncoder> encoder_;
  bool streaming_ = false;
  bool http10_ = false;
  bool writing_ = false;
  bool peer_gone_ = false;
  bool wake_pending_ = false;
  bool keepalive_armed_ = false;
  BlockFeed::Ticket ticket_;
  net::steady_timer keepalive_timer_;
  net::steady_timer retry_timer_;
  uint64_t next_ = 0;
  uint64_t chunk_next_ = 0;
  std::string chunk_;
  char peek_[256];
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
};

}  // namespace

Listener::Listener(net::io_context& ioc, SessionShared& shared)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), backoff_(acceptor_.get_executor()), shared_(shared) {}

absl::Status Listener::listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  tcp::resolver resolver(ioc_);
  auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve listen host '", host, "': ", ec.message()));
  const tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot listen on ", host, ":", port, ": ", ec.message()));
  return absl::OkStatus();
}

uint16_t Listener::local_port() const {
  beast::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->backoff_.cancel();
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open()) return;  // stopped
  if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space || ec == net::error::no_memory ||
      ec == boost::system::errc::too_many_files_open_in_system) {
    // The connection stays queued and the acceptor readable: accepting again
    // at once would spin. Connected clients are served meanwhile.
    shared_.metrics.accept_backoffs.fetch_add(1);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_warning_ > std::chrono::seconds(10)) {
      last_warning_ = now;
      std::cerr << "blockgate: accept failed (" << ec.message() << "); pausing accepts for "
                << kAcceptBackoff.count() << " ms at a time\n";
    }
    backoff_.expires_after(kAcceptBackoff);
    backoff_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec && self->acceptor_.is_open()) self->do_accept();
    });
    return;
  }
  if (!ec) {
    shared_.metrics.connections_accepted.fetch_add(1);
    if (shared_.metrics.connections_open.load() >= shared_.opts.max_connections) {
      shared_.metrics.connections_refused.fetch_add(1);
      if (shared_.tls != nullptr) {  // no canned plaintext answer on a TLS port
        beast::error_code ignored;
        socket.close(ignored);
        return do_accept();
      }
      auto sock = std::make_shared<tcp::socket>(std::move(socket));
      net::async_write(*sock, net::buffer(kRefused.data(), kRefused.size()), [sock](beast::error_code, std::size_t) {
        beast::error_code ignored;
        sock->shutdown(tcp::socket::shutdown_send, ignored);
        sock->close(ignored);
      });
    } else {
      if (shared_.tls != nullptr)
        std::make_shared<HttpSession<beast::ssl_stream<beast::tcp_stream>>>(shared_, std::move(socket), *shared_.tls)
            ->run();
      else
        std::make_shared<HttpSession<beast::tcp_stream>>(shared_, std::move(socket))->run();
    }
  }
  // Other errors (a connection reset while queued) are per-connection.
  do_accept();
}

}  // namespace bg
