// The route matcher (server/routes.h): split into segments, keep the patterns
// with the most literal segments that fit, then pick by method.
#include "server/routes.h"

#include <absl/strings/numbers.h>

#include <vector>

namespace bg {
namespace {

namespace http = boost::beast::http;

// The '/'-separated segments of an absolute path ("/a/b" -> a, b).
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  if (path.empty()) return out;  // "/" has no segments
  while (true) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// Literal segments matched, or -1 when the pattern does not fit the path.
int fit(std::string_view pattern, const std::vector<std::string_view>& path) {
  const std::vector<std::string_view> pat = segments(pattern);
  if (pat.size() != path.size()) return -1;
  int literals = 0;
  for (size_t i = 0; i < pat.size(); ++i) {
    if (is_param(pat[i])) {
      if (path[i].empty()) return -1;
    } else if (pat[i] == path[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

bool parse_height(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20 || s.find_first_not_of("0123456789") != std::string_view::npos) return false;
  return absl::SimpleAtoi(absl::string_view(s.data(), s.size()), out);
}

// Parses the parameters of `pattern` out of `path`; false with a detail when one does not parse.
bool parse_params(std::string_view pattern, const std::vector<std::string_view>& path, RouteParams* out,
                  std::string* detail) {
  const std::vector<std::string_view> pat = segments(pattern);
  for (size_t i = 0; i < pat.size(); ++i) {
    if (!is_param(pat[i])) continue;
    if (pat[i] == "{height}") {
      if (!parse_height(path[i], &out->height)) {
        *detail = "height must be a decimal number";
        return false;
      }
    } else if (pat[i] == "{id}") {
      auto id = hash_from_hex(path[i]);
      if (!id) {
        *detail = "transaction id must be 64 hex digits";
        return false;
      }
      out->id = *id;
    } else {
      *detail = "route has an unknown parameter";
      return false;
    }
  }
  return true;
}

}  // namespace

bool route_pattern_is_valid(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') return false;
  for (std::string_view seg : segments(pattern)) {
    if (seg.empty()) return false;
    if (seg.front() == '{' && seg != "{height}" && seg != "{id}") return false;
  }
  return true;
}

RouteMatch match_route(std::span<const Route> routes, http::verb method, std::string_view path) {
  const std::vector<std::string_view> segs = segments(path);
  RouteMatch m;
  if (path.empty() || path.front() != '/') return m;
  int best = -1;
  for (const Route& r : routes) best = std::max(best, fit(r.pattern, segs));
  if (best < 0) return m;
  std::vector<const Route*> candidates;
  for (const Route& r : routes)
    if (fit(r.pattern, segs) == best) candidates.push_back(&r);
  m.label = candidates.front()->label();
  for (const Route* r : candidates) {
    if (r->method != method) continue;
    m.route = r;
    m.label = r->label();
    if (!parse_params(r->pattern, segs, &m.params, &m.detail)) {
      m.kind = RouteMatch::Kind::kBadParam;
      return m;
    }
    m.kind = RouteMatch::Kind::kFound;
    return m;
  }
  m.kind = RouteMatch::Kind::kWrongMethod;
  for (const Route* r : candidates) {
    const std::string_view name = http::to_string(r->method);
    if (m.allow.find(name) != std::string::npos) continue;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += name;
  }
  return m;
}

}  // namespace bg
