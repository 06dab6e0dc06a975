// The HTTP API of SPEC §3 as request handling without sockets: handle() takes
// a parsed request and answers through a Reply, at once or later (when the
// transactions are verified or committed). Sessions implement Reply over a
// connection; tests can implement it with a promise.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "host/backend.h"
#include "ledger/ledger.h"
#include "server/block_feed.h"
#include "server/byte_budget.h"
#include "server/metrics.h"
#include "server/options.h"
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

  // Label for /metrics: the route a target falls under ("other" when none),
  // so that ids and heights do not become label values.
  static std::string_view route_of(std::string_view target);

  // Ready = ledger open, writer healthy, not draining; `why` says what is not.
  bool ready(std::string* why = nullptr) const;

  // A JSON error body {"error":code[,"detail":...]} with the given status.
  static HttpResponseMsg error_response(int status, std::string_view code, std::string_view detail = {});

 private:
  std::optional<HttpResponseMsg> check_post_header(const HttpRequest& req) const;
  void post_transactions(HttpRequest& req, std::string_view query, std::shared_ptr<Reply> reply);
  void post_block(HttpRequest& req, std::shared_ptr<Reply> reply);
  HttpResponseMsg get_block(const HttpRequest& req, std::string_view which);
  HttpResponseMsg get_transaction(std::string_view id_hex);
  HttpResponseMsg get_status();
  HttpResponseMsg get_metrics();
  void get_stream(std::string_view query, std::shared_ptr<Reply> reply);

  ServerContext ctx_;
  // Shared with the holds in pending completions, which may outlive the Api.
  std::shared_ptr<ByteBudget> pending_bytes_;
};

}  // namespace bg
