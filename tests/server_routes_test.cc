// The route table (server/api.cc) and its matcher (server/routes.h): unit
// cases for matching, then the real binary for 404, 405 + Allow, HEAD, typed
// parameters and the "other" metrics label.
#include <gtest/gtest.h>

#include <set>

#include "server/api.h"
#include "server/routes.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace bg {
namespace {

namespace http = boost::beast::http;

TEST(RouteTable, EveryRowIsValidAndUnique) {
  std::set<std::pair<int, std::string_view>> seen;
  for (const Route& r : Api::routes()) {
    EXPECT_TRUE(route_pattern_is_valid(r.pattern)) << r.pattern;
    EXPECT_TRUE(seen.insert({int(r.method), r.pattern}).second) << r.pattern << " twice";
    EXPECT_NE(r.handler, nullptr) << r.pattern;
    EXPECT_EQ(r.label(), r.pattern);
    // Only POSTs carry bodies and need the token (SPEC §3).
    EXPECT_EQ(r.auth, r.method == http::verb::post) << r.pattern;
    EXPECT_EQ(r.takes_body, r.method == http::verb::post) << r.pattern;
  }
  EXPECT_FALSE(route_pattern_is_valid("/v1/blocks/{hash}"));
  EXPECT_FALSE(route_pattern_is_valid("v1/blocks"));
  EXPECT_FALSE(route_pattern_is_valid("/v1//blocks"));
}

TEST(RouteTable, MatchesByStructureThenMethodThenParameters) {
  const auto routes = Api::routes();
  struct Case {
    http::verb method;
    std::string path;
    RouteMatch::Kind kind;
    std::string_view label;
    std::string allow;
  };
  using K = RouteMatch::Kind;
  const std::vector<Case> cases = {
      {http::verb::get, "/", K::kFound, "/", ""},
      {http::verb::get, "/v1/blocks/17", K::kFound, "/v1/blocks/{height}", ""},
      {http::verb::get, "/v1/blocks/latest", K::kFound, "/v1/blocks/latest", ""},
      {http::verb::get, "/v1/blocks/x17", K::kBadParam, "/v1/blocks/{height}", ""},
      {http::verb::get, "/v1/blocks/99999999999999999999999", K::kBadParam, "/v1/blocks/{height}", ""},
      {http::verb::get, "/v1/blocks/5/transactions", K::kNotFound, "other", ""},
      {http::verb::get, "/v1/blocks/", K::kNotFound, "other", ""},
      {http::verb::get, "/v1/blocks", K::kWrongMethod, "/v1/blocks", "POST"},
      {http::verb::post, "/v1/blocks/latest", K::kWrongMethod, "/v1/blocks/latest", "GET"},
      {http::verb::delete_, "/v1/transactions/" + std::string(64, 'a'), K::kWrongMethod, "/v1/transactions/{id}", "GET"},
      {http::verb::get, "/v1/transactions/" + std::string(64, 'A'), K::kFound, "/v1/transactions/{id}", ""},
      {http::verb::get, "/v1/transactions/abc", K::kBadParam, "/v1/transactions/{id}", ""},
      {http::verb::head, "/healthz", K::kWrongMethod, "/healthz", "GET"},
      {http::verb::get, "/etc/passwd", K::kNotFound, "other", ""},
      {http::verb::get, "", K::kNotFound, "other", ""},
  };
  for (const Case& c : cases) {
    const RouteMatch m = match_route(routes, c.method, c.path);
    EXPECT_EQ(int(m.kind), int(c.kind)) << c.path;
    EXPECT_EQ(m.label, c.label) << c.path;
    EXPECT_EQ(m.allow, c.allow) << c.path;
  }
  const RouteMatch h = match_route(routes, http::verb::get, "/v1/blocks/18446744073709551615");
  EXPECT_EQ(h.params.height, 18446744073709551615ull);
  EXPECT_EQ(Api::route_of("/v1/transactions?wait=verify"), "/v1/transactions");
  EXPECT_EQ(Api::route_of("/nowhere?x=/v1/blocks"), "other");
}

class RoutesThroughServer : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.started()) << server_.stderr_text(); }
  HttpResponse call(std::string_view method, std::string_view target, std::string body = {}) {
    auto r = client_.request(method, target, std::move(body));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResponse{};
  }
  testing::TempDir dir_{"routes"};
  testing::ServerProcess server_{dir_.path() + "/data"};
  HttpClient client_ = server_.client();
};

TEST_F(RoutesThroughServer, ExtraSegmentsAreNotFound) {
  HttpResponse r = call("GET", "/v1/blocks/5/transactions");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"not_found"})");
  EXPECT_EQ(call("GET", "/v1/transactions/" + std::string(64, '0') + "/x").status, 404);
  EXPECT_EQ(call("GET", "/v1/blocks/abc").status, 400);
  EXPECT_EQ(call("GET", "/v1/blocks/0").status, 200);  // genesis
}

TEST_F(RoutesThroughServer, WrongMethodIs405WithAllow) {
  HttpResponse r = call("PUT", "/v1/transactions", "[]");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
  EXPECT_EQ(r.body, R"({"error":"method_not_allowed"})");
  r = call("DELETE", "/v1/blocks/3");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET");
  r = call("POST", "/metrics", "x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET");
}

// HEAD is not answered as GET: 405 with the path's Allow (docs/SERVER.md).
TEST_F(RoutesThroughServer, HeadIs405WithAllow) {
  client_.close();
  ASSERT_TRUE(client_.send_raw("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").ok());
  std::string got;
  for (int i = 0; i < 50; ++i) {
    auto chunk = client_.read_raw(std::chrono::milliseconds(200));
    if (!chunk.ok() || chunk->empty()) break;
    got += *chunk;
  }
  EXPECT_EQ(got.rfind("HTTP/1.1 405", 0), 0u) << got;
  EXPECT_NE(got.find("Allow: GET\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.substr(got.size() - 4), "\r\n\r\n") << "a HEAD answer has no body: " << got;
}

TEST_F(RoutesThroughServer, UnknownPathsCountUnderOther) {
  EXPECT_EQ(call("GET", "/v1/blocks/5/transactions").status, 404);
  EXPECT_EQ(call("GET", "/no/such/thing").status, 404);
  EXPECT_EQ(call("GET", "/v1/blocks/12").status, 404);
  const std::string metrics = call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("blockgate_http_requests_total{path=\"other\",code=\"404\"} 2\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("blockgate_http_requests_total{path=\"/v1/blocks/{height}\",code=\"404\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("5/transactions"), std::string::npos);
  EXPECT_EQ(metrics.find("/no/such"), std::string::npos);
}

}  // namespace
}  // namespace bg
