// Listener and HttpSession (Beast advanced_server model): every session runs
// on its own strand; each step is a do_x that starts an async operation and
// an on_x that triages its error first.
#include "server/session.h"

#include <absl/strings/str_cat.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace bg {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 64 * 1024;
constexpr size_t kStreamChunkBytes = 1 << 20;  // one write to a stream consumer, at most
constexpr uint64_t kStreamChunkBlocks = 256;
constexpr auto kLingerTime = std::chrono::seconds(2);
// While a stream waits for blocks it sends a keep-alive (a blank line, or a
// zero-length binary frame) this often, so both sides notice a dead peer.
constexpr auto kStreamKeepAlive = std::chrono::seconds(5);

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

class HttpSession : public Reply, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, SessionShared& shared)
      : stream_(std::move(socket)), shared_(shared), keepalive_timer_(stream_.get_executor()) {
    shared_.metrics.connections_open.fetch_add(1);
  }
  ~HttpSession() override {
    shared_.metrics.connections_open.fetch_sub(1);
    if (streaming_) shared_.metrics.streams_open.fetch_sub(1);
  }

  void run() {
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::do_read, shared_from_this()));
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
  // --- request/response cycle -------------------------------------------
  void do_read() {
    parser_.emplace();
    parser_->body_limit(shared_.opts.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    if (buffer_.size() > 0) return do_read_header();  // a pipelined request is already here
    // Idle keep-alive wait for the first byte, with its own (longer) timeout.
    stream_.expires_after(shared_.opts.idle_timeout);
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
    stream_.expires_after(shared_.opts.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) return fail_request(413, "body_too_large", "body over --max-body-bytes");
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof) return close();
    if (ec == http::error::header_limit) return fail_request(431, "headers_too_large", "headers over 64 KiB");
    if (ec) return fail_request(400, "malformed", absl::StrCat("bad HTTP request: ", ec.message()));
    // curl and others send large bodies only after "100 Continue" (or after
    // a one-second pause); the size was already accepted above.
    auto expect = parser_->get().find(http::field::expect);
    if (expect != parser_->get().end() && beast::iequals(expect->value(), "100-continue") &&
        !parser_->is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(shared_.opts.write_timeout);
      return net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->close();
                                self->do_read_body();
                              });
    }
    do_read_body();
  }

  void do_read_body() {
    stream_.expires_after(shared_.opts.body_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&HttpSession::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) return fail_request(413, "body_too_large", "body over --max-body-bytes");
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == net::error::eof) return close();
    if (ec) return fail_request(400, "malformed", absl::StrCat("bad HTTP request: ", ec.message()));
    stream_.expires_never();
    HttpRequest req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    shared_.requests_in_flight.fetch_add(1);
    shared_.api.handle(std::move(req), shared_from_this());
  }

  // A request that never reaches the Api: answered, then the connection is
  // closed (its remaining bytes cannot be framed or are not wanted).
  void fail_request(int status, std::string_view code, std::string_view detail) {
    shared_.metrics.count_request(Api::route_of(std::string_view(parser_->get().target())), status);
    keep_alive_ = false;
    version_ = 11;
    shared_.requests_in_flight.fetch_add(1);
    do_write(Api::error_response(status, code, detail));
  }

  void do_write(HttpResponseMsg res) {
    res.version(version_);
    res.keep_alive(keep_alive_ && res.keep_alive() && !shared_.draining.load());
    res.prepare_payload();
    res_ = std::make_shared<HttpResponseMsg>(std::move(res));
    stream_.expires_after(shared_.opts.write_timeout);
    http::async_write(stream_, *res_, beast::bind_front_handler(&HttpSession::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    shared_.requests_in_flight.fetch_sub(1);
    const bool keep = res_->keep_alive();
    res_.reset();
    if (ec) return close();
    if (!keep) return linger_close();
    do_read();
  }

  // Closing with unread request bytes makes the kernel send RST, which can
  // destroy the answer in flight (a 413 above all). So: stop sending, read and
  // drop what still comes for a short while, then close.
  void linger_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
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
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  // --- /v1/stream ----------------------------------------------------------
  // History and live blocks alike are read from the ledger: the feed only says
  // when more are durable, so a consumer costs one chunk buffer (≤ 1 MiB) and
  // never holds blocks in memory. A consumer that does not take a chunk within
  // --write-timeout is disconnected; it resumes with ?from=.
  void do_stream_start(uint64_t from, StreamFormat format) {
    streaming_ = true;
    shared_.metrics.streams_open.fetch_add(1);
    next_ = from;
    encoder_.emplace(format);
    stream_header_.emplace(http::status::ok, 11);
    stream_header_->set(http::field::server, "blockgate");
    stream_header_->set(http::field::content_type, encoder_->content_type());
    if (format.gzip) stream_header_->set(http::field::content_encoding, "gzip");
    stream_header_->set(http::field::vary, "Accept, Accept-Encoding");
    stream_header_->set(http::field::cache_control, "no-cache");
    stream_header_->keep_alive(false);
    stream_header_->chunked(true);
    serializer_.emplace(*stream_header_);
    stream_.expires_after(shared_.opts.write_timeout);
    http::async_write_header(stream_, *serializer_,
                             beast::bind_front_handler(&HttpSession::on_stream_header, shared_from_this()));
  }

  void on_stream_header(beast::error_code ec, std::size_t) {
    shared_.requests_in_flight.fetch_sub(1);  // the request is answered; the feed is not "in flight"
    if (ec) return close();
    // The consumer sends nothing more: a completed read means it went away.
    stream_.socket().async_read_some(net::buffer(peek_), [self = shared_from_this()](beast::error_code, std::size_t) {
      self->peer_gone_ = true;
      self->close();
    });
    stream_next();
  }

  void stream_next() {
    if (peer_gone_ || writing_) return;
    if (shared_.feed.closed()) return finish_stream();
    const uint64_t tip = shared_.ledger.durable_tip().height;
    if (next_ > tip) {
      if (!feed_waiting_) {
        feed_waiting_ = true;
        std::weak_ptr<HttpSession> weak = shared_from_this();
        shared_.feed.wait(next_, [weak] {
          if (auto self = weak.lock())
            net::post(self->stream_.get_executor(), [self] {
              self->feed_waiting_ = false;
              self->stream_next();
            });
        });
      }
      keepalive_timer_.expires_after(kStreamKeepAlive);
      keepalive_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->stream_keepalive();
      });
      return;
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
    chunk_next_ = h;
    writing_ = true;
    stream_.expires_after(shared_.opts.write_timeout);
    net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       if (ec) return self->close();
                       self->next_ = self->chunk_next_;
                       self->stream_next();
                     });
  }

  void stream_keepalive() {
    if (peer_gone_ || writing_) return;
    chunk_.clear();
    encoder_->add_keepalive(&chunk_);
    writing_ = true;
    stream_.expires_after(shared_.opts.write_timeout);
    net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       if (ec) return self->close();
                       self->stream_next();
                     });
  }

  void finish_stream() {
    writing_ = true;
    stream_.expires_after(shared_.opts.write_timeout);
    net::async_write(stream_, http::make_chunk_last(), [self = shared_from_this()](beast::error_code, std::size_t) {
      self->close();
    });
  }

  beast::tcp_stream stream_;
  SessionShared& shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponseMsg> res_;
  bool keep_alive_ = true;
  unsigned version_ = 11;

  net::steady_timer keepalive_timer_;
  std::optional<StreamEncoder> encoder_;
  bool feed_waiting_ = false;
  bool streaming_ = false;
  bool writing_ = false;
  bool peer_gone_ = false;
  uint64_t next_ = 0;
  uint64_t chunk_next_ = 0;
  std::string chunk_;
  char peek_[256];
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
};

}  // namespace

Listener::Listener(net::io_context& ioc, SessionShared& shared)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), shared_(shared) {}

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
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor_.is_open()) return;  // stopped
  if (!ec) {
    shared_.metrics.connections_accepted.fetch_add(1);
    if (shared_.metrics.connections_open.load() >= shared_.opts.max_connections) {
      shared_.metrics.connections_refused.fetch_add(1);
      auto sock = std::make_shared<tcp::socket>(std::move(socket));
      net::async_write(*sock, net::buffer(kRefused.data(), kRefused.size()), [sock](beast::error_code, std::size_t) {
        beast::error_code ignored;
        sock->shutdown(tcp::socket::shutdown_send, ignored);
        sock->close(ignored);
      });
    } else {
      std::make_shared<HttpSession>(std::move(socket), shared_)->run();
    }
  }
  // Errors such as EMFILE are per-connection: keep accepting.
  do_accept();
}

}  // namespace bg
