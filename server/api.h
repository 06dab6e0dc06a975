// The HTTP API of SPEC §3 as request handling without sockets: handle() takes
// a parsed request and answers through a Reply, at once or later (when the
// transactions are verified or committed). Sessions implement Reply over a
// connection; tests can implement it with a promise.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "host/backend.h"
#include "ledger/ledger.h"
#include "server/block_feed.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/routes.h"
#include "server/sealer.h"
#include "server/tx_pipeline.h"

namespace bg {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponseMsg = boost::beast::http::response<boost::beast::http::string_body>;

class Reply {
 public:
  virtual ~Reply() = default;
  // Sends the response; callable from any thread, exactly once per request.
  virtual void send(HttpResponseMsg res) = 0;
  // GET /v1/stream: the connection becomes an NDJSON feed from `from_height`.
  virtual void stream_blocks(uint64_t from_height) = 0;
};

// What the handlers reach: the components of a running server.
struct ServerContext {
  const ServerOptions& opts;
  Ledger& ledger;
  VerifyBackend& backend;
  TxPipeline& pipeline;
  Sealer& sealer;
  BlockFeed& feed;
  Metrics& metrics;
  std::atomic<bool>& draining;
};

// What a route's handler gets: the request, its query string, the typed
// path parameters, and where to answer.
struct RouteCall {
  HttpRequest& req;
  std::string_view query;
  const RouteParams& params;
  std::shared_ptr<Reply> reply;
};

class Api {
 public:
  explicit Api(ServerContext ctx) : ctx_(ctx) {}

  void handle(HttpRequest req, std::shared_ptr<Reply> reply);

  // The route table: every endpoint, once (server/api.cc).
  static std::span<const Route> routes();

  // Label for /metrics: the pattern of the route a target falls under
  // ("other" when none), so that ids and heights do not become label values.
  static std::string_view route_of(std::string_view target);

  // Ready = ledger open, writer healthy, not draining; `why` says what is not.
  bool ready(std::string* why = nullptr) const;

  // A JSON error body {"error":code[,"detail":...]} with the given status.
  static HttpResponseMsg error_response(int status, std::string_view code, std::string_view detail = {});

 private:
  // Route handlers (the rows of the table in api.cc).
  void get_status_page(RouteCall& c);
  void get_healthz(RouteCall& c);
  void get_readyz(RouteCall& c);
  void get_metrics(RouteCall& c);
  void get_status(RouteCall& c);
  void get_stream(RouteCall& c);
  void post_transactions(RouteCall& c);
  void get_transaction(RouteCall& c);
  void post_block(RouteCall& c);
  void get_latest_block(RouteCall& c);
  void get_block(RouteCall& c);

  HttpResponseMsg block_response(const HttpRequest& req, uint64_t height);

  ServerContext ctx_;
};

}  // namespace bg
