// Api: routing, the whole-request checks (method, auth, content type, body
// syntax), decoding, and the JSON answers of SPEC §3. Transactions and blocks
// are answered later, from the pipeline's and sealer's completions.
#include "server/api.h"

#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <openssl/crypto.h>

#include <boost/json.hpp>
#include <optional>

#include "server/follower.h"
#include "server/publisher.h"
#include "server/status_page.h"

namespace bg {
namespace http = boost::beast::http;
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kOctets = "application/octet-stream";

HttpResponseMsg make_response(int status, std::string body, std::string_view content_type) {
  HttpResponseMsg res{http::status(status), 11};
  res.set(http::field::server, "blockgate");
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  res.keep_alive(true);
  return res;
}

HttpResponseMsg json_response(int status, const boost::json::value& v) {
  return make_response(status, boost::json::serialize(v), kJson);
}

HttpResponseMsg unavailable(std::string_view detail) {
  HttpResponseMsg res = Api::error_response(503, "unavailable", detail);
  res.set(http::field::retry_after, "1");
  return res;
}

// Value of `key` in a query string (no percent-decoding: our values are
// numbers and words).
std::optional<std::string_view> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    const size_t eq = part.find('=');
    if (part.substr(0, eq) == key) return eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool parse_u64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return absl::SimpleAtoi(std::string(s), out);
}

enum class BodyKind { kJson, kBinary, kUnsupported };

// No Content-Type means JSON (what curl --data-raw users expect to work).
BodyKind body_kind(const HttpRequest& req) {
  auto it = req.find(http::field::content_type);
  if (it == req.end()) return BodyKind::kJson;
  std::string v(it->value());
  if (auto semi = v.find(';'); semi != std::string::npos) v.resize(semi);
  v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(v));
  if (v.empty() || v == kJson) return BodyKind::kJson;
  if (v == kOctets) return BodyKind::kBinary;
  return BodyKind::kUnsupported;
}

bool wants_binary(const HttpRequest& req) {
  auto it = req.find(http::field::accept);
  return it != req.end() && std::string_view(it->value()).find(kOctets) != std::string_view::npos;
}

// Counts every answer under its route for /metrics. An answer to HEAD (always
// a 405 or 404: no route serves HEAD) carries no body, as HTTP requires.
class CountingReply : public Reply {
 public:
  CountingReply(std::shared_ptr<Reply> inner, std::string_view route, Metrics& metrics, bool head)
      : inner_(std::move(inner)), route_(route), metrics_(metrics), head_(head) {}
  void send(HttpResponseMsg res) override {
    metrics_.count_request(route_, res.result_int());
    if (head_) res.body().clear();
    inner_->send(std::move(res));
  }
  void stream_blocks(uint64_t from, StreamFormat format) override {
    metrics_.count_request(route_, 200);
    inner_->stream_blocks(from, format);
  }

 private:
  std::shared_ptr<Reply> inner_;
  std::string_view route_;
  Metrics& metrics_;
  bool head_;
};

void append_hex(std::string& out, const Hash32& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const size_t at = out.size();
  out.resize(at + 2 * h.size());
  for (size_t i = 0; i < h.size(); ++i) {
    out[at + 2 * i] = kDigits[h[i] >> 4];
    out[at + 2 * i + 1] = kDigits[h[i] & 15];
  }
}

// One result, appended in place (no allocation per item: the answer to a
// request of many items is one growing string).
void append_result(std::string& out, const TxResult& r, const Ledger& ledger) {
  out += "{\"id\":";
  if (r.id) {
    out += '"';
    append_hex(out, *r.id);
    out += '"';
  } else {
    out += "null";
  }
  switch (r.status) {
    case TxStatus::kCommitted:
      absl::StrAppend(&out, ",\"status\":\"committed\",\"height\":", r.height, ",\"index\":", r.index, "}");
      return;
    case TxStatus::kVerified:
      out += ",\"status\":\"verified\"}";
      return;
    case TxStatus::kRejected:
      out += ",\"status\":\"rejected\",\"error\":\"";
      out += error_name(r.error);
      out += '"';
      // A duplicate of a committed transaction says where it is, so a client
      // that resends after an `unavailable` answer learns it is in.
      if (r.error == ErrorCode::kDuplicate && r.id)
        if (std::optional<TxLocation> at = ledger.find_tx(*r.id))
          absl::StrAppend(&out, ",\"height\":", at->height, ",\"index\":", at->index);
      out += '}';
      return;
    case TxStatus::kUnavailable:
    case TxStatus::kPending:
      out += ",\"status\":\"unavailable\"}";
      return;
  }
}

// Top-level items of a JSON array body, counting no further than `stop`
// (1 for anything that is not an array). Only decides whether a body is over
// --max-request-txs before it is parsed; syntax is the parser's business.
size_t json_array_items(std::string_view body, size_t stop) {
  size_t i = body.find_first_not_of(" \t\n\r");
  if (i == std::string_view::npos || body[i] != '[') return 1;
  size_t commas = 0, depth = 0;
  bool in_string = false, escaped = false, any = false;
  for (; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '[' || c == '{') {
      if (depth++ >= 1) any = true;  // the outer '[' is not an item
      continue;
    }
    if (c == ']' || c == '}') {
      if (depth == 0 || --depth == 0) break;
      continue;
    }
    if (c == ',' && depth == 1) {
      if (++commas >= stop) break;
      continue;
    }
    if (c == '"') in_string = true;
    any = true;
  }
  return any || commas > 0 ? commas + 1 : 0;
}

// Bytes held from the pending budget by one request until it is answered;
// keeps the budget alive for as long as it holds.
struct PendingHold {
  std::shared_ptr<ByteBudget> budget;
  BudgetHold hold;
};

HttpResponseMsg too_many_txs(uint64_t max) {
  return Api::error_response(413, "too_many_transactions",
                             absl::StrCat("more than --max-request-txs (", max, ") transactions in one request"));
}

// {"results":[...]}; when the ledger failed some transactions (disk full,
// writer stopped, shutdown) the whole answer is a 503 that still lists every
// result, so the client knows which ones did commit.
HttpResponseMsg tx_results_response(const std::vector<TxResult>& results, const Ledger& ledger) {
  bool failed = false;
  std::string body;
  body.reserve(32 + results.size() * 120);
  body += "{";
  for (const TxResult& r : results) failed |= r.status == TxStatus::kUnavailable || r.status == TxStatus::kPending;
  if (failed) body += "\"error\":\"unavailable\",\"detail\":\"some transactions could not be committed; retry them\",";
  body += "\"results\":[";
  for (size_t i = 0; i < results.size(); ++i) {
    if (i) body.push_back(',');
    append_result(body, results[i], ledger);
  }
  body += "]}";
  HttpResponseMsg res = make_response(failed ? 503 : 200, std::move(body), kJson);
  if (failed) res.set(http::field::retry_after, "1");
  return res;
}

HttpResponseMsg block_outcome_response(const BlockOutcome& o) {
  switch (o.kind) {
    case BlockOutcome::Kind::kCommitted:
      return json_response(200, {{"hash", to_hex(o.hash)}, {"height", o.height}});
    case BlockOutcome::Kind::kNotExtendingTip:
      return json_response(409, {{"error", "not_extending_tip"},
                                 {"tip", {{"height", o.tip.height}, {"hash", to_hex(o.tip.hash)}}}});
    case BlockOutcome::Kind::kInvalid: {
      boost::json::object body{{"error", std::string(error_name(o.code))}};
      if (o.tx_index) body["tx_index"] = *o.tx_index;
      return json_response(422, body);
    }
    case BlockOutcome::Kind::kUnavailable:
      break;
  }
  return unavailable(std::string(o.status.message()));
}

}  // namespace

HttpResponseMsg Api::error_response(int status, std::string_view code, std::string_view detail) {
  boost::json::object body{{"error", code}};
  if (!detail.empty()) body["detail"] = detail;
  return json_response(status, body);
}

// The route table: every endpoint once. Dispatch, 404/405 + Allow, auth, the
// Content-Type check and the /metrics label all come from here, and
// tests/openapi_test.cc checks that docs/openapi.yaml has exactly these rows.
// HEAD is not a route: it is answered 405 with the Allow of the path.
std::span<const Route> Api::routes() {
  using http::verb;
  static constexpr Route kRoutes[] = {
      // {method, pattern, handler, auth, takes_body}
      {verb::get, "/", &Api::get_status_page, false, false},
      {verb::get, "/healthz", &Api::get_healthz, false, false},
      {verb::get, "/readyz", &Api::get_readyz, false, false},
      {verb::get, "/metrics", &Api::get_metrics, false, false},
      {verb::get, "/v1/status", &Api::get_status, false, false},
      {verb::get, "/v1/stream", &Api::get_stream, false, false},
      {verb::post, "/v1/transactions", &Api::post_transactions, true, true},
      {verb::get, "/v1/transactions/{id}", &Api::get_transaction, false, false},
      {verb::post, "/v1/blocks", &Api::post_block, true, true},
      {verb::get, "/v1/blocks/latest", &Api::get_latest_block, false, false},
      {verb::get, "/v1/blocks/{height}", &Api::get_block, false, false},
  };
  return kRoutes;
}

std::string_view Api::route_of(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  // The method only picks among routes of one path; any method gives the label.
  return match_route(routes(), http::verb::get, path).label;
}

bool Api::ready(std::string* why) const {
  if (ctx_.draining.load()) {
    if (why) *why = "shutting down";
    return false;
  }
  if (ctx_.pipeline.writer_failed()) {
    if (why) *why = std::string(ctx_.pipeline.writer_status().message());
    return false;
  }
  if (ctx_.follower && !ctx_.follower->ready(why)) return false;
  if (absl::Status b = ctx_.pipeline.backend_status(); !b.ok()) {
    if (why) *why = absl::StrCat("verification backend failing: ", std::string(b.message()));
    return false;
  }
  // Disk full is not "not ready": writes are retried (and answered 503) until
  // space returns, and only a write can find out that it has.
  if (absl::Status h = ctx_.ledger.health(); absl::IsInternal(h)) {
    if (why) *why = std::string(h.message());
    return false;
  }
  return true;
}

std::optional<HttpResponseMsg> Api::check_route_header(const Route& route, const HttpRequest& req) const {
  if (route.auth && !ctx_.opts.auth_token.empty()) {
    const std::string expected = absl::StrCat("Bearer ", ctx_.opts.auth_token);
    auto it = req.find(http::field::authorization);
    const std::string_view got = it == req.end() ? std::string_view() : std::string_view(it->value());
    if (got.size() != expected.size() || CRYPTO_memcmp(got.data(), expected.data(), got.size()) != 0) {
      HttpResponseMsg res = error_response(401, "unauthorized", "POST needs Authorization: Bearer <token>");
      res.set(http::field::www_authenticate, "Bearer");
      return res;
    }
  }
  if (route.takes_body && body_kind(req) == BodyKind::kUnsupported)
    return error_response(415, "unsupported_media_type",
                          "Content-Type must be application/json or application/octet-stream");
  return std::nullopt;
}

std::optional<HttpResponseMsg> Api::check_before_body(const HttpRequest& req) const {
  const std::string_view t(req.target());
  const RouteMatch m = match_route(routes(), req.method(), t.substr(0, t.find('?')));
  switch (m.kind) {
    case RouteMatch::Kind::kNotFound:
      return error_response(404, "not_found");
    case RouteMatch::Kind::kWrongMethod: {
      HttpResponseMsg res = error_response(405, "method_not_allowed");
      res.set(http::field::allow, m.allow);
      return res;
    }
    case RouteMatch::Kind::kBadParam:
      return error_response(400, "malformed", m.detail);
    case RouteMatch::Kind::kFound:
      break;
  }
  return check_route_header(*m.route, req);
}

void Api::handle(HttpRequest req, std::shared_ptr<Reply> raw_reply) {
  const std::string target(req.target());
  const std::string_view t = target;
  const std::string_view path = t.substr(0, t.find('?'));
  const std::string_view query = path.size() < t.size() ? t.substr(path.size() + 1) : std::string_view();
  const RouteMatch m = match_route(routes(), req.method(), path);
  auto reply =
      std::make_shared<CountingReply>(std::move(raw_reply), m.label, ctx_.metrics, req.method() == http::verb::head);
  try {
    switch (m.kind) {
      case RouteMatch::Kind::kNotFound:
        return reply->send(error_response(404, "not_found"));
      case RouteMatch::Kind::kWrongMethod: {
        HttpResponseMsg res = error_response(405, "method_not_allowed");
        res.set(http::field::allow, m.allow);
        return reply->send(std::move(res));
      }
      case RouteMatch::Kind::kBadParam:
        return reply->send(error_response(400, "malformed", m.detail));
      case RouteMatch::Kind::kFound:
        break;
    }
    const Route& route = *m.route;
    if (std::optional<HttpResponseMsg> no = check_route_header(route, req)) return reply->send(std::move(*no));
    if (ctx_.follower && route.method == http::verb::post)
      return reply->send(error_response(403, "read_only", "this node follows another; POST to the leader"));
    RouteCall call{req, query, m.params, reply};
    (this->*route.handler)(call);
  } catch (const std::exception& e) {
    reply->send(error_response(500, "internal", e.what()));
  }
}

void Api::get_status_page(RouteCall& c) {
  c.reply->send(make_response(200, std::string(server::status_page_html()), "text/html; charset=utf-8"));
}

void Api::get_healthz(RouteCall& c) { c.reply->send(json_response(200, {{"status", "ok"}})); }

void Api::get_readyz(RouteCall& c) {
  std::string why;
  if (ready(&why)) return c.reply->send(json_response(200, {{"status", "ready"}}));
  c.reply->send(json_response(503, {{"status", "not_ready"}, {"reason", why}}));
}

void Api::post_transactions(RouteCall& c) {
  HttpRequest& req = c.req;
  const std::shared_ptr<Reply>& reply = c.reply;
  bool wait_commit = true;
  if (auto w = query_param(c.query, "wait")) {
    if (*w == "verify") wait_commit = false;
    else if (*w != "commit") return reply->send(error_response(400, "malformed", "wait must be commit or verify"));
  }
  const size_t max_payload = ctx_.opts.max_payload_bytes;
  std::vector<TxResult> results;
  std::vector<Candidate> cands;
  auto decoded = [&](ErrorCode code, Transaction&& tx) {
    TxResult r;
    if (code == ErrorCode::kOk) {
      Candidate c{std::move(tx), {}, uint32_t(results.size())};
      c.id = c.tx.id();
      r.id = c.id;
      cands.push_back(std::move(c));
    } else {
      r.status = TxStatus::kRejected;
      r.error = code;
      ctx_.metrics.count_rejected(code);
    }
    results.push_back(r);
  };

  const std::string& body = req.body();
  if (body_kind(req) == BodyKind::kBinary) {
    // Items one after another. An item whose length is known but bad (payload
    // over the limit) is skipped; when framing is lost, that item is the last
    // answered and the rest of the body is dropped.
    ByteSpan in(reinterpret_cast<const uint8_t*>(body.data()), body.size());
    while (!in.empty()) {
      if (results.size() >= ctx_.opts.max_request_txs) return reply->send(too_many_txs(ctx_.opts.max_request_txs));
      Transaction tx;
      size_t consumed = 0;
      ErrorCode code = decode_tx_binary(in, max_payload, &tx, &consumed);
      decoded(code, std::move(tx));
      if (consumed == 0) break;
      in = in.subspan(consumed);
    }
  } else {
    // Counted before parsing: the parsed array of a 16 MiB body of "0,0,..."
    // would alone be hundreds of MiB.
    if (json_array_items(body, ctx_.opts.max_request_txs) > ctx_.opts.max_request_txs)
      return reply->send(too_many_txs(ctx_.opts.max_request_txs));
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) return reply->send(error_response(400, "malformed", absl::StrCat("body is not JSON: ", ec.message())));
    if (v.is_array()) {
      results.reserve(v.get_array().size());
      for (const boost::json::value& item : v.get_array()) {
        Transaction tx;
        ErrorCode code = decode_tx_json(item, max_payload, &tx);
        decoded(code, std::move(tx));
      }
    } else if (v.is_object()) {
      Transaction tx;
      ErrorCode code = decode_tx_json(v, max_payload, &tx);
      decoded(code, std::move(tx));
    } else {
      return reply->send(error_response(400, "malformed", "body must be a transaction object or an array of them"));
    }
  }

  if (absl::Status h = ctx_.ledger.health(); absl::IsInternal(h)) return reply->send(unavailable(std::string(h.message())));
  // Held until the answer is sent: the decoded transactions (payloads and
  // their bookkeeping) and the results.
  uint64_t bytes = results.size() * sizeof(TxResult);
  for (const Candidate& cand : cands) bytes += sizeof(Candidate) + cand.tx.payload.size() + 2 * sizeof(Hash32);
  auto hold = std::make_shared<PendingHold>(PendingHold{pending_bytes_, {}});
  if (!hold->hold.grow(*pending_bytes_, bytes)) {
    ctx_.metrics.shed_requests.fetch_add(1);
    return reply->send(unavailable("pending work over --max-pending-bytes"));
  }
  auto request = std::make_shared<TxRequest>(std::move(results), wait_commit);
  const Ledger* ledger = &ctx_.ledger;
  absl::Status st = ctx_.pipeline.admit(request, std::move(cands), [request, reply, hold, ledger] {
    reply->send(tx_results_response(request->results(), *ledger));
    hold->hold.reset();
  });
  if (!st.ok()) {
    ctx_.metrics.shed_requests.fetch_add(1);
    reply->send(unavailable(std::string(st.message())));
  }
}

void Api::post_block(RouteCall& c) {
  HttpRequest& req = c.req;
  const std::shared_ptr<Reply>& reply = c.reply;
  const size_t max_payload = ctx_.opts.max_payload_bytes;
  Block block;
  BlockDecodeError err;
  const std::string& body = req.body();
  if (body_kind(req) == BodyKind::kBinary) {
    err = decode_block_binary(ByteSpan(reinterpret_cast<const uint8_t*>(body.data()), body.size()), max_payload,
                              &block);
  } else {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    if (ec) return reply->send(error_response(400, "malformed", absl::StrCat("body is not JSON: ", ec.message())));
    err = decode_block_json(v, max_payload, &block);
  }
  if (err.ok()) {
    uint64_t encoded = kHeaderSize;
    for (const Transaction& tx : block.txs) encoded += tx.encoded_size();
    if (encoded > ctx_.opts.max_block_bytes)
      return reply->send(error_response(413, "block_too_large",
                                        absl::StrCat("the block encodes to ", encoded, " bytes; --max-block-bytes is ",
                                                     ctx_.opts.max_block_bytes)));
  }
  if (!err.ok()) {
    BlockOutcome o;
    o.kind = BlockOutcome::Kind::kInvalid;
    o.code = err.code;
    o.tx_index = err.tx_index;
    return reply->send(block_outcome_response(o));
  }
  if (ctx_.draining.load()) return reply->send(unavailable("server is shutting down"));
  if (ctx_.pipeline.writer_failed()) return reply->send(unavailable(std::string(ctx_.pipeline.writer_status().message())));
  if (absl::Status h = ctx_.ledger.health(); absl::IsInternal(h)) return reply->send(unavailable(std::string(h.message())));
  uint64_t bytes = sizeof(Block) + body.size();
  auto hold = std::make_shared<PendingHold>(PendingHold{pending_bytes_, {}});
  if (!hold->hold.grow(*pending_bytes_, bytes)) {
    ctx_.metrics.shed_requests.fetch_add(1);
    return reply->send(unavailable("pending work over --max-pending-bytes"));
  }
  absl::Status st = ctx_.pipeline.admit_block(std::move(block), [reply, hold](BlockOutcome o) {
    reply->send(block_outcome_response(o));
    hold->hold.reset();
  });
  if (!st.ok()) {
    ctx_.metrics.shed_requests.fetch_add(1);
    reply->send(unavailable(std::string(st.message())));
  }
}

void Api::get_latest_block(RouteCall& c) {
  c.reply->send(block_response(c.req, ctx_.ledger.durable_tip().height));
}

void Api::get_block(RouteCall& c) { c.reply->send(block_response(c.req, c.params.height)); }

HttpResponseMsg Api::block_response(const HttpRequest& req, uint64_t height) {
  if (wants_binary(req)) {
    auto bytes = ctx_.ledger.read_block_bytes(height);
    if (absl::IsNotFound(bytes.status())) return error_response(404, "not_found");
    if (!bytes.ok()) return error_response(500, "internal", std::string(bytes.status().message()));
    return make_response(200, std::string(bytes->begin(), bytes->end()), kOctets);
  }
  auto block = ctx_.ledger.read_block(height);
  if (absl::IsNotFound(block.status())) return error_response(404, "not_found");
  if (!block.ok()) return error_response(500, "internal", std::string(block.status().message()));
  return make_response(200, block_to_json_text(*block), kJson);
}

void Api::get_transaction(RouteCall& c) {
  const Hash32& id = c.params.id;
  // Reads only the transaction's bytes, checked against its id.
  auto found = ctx_.ledger.read_tx(id);
  if (absl::IsNotFound(found.status())) return c.reply->send(error_response(404, "not_found"));
  if (!found.ok()) return c.reply->send(error_response(500, "internal", std::string(found.status().message())));
  c.reply->send(json_response(200, {{"id", to_hex(id)},
                                    {"height", found->location.height},
                                    {"index", found->location.index},
                                    {"transaction", tx_to_json(found->tx)}}));
}

void Api::get_status(RouteCall& c) {
  const TipInfo tip = ctx_.ledger.durable_tip();
  const LedgerStats ls = ctx_.ledger.stats();
  Metrics& m = ctx_.metrics;
  boost::json::object counters{
      {"transactions_committed", m.outcome(TxOutcome::kCommitted)},
      {"transactions_verified_answers", m.outcome(TxOutcome::kVerified)},
      {"transactions_rejected", m.outcome(TxOutcome::kRejected)},
      {"transactions_unavailable", m.outcome(TxOutcome::kUnavailable)},
      {"rejected_invalid_signature", m.rejected(ErrorCode::kInvalidSignature)},
      {"rejected_duplicate", m.rejected(ErrorCode::kDuplicate)},
      {"rejected_malformed", m.rejected(ErrorCode::kMalformed)},
      {"pending_transactions", ctx_.pipeline.pending()},
      {"pending_blocks", ctx_.pipeline.blocks_verifying() + ctx_.sealer.pending_blocks()},
      {"verify_batches_in_flight", m.batches_in_flight.load()},
      {"backend_fallbacks", ctx_.backend.fallback_count()},
      {"connections_open", m.connections_open.load()},
      {"streams_open", m.streams_open.load()},
      {"stream_waiters", ctx_.feed.waiters()},
      {"pending_bytes", pending_bytes_->used()},
      {"requests_shed", m.shed_requests.load()},
      {"ledger_fsyncs", ls.fsyncs},
      {"ledger_bytes_written", ls.bytes_written},
  };
  std::string why;
  const bool is_ready = ready(&why);
  boost::json::object body{
      {"height", tip.height},
      {"tip_hash", to_hex(tip.hash)},
      {"backend", std::string(ctx_.backend.name())},
      {"backend_description", ctx_.backend.description()},
      {"backend_active", ctx_.backend.active_name()},
      {"batch_size", {{"p50", m.batch_size.quantile(0.5)}, {"p99", m.batch_size.quantile(0.99)}}},
      {"uptime_s", m.uptime_seconds()},
      {"tx_per_s", m.recent_tx_rate()},
      {"latency_ms",
       {{"p50", 1000 * m.commit_latency_seconds.quantile(0.5)},
        {"p99", 1000 * m.commit_latency_seconds.quantile(0.99)},
        {"p999", 1000 * m.commit_latency_seconds.quantile(0.999)}}},
      {"ready", is_ready},
      {"counters", std::move(counters)},
  };
  if (!is_ready) body["not_ready_reason"] = why;
  if (ctx_.follower) {
    const FollowerStats f = ctx_.follower->stats();
    boost::json::object fo{{"upstream", f.upstream},
                           {"tip", f.tip},
                           {"lag_blocks", f.lag_blocks},
                           {"lag_seconds", f.lag_seconds},
                           {"reconnects", f.reconnects},
                           {"blocks_verified", f.blocks_verified},
                           {"blocks_per_second", f.blocks_per_second},
                           {"seal_to_commit_ms", boost::json::object{{"samples", f.seal_to_commit_samples},
                                                                     {"p50", f.seal_to_commit_p50_ms},
                                                                     {"p99", f.seal_to_commit_p99_ms}}},
                           {"connected", f.connected},
                           {"failed", f.failed}};
    if (f.upstream_tip) fo["upstream_tip"] = *f.upstream_tip;
    if (f.failed) {
      fo["failed_height"] = f.failed_height;
      fo["failed_code"] = f.failed_code;
      fo["error"] = f.error;
    }
    body["follower"] = std::move(fo);
  }
  if (ctx_.publisher) {
    const PublisherStats p = ctx_.publisher->stats();
    boost::json::object po{{"url", ctx_.opts.publish},
                           {"stream", ctx_.opts.nats_stream},
                           {"state", p.state},
                           {"errors", p.errors},
                           {"reconnects", p.reconnects},
                           {"stopped", p.stopped}};
    if (p.any_published) {
      po["published_height"] = p.published_height;
      po["lag_blocks"] = tip.height - std::min(tip.height, p.published_height);
    }
    body["publisher"] = std::move(po);
  }
  c.reply->send(json_response(200, body));
}

void Api::get_metrics(RouteCall& c) {
  MetricsSnapshot snap;
  snap.ledger_height = ctx_.ledger.durable_tip().height;
  snap.pending_txs = ctx_.pipeline.pending();
  snap.pending_blocks = ctx_.pipeline.blocks_verifying() + ctx_.sealer.pending_blocks();
  const LedgerStats ls = ctx_.ledger.stats();
  snap.fsyncs = ls.fsyncs;
  snap.bytes_written = ls.bytes_written;
  snap.ledger = ls;
  snap.ready = ready();
  snap.backend = std::string(ctx_.backend.name());
  snap.backend_description = ctx_.backend.description();
  snap.backend_active = ctx_.backend.active_name();
  snap.backend_fallbacks = ctx_.backend.fallback_count();
  std::string text = ctx_.metrics.render(snap);
  if (ctx_.follower) text += ctx_.follower->render_metrics();
  if (ctx_.publisher) text += ctx_.publisher->render_metrics(ctx_.ledger.durable_tip().height);
  c.reply->send(make_response(200, std::move(text), "text/plain; version=0.0.4; charset=utf-8"));
}

void Api::get_stream(RouteCall& c) {
  uint64_t from = ctx_.ledger.durable_tip().height + 1;
  if (auto f = query_param(c.query, "from"); f && !parse_u64(*f, &from))
    return c.reply->send(error_response(400, "malformed", "from must be a decimal height"));
  const uint64_t tip = ctx_.ledger.durable_tip().height;
  if (from > tip && from - tip > ctx_.opts.max_stream_ahead)
    return c.reply->send(error_response(
        400, "malformed", absl::StrCat("from is more than --max-stream-ahead (", ctx_.opts.max_stream_ahead,
                                       ") blocks past the tip (", tip, ")")));
  auto header = [&c](http::field f) {
    auto it = c.req.find(f);
    return it == c.req.end() ? std::string_view() : std::string_view(it->value());
  };
  c.reply->stream_blocks(from,
                         negotiate_stream_format(header(http::field::accept), header(http::field::accept_encoding)));
}

}  // namespace bg
