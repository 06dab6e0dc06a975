// Request handling without sockets: the Api over a real ledger, backend,
// batcher and sealer, wired as the server wires them (make_server_core),
// answering through a Reply that fulfils a promise.
#include <gtest/gtest.h>

#include <future>

#include "ledger/ledger.h"
#include "server/api.h"
#include "server/server_core.h"
#include "testing/json.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

namespace http = boost::beast::http;

class PromiseReply : public Reply {
 public:
  void send(HttpResponseMsg res) override { response_.set_value(std::move(res)); }
  void stream_blocks(uint64_t from, StreamFormat) override { stream_from_.set_value(from); }
  std::future<HttpResponseMsg> response() { return response_.get_future(); }
  std::future<uint64_t> stream_from() { return stream_from_.get_future(); }

 private:
  std::promise<HttpResponseMsg> response_;
  std::promise<uint64_t> stream_from_;
};

class ServerHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    opts_.block_interval_ms = 5;
    auto l = Ledger::open(dir_.path() + "/data");
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = std::move(*l);
    auto b = make_backend("cpu");
    ASSERT_TRUE(b.ok());
    backend_ = std::move(*b);
    // Completions run where they are posted from: fine without io threads.
    core_ = make_server_core({opts_, *ledger_, *backend_, metrics_, draining_, [](std::function<void()> f) { f(); }, {}});
  }
  void TearDown() override {
    if (core_.pipeline) core_.pipeline->stop();
    if (core_.sealer) core_.sealer->stop();
  }

  HttpResponseMsg call(http::verb method, const std::string& target, std::string body = {},
                       const std::string& type = "application/json") {
    HttpRequest req{method, target, 11};
    if (!body.empty()) req.set(http::field::content_type, type);
    req.body() = std::move(body);
    req.prepare_payload();
    auto reply = std::make_shared<PromiseReply>();
    auto fut = reply->response();
    core_.api->handle(std::move(req), reply);
    EXPECT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return fut.get();
  }

  TempDir dir_{"handler"};
  ServerOptions opts_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<VerifyBackend> backend_;
  Metrics metrics_;
  std::atomic<bool> draining_{false};
  ServerCore core_;
};

TEST_F(ServerHandlerTest, RoutesAndWholeRequestErrors) {
  EXPECT_EQ(call(http::verb::get, "/healthz").result_int(), 200);
  EXPECT_EQ(call(http::verb::get, "/readyz").result_int(), 200);
  EXPECT_EQ(call(http::verb::get, "/nowhere").result_int(), 404);
  HttpResponseMsg r = call(http::verb::get, "/v1/blocks");
  EXPECT_EQ(r.result_int(), 405);
  EXPECT_EQ(r[http::field::allow], "POST");
  EXPECT_EQ(call(http::verb::post, "/v1/transactions", "[]", "text/csv").result_int(), 415);
  EXPECT_EQ(call(http::verb::post, "/v1/transactions", "nope").result_int(), 400);
  draining_ = true;
  EXPECT_EQ(call(http::verb::get, "/readyz").result_int(), 503);
  EXPECT_EQ(call(http::verb::post, "/v1/blocks", "{\"header\":{\"version\":1,\"height\":1,\"prev_hash\":\"" +
                                                      std::string(64, '0') + "\",\"merkle_root\":\"" +
                                                      std::string(64, '0') +
                                                      "\",\"timestamp_ms\":0,\"tx_count\":0},\"transactions\":[]}")
                .result_int(),
            503);
}

TEST_F(ServerHandlerTest, RouteLabelsKeepIdsOutOfMetrics) {
  EXPECT_EQ(Api::route_of("/v1/blocks/17"), "/v1/blocks/{height}");
  EXPECT_EQ(Api::route_of("/v1/blocks/latest"), "/v1/blocks/latest");
  EXPECT_EQ(Api::route_of("/v1/transactions/ab?x=1"), "/v1/transactions/{id}");
  EXPECT_EQ(Api::route_of("/v1/transactions?wait=verify"), "/v1/transactions");
  EXPECT_EQ(Api::route_of("/etc/passwd"), "other");
}

TEST_F(ServerHandlerTest, TransactionCommitsThroughTheWholePipeline) {
  TxFactory txs;
  const Transaction t = txs.tx(1);
  HttpResponseMsg r = call(http::verb::post, "/v1/transactions", tx_json(t));
  ASSERT_EQ(r.result_int(), 200) << r.body();
  EXPECT_EQ(r.body(), R"({"results":[{"id":")" + to_hex(t.id()) + R"(","status":"committed","height":1,"index":0}]})");
  EXPECT_EQ(ledger_->durable_tip().height, 1u);
  EXPECT_EQ(call(http::verb::get, "/v1/transactions/" + to_hex(t.id())).result_int(), 200);
}

TEST_F(ServerHandlerTest, StreamRequestsHandTheConnectionOver) {
  for (auto [target, want] : std::vector<std::pair<std::string, uint64_t>>{{"/v1/stream", 1}, {"/v1/stream?from=0", 0},
                                                                           {"/v1/stream?x=1&from=42", 42}}) {
    HttpRequest req{http::verb::get, target, 11};
    auto reply = std::make_shared<PromiseReply>();
    auto fut = reply->stream_from();
    core_.api->handle(std::move(req), reply);
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(1)), std::future_status::ready);
    EXPECT_EQ(fut.get(), want) << target;
  }
}

}  // namespace
}  // namespace bg::testing
