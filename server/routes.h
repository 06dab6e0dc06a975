// The route table's shape and its matcher: one row per (method, path pattern)
// with typed parameters, used for dispatch, 404 vs 405 (and Allow), auth and
// the /metrics label. The rows themselves are in server/api.cc (Api::routes()).
// "How to add an endpoint" in docs/ARCHITECTURE.md.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "host/bytes.h"

namespace bg {

class Api;
struct RouteCall;

// Values of a pattern's typed parameters, parsed before the handler runs.
struct RouteParams {
  uint64_t height = 0;  // {height}: decimal digits, at most 20
  Hash32 id{};          // {id}: 64 hex digits, either case
};

struct Route {
  boost::beast::http::verb method;
  // Literal segments and parameters ({height}, {id}), e.g. "/v1/blocks/{height}".
  // The pattern is also the route's /metrics label, so ids never become labels.
  std::string_view pattern;
  void (Api::*handler)(RouteCall&);
  bool auth;        // needs `Authorization: Bearer <token>` when --auth-token-file is set
  bool takes_body;  // Content-Type must be application/json (or none) or application/octet-stream

  std::string_view label() const { return pattern; }
};

// The /metrics label of requests that match no pattern.
inline constexpr std::string_view kOtherLabel = "other";

struct RouteMatch {
  enum class Kind {
    kFound,        // route and params are set
    kBadParam,     // route is set; a parameter does not parse (400, detail says why)
    kWrongMethod,  // the path has routes, none for this method (405, allow lists them)
    kNotFound,     // no pattern matches the path (404)
  };
  Kind kind = Kind::kNotFound;
  const Route* route = nullptr;
  RouteParams params;
  std::string allow;   // kWrongMethod: "GET", "POST" or "GET, POST"
  std::string detail;  // kBadParam
  std::string_view label = kOtherLabel;
};

// Matches `path` (no query string) against `routes`. A literal segment beats
// a parameter ("/v1/blocks/latest" is not height "latest"); a parameter
// matches exactly one non-empty segment, so "/v1/blocks/5/transactions" and
// "/v1/blocks/" match nothing.
RouteMatch match_route(std::span<const Route> routes, boost::beast::http::verb method, std::string_view path);

// Whether a pattern uses only known parameters (a check for the table's tests).
bool route_pattern_is_valid(std::string_view pattern);

}  // namespace bg
