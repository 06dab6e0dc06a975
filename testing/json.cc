// Reading the server's JSON answers in tests (see json.h).
#include "testing/json.h"

#include "host/bytes.h"

namespace bg::testing {

boost::json::value parse_json(const std::string& s) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(s, ec);
  if (ec) return boost::json::value(nullptr);
  return v;
}

boost::json::array results_of(const std::string& body) {
  boost::json::value v = parse_json(body);
  if (!v.is_object() || !v.as_object().contains("results") || !v.as_object()["results"].is_array()) return {};
  return v.as_object()["results"].as_array();
}

std::string str(const boost::json::value& v) { return v.is_string() ? std::string(v.get_string()) : std::string(); }

TipInfo latest_tip(HttpClient& c) {
  TipInfo t;
  auto r = c.get("/v1/blocks/latest");
  if (!r.ok() || r->status != 200) return t;
  boost::json::value v = parse_json(r->body);
  if (!v.is_object()) return t;
  boost::json::object& b = v.as_object();
  const boost::json::object& h = b["header"].as_object();
  t.height = h.at("height").to_number<uint64_t>();
  t.timestamp_ms = h.at("timestamp_ms").to_number<uint64_t>();
  t.hash = *hash_from_hex(str(b["hash"]));
  return t;
}

}  // namespace bg::testing
