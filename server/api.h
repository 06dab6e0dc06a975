// The HTTP API of SPEC §3 as request handling without sockets: handle() takes
// a parsed request and answers through a Reply, at once or later (when the
// transactions are verified or committed). Sessions implement Reply over a
// connection; tests can implement it with a promise.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "host/backend.h"
#include "ledger/ledger.h"
#include "server/block_feed.h"
#include "server/byte_budget.h"
#include "server/metrics.h"
#include "server/options.h"
#include "server/routes.h"
#include "server/sealer.h"
#include "server/stream_codec.h"
#include "server/tx_pipeline.h"

namespace bg {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponseMsg = boost::beast::http::response<boost::beast::http::string_body>;

class Reply {
 public:
  virtual ~Reply() = default;
  // Sends the response; callable from any thread, exactly once per request.
  virtual void send(HttpResponseMsg res) = 0;
  // GET /v1/stream: the connection becomes a feed of blocks from
  // `from_height`, in `format` (NDJSON or binary frames, gzip or not).
  virtual void stream_blocks(uint64_t from_height, StreamFormat format) = 0;
};

class Follower;
class Publisher;

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
  const Follower* follower = nullptr;    // serve --follow: read-only, ready while following
  const Publisher* publisher = nullptr;  // serve --publish
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
  explicit Api(ServerContext ctx)
      : ctx_(ctx), pending_bytes_(std::make_shared<ByteBudget>(ctx.opts.max_pending_bytes)) {}

  void handle(HttpRequest req, std::shared_ptr<Reply> reply);

  // What the header alone decides for a request whose body has not been read
  // (Expect: 100-continue): route, method, token, content type. An answer
  // when the request is refused, nothing when the body may come.
  std::optional<HttpResponseMsg> check_before_body(const HttpRequest& header) const;

  // Bytes of decoded transactions and blocks admitted but not yet answered
  // (--max-pending-bytes).
  const ByteBudget& pending_bytes() const { return *pending_bytes_; }

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

  // Token and content type for a matched route (handle, check_before_body).
  std::optional<HttpResponseMsg> check_route_header(const Route& route, const HttpRequest& req) const;

  ServerContext ctx_;
  // Shared with the holds in pending completions, which may outlive the Api.
  std::shared_ptr<ByteBudget> pending_bytes_;
};

}  // namespace bg
