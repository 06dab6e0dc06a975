// Limits at the edge, against the real binary: bearer token (401), body size
// (413), slow and idle clients cut by timeouts, --max-connections, load
// shedding with 503 + Retry-After, and raw HTTP/1.1 framing (pipelining,
// HTTP/1.0, garbage).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/json.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::unique_ptr<ServerProcess> start(const TempDir& dir, std::vector<std::string> args) {
  auto s = std::make_unique<ServerProcess>(dir.path() + "/data", std::move(args));
  EXPECT_TRUE(s->started()) << s->log();
  return s;
}

// Reads until the peer closes (or `timeout`); returns what arrived.
std::string read_until_close(HttpClient& c, milliseconds timeout, bool* closed) {
  std::string all;
  *closed = false;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto r = c.read_raw(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
    if (!r.ok()) {
      *closed = !absl::IsDeadlineExceeded(r.status());
      break;
    }
    if (r->empty()) {
      *closed = true;
      break;
    }
    all += *r;
  }
  return all;
}

TEST(ServerLimitsTest, BearerTokenGuardsPosts) {
  TempDir dir;
  const std::string token_file = dir.path() + "/token";
  std::ofstream(token_file) << "s3cret-token\n";
  auto s = start(dir, {"--auth-token-file", token_file});
  HttpClient c = s->client();
  TxFactory txs;
  auto r = c.post("/v1/transactions", tx_json(txs.tx(1)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(parse_json(r->body).as_object()["error"], "unauthorized");
  r = c.post("/v1/transactions", tx_json(txs.tx(1)), "application/json", {{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(r->status, 401);
  r = c.post("/v1/blocks", "{}", "application/json", {{"Authorization", "Bearer s3cret-token-and-more"}});
  EXPECT_EQ(r->status, 401);
  r = c.post("/v1/transactions", tx_json(txs.tx(1)), "application/json", {{"Authorization", "Bearer s3cret-token"}});
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(str(results_of(r->body)[0].as_object()["status"]), "committed");
  // GETs stay open.
  EXPECT_EQ(c.get("/v1/blocks/1")->status, 200);
  EXPECT_EQ(c.get("/metrics")->status, 200);
}

TEST(ServerLimitsTest, BodyOverTheLimitIs413) {
  TempDir dir;
  auto s = start(dir, {"--max-body-bytes", "4096"});
  // Declared too large: answered from the header alone, then closed.
  HttpClient raw = s->client(milliseconds(5000));
  ASSERT_TRUE(raw.send_raw("POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: 100000\r\n\r\n")
                  .ok());
  bool closed = false;
  std::string got = read_until_close(raw, milliseconds(5000), &closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  EXPECT_NE(got.find("body_too_large"), std::string::npos);
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(closed);
  // Sent in full by an ordinary client: the answer still arrives.
  HttpClient c = s->client();
  auto r = c.post("/v1/transactions", std::string(5000, ' '));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 413);
  // At the limit is fine (whitespace around "[]" is valid JSON).
  std::string body = "[]" + std::string(4094, ' ');
  r = c.post("/v1/transactions", body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  // Chunked bodies are held to the same limit.
  HttpClient chunked = s->client(milliseconds(5000));
  std::string req = "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) req += "400\r\n" + std::string(1024, ' ') + "\r\n";
  req += "0\r\n\r\n";
  ASSERT_TRUE(chunked.send_raw(req).ok());
  got = read_until_close(chunked, milliseconds(5000), &closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
}

TEST(ServerLimitsTest, SlowAndIdleClientsAreCut) {
  TempDir dir;
  auto s = start(dir, {"--header-timeout-ms", "300", "--body-timeout-ms", "300", "--idle-timeout-ms", "600"});
  bool closed = false;
  // Slowloris: headers that never end.
  HttpClient slow = s->client(milliseconds(5000));
  auto t0 = Clock::now();
  ASSERT_TRUE(slow.send_raw("POST /v1/transactions HTTP/1.1\r\nHost: x\r\n").ok());
  std::string got = read_until_close(slow, milliseconds(5000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - t0, milliseconds(3000));
  // A body that never completes.
  HttpClient slow_body = s->client(milliseconds(5000));
  t0 = Clock::now();
  ASSERT_TRUE(slow_body.send_raw("POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[").ok());
  got = read_until_close(slow_body, milliseconds(5000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(Clock::now() - t0, milliseconds(3000));
  // Idle keep-alive connection: closed after the idle timeout...
  HttpClient idle = s->client(milliseconds(5000));
  ASSERT_TRUE(idle.connect().ok());
  t0 = Clock::now();
  got = read_until_close(idle, milliseconds(5000), &closed);
  EXPECT_TRUE(closed);
  EXPECT_GE(Clock::now() - t0, milliseconds(500));
  // ...and a client whose connection was closed while idle reconnects by itself.
  HttpClient c = s->client();
  ASSERT_EQ(c.get("/healthz")->status, 200);
  std::this_thread::sleep_for(milliseconds(900));
  auto r = c.get("/healthz");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
}

TEST(ServerLimitsTest, ConnectionsOverTheLimitAreRefused) {
  TempDir dir;
  auto s = start(dir, {"--max-connections", "2"});
  HttpClient a = s->client(), b = s->client();
  ASSERT_EQ(a.get("/healthz")->status, 200);
  ASSERT_EQ(b.get("/healthz")->status, 200);
  HttpClient c = s->client();
  auto r = c.get("/healthz");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("Retry-After"), "1");
  EXPECT_NE(r->body.find("too many connections"), std::string::npos);
  // A slot frees when a client leaves.
  a.close();
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    auto again = c.get("/healthz");
    status = again.ok() ? again->status : 0;
    if (status != 200) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(status, 200);
  auto m = b.get("/metrics");
  EXPECT_NE(m->body.find("blockgate_connections_refused_total "), std::string::npos);
  EXPECT_EQ(m->body.find("blockgate_connections_refused_total 0\n"), std::string::npos);
}

TEST(ServerLimitsTest, FullPipelineSheds503WithRetryAfter) {
  TempDir dir;
  // Four transactions fill the pipeline until their block commits (3 s: room
  // for a slow, shared test machine between the two requests).
  auto s = start(dir, {"--max-pending-txs", "4", "--block-interval-ms", "3000"});
  HttpClient c = s->client();
  TxFactory txs;
  auto r = c.post("/v1/transactions?wait=verify", txs_json({txs.tx(1), txs.tx(2), txs.tx(3), txs.tx(4)}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  r = c.post("/v1/transactions", tx_json(txs.tx(5)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("Retry-After"), "1");
  EXPECT_EQ(parse_json(r->body).as_object()["error"], "unavailable");
  // Once the block is durable the pipeline drains and the retry commits.
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    r = c.post("/v1/transactions?wait=verify", tx_json(txs.tx(5)));
    status = r.ok() ? r->status : 0;
  }
  EXPECT_EQ(status, 200);
  EXPECT_NE(c.get("/metrics")->body.find("blockgate_requests_shed_total "), std::string::npos);
}

TEST(ServerLimitsTest, RawHttpFraming) {
  TempDir dir;
  auto s = start(dir, {});
  bool closed = false;
  // Two pipelined requests: two answers, in order, on one connection.
  HttpClient p = s->client(milliseconds(5000));
  ASSERT_TRUE(p.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/blocks/9 HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  std::string got;
  for (int i = 0; i < 50 && got.find("not_found") == std::string::npos; ++i) {
    auto r = p.read_raw(milliseconds(2000));
    if (!r.ok() || r->empty()) break;
    got += *r;
  }
  const size_t first = got.find("HTTP/1.1 200"), second = got.find("HTTP/1.1 404");
  EXPECT_NE(first, std::string::npos) << got;
  EXPECT_NE(second, std::string::npos) << got;
  EXPECT_LT(first, second);
  // HTTP/1.0 without keep-alive: answered, then closed.
  HttpClient old = s->client(milliseconds(5000));
  ASSERT_TRUE(old.send_raw("GET /healthz HTTP/1.0\r\n\r\n").ok());
  got = read_until_close(old, milliseconds(5000), &closed);
  EXPECT_EQ(got.rfind("HTTP/1.0 200", 0), 0u) << got;
  EXPECT_TRUE(closed);
  // Expect: 100-continue gets its interim answer before the body is sent.
  HttpClient cont = s->client(milliseconds(5000));
  ASSERT_TRUE(cont.send_raw("POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n")
                  .ok());
  auto interim = cont.read_raw(milliseconds(3000));
  ASSERT_TRUE(interim.ok()) << interim.status();
  EXPECT_EQ(*interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(cont.send_raw("[]").ok());
  got.clear();
  for (int i = 0; i < 50 && got.find("{\"results\":[]}") == std::string::npos; ++i) {
    auto r = cont.read_raw(milliseconds(2000));
    if (!r.ok() || r->empty()) break;
    got += *r;
  }
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  // Garbage: 400, then closed.
  HttpClient bad = s->client(milliseconds(5000));
  ASSERT_TRUE(bad.send_raw("HELLO THERE\r\n\r\n").ok());
  got = read_until_close(bad, milliseconds(5000), &closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace bg::testing
