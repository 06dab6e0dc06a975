// Connections: one Listener accepts, one HttpSession per connection reads a
// request, hands it to the Api, writes the answer, and reads the next one
// (requests on a connection are answered in order, one at a time). Limits sit
// here, at the edge: connection count, body size, idle/header/body/write
// timeouts. A session asked to stream becomes an NDJSON block feed.
#pragma once

#include <atomic>
#include <chrono>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>

#include "server/api.h"
#include "server/byte_budget.h"

namespace bg {

// What sessions share: the Api, the components the stream needs, and the
// count of requests read but not yet answered (shutdown waits for it).
struct SessionShared {
  Api& api;
  const ServerOptions& opts;
  Ledger& ledger;
  BlockFeed& feed;
  Metrics& metrics;
  std::atomic<bool>& draining;
  std::atomic<uint64_t> requests_in_flight{0};
  // TLS (--tls-cert/--tls-key): every connection is HTTPS; null: plain HTTP.
  boost::asio::ssl::context* tls = nullptr;
  // Request bodies being read, all connections (--max-body-buffer-bytes).
  ByteBudget body_bytes{};
  // Large answers and stream chunks being written (--max-response-bytes).
  ByteBudget response_bytes{};
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(boost::asio::io_context& ioc, SessionShared& shared);
  // Binds and listens; the real port is then local_port().
  absl::Status listen(const std::string& host, uint16_t port);
  uint16_t local_port() const;
  void start() { do_accept(); }
  // Stops accepting; open connections carry on.
  void stop();

 private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  // Out of file descriptors: accepting again at once would spin (the pending
  // connection stays readable), so wait a little first.
  boost::asio::steady_timer backoff_;
  std::chrono::steady_clock::time_point last_warning_{};
  SessionShared& shared_;
};

}  // namespace bg
