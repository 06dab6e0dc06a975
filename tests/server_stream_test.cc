// GET /v1/stream against the real binary: NDJSON, chunked, history first and
// then live blocks, every height exactly once and in order, while other
// clients commit transactions and blocks concurrently.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "testing/json.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

using std::chrono::milliseconds;
namespace json = boost::json;

// Reads NDJSON lines from an open stream.
class LineReader {
 public:
  explicit LineReader(HttpClient& c) : c_(c) {}
  // The next complete line, or "" on timeout / end.
  std::string next(milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= milliseconds(0)) return "";
      auto r = c_.read_stream(left);
      if (!r.ok() || r->empty()) return "";  // quiet (the stream stays open) or ended
      buf_ += *r;
    }
  }

 private:
  HttpClient& c_;
  std::string buf_;
};

// Height of a streamed block after checking that the line is a whole block
// whose "hash" is its header's hash.
uint64_t checked_height(const std::string& line) {
  Block b;
  BlockDecodeError e = decode_block_json_text(line, kDefaultMaxPayload, &b);
  EXPECT_TRUE(e.ok()) << "[" << line.substr(0, 200) << "] " << e.detail;
  if (!e.ok()) return ~0ull;
  json::value v = parse_json(line);
  EXPECT_EQ(str(v.as_object()["hash"]), to_hex(b.header.hash()));
  return b.header.height;
}

void commit(HttpClient& c, const Transaction& tx) {
  auto r = c.post("/v1/transactions", tx_json(tx));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(str(results_of(r->body)[0].as_object()["status"]), "committed") << r->body;
}

class ServerStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/data", std::vector<std::string>{"--block-interval-ms", "5"});
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
  }
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  TxFactory txs_;
};

TEST_F(ServerStreamTest, HistoryThenLiveEveryHeightOnce) {
  HttpClient poster = server_->client();
  for (uint64_t i = 0; i < 3; ++i) commit(poster, txs_.tx(i));  // heights 1..3

  HttpClient s = server_->client(milliseconds(10000));
  auto head = s.open_stream("/v1/stream?from=0");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Type"), "application/x-ndjson");
  EXPECT_EQ(head->header("Transfer-Encoding"), "chunked");
  LineReader lines(s);
  for (uint64_t h = 0; h <= 3; ++h) EXPECT_EQ(checked_height(lines.next(milliseconds(5000))), h);

  // Live: blocks committed by other clients, sealed and POSTed whole, arrive in
  // order with nothing skipped or repeated.
  constexpr int kPosters = 3, kTxsEach = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kPosters; ++p)
    threads.emplace_back([&, p] {
      HttpClient c = server_->client();
      for (int i = 0; i < kTxsEach; ++i) {
        auto r = c.post("/v1/transactions", tx_json(txs_.tx(100 + p * kTxsEach + i)));
        if (!r.ok() || r->status != 200) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  const Block whole = block_on(latest_tip(poster), {txs_.tx(500), txs_.tx(501)});
  auto posted = poster.post("/v1/blocks", block_to_json_text(whole));
  ASSERT_TRUE(posted.ok());
  ASSERT_EQ(posted->status, 200) << posted->body;
  const uint64_t tip = parse_json(poster.get("/v1/blocks/latest")->body).as_object()["header"].as_object()["height"]
                           .to_number<uint64_t>();
  ASSERT_GT(tip, 3u);
  for (uint64_t h = 4; h <= tip; ++h) ASSERT_EQ(checked_height(lines.next(milliseconds(5000))), h);
  // Nothing beyond the tip until the next commit; then exactly that block.
  EXPECT_EQ(lines.next(milliseconds(200)), "");
  commit(poster, txs_.tx(999));
  EXPECT_EQ(checked_height(lines.next(milliseconds(5000))), tip + 1);
}

TEST_F(ServerStreamTest, DefaultStartsAtTheNextBlockAndFutureFromWaits) {
  HttpClient poster = server_->client();
  commit(poster, txs_.tx(1));  // height 1
  HttpClient s = server_->client(milliseconds(10000));
  ASSERT_TRUE(s.open_stream("/v1/stream").ok());
  LineReader lines(s);
  HttpClient ahead = server_->client(milliseconds(10000));
  ASSERT_TRUE(ahead.open_stream("/v1/stream?from=3").ok());
  LineReader ahead_lines(ahead);
  EXPECT_EQ(lines.next(milliseconds(200)), "");
  commit(poster, txs_.tx(2));  // height 2
  EXPECT_EQ(checked_height(lines.next(milliseconds(5000))), 2u);
  EXPECT_EQ(ahead_lines.next(milliseconds(200)), "");
  commit(poster, txs_.tx(3));  // height 3
  EXPECT_EQ(checked_height(lines.next(milliseconds(5000))), 3u);
  EXPECT_EQ(checked_height(ahead_lines.next(milliseconds(5000))), 3u);

  auto r = poster.get("/v1/stream?from=abc");
  EXPECT_EQ(r->status, 400);
}

TEST_F(ServerStreamTest, ConsumersThatLeaveAreReleased) {
  HttpClient poster = server_->client();
  {
    HttpClient s = server_->client();
    ASSERT_TRUE(s.open_stream("/v1/stream?from=0").ok());
    LineReader lines(s);
    EXPECT_EQ(checked_height(lines.next(milliseconds(5000))), 0u);
    auto m = poster.get("/metrics");
    EXPECT_NE(m->body.find("blockgate_streams_open 1\n"), std::string::npos);
  }  // the consumer disconnects while waiting for a block
  bool released = false;
  for (int i = 0; i < 200 && !released; ++i) {
    released = poster.get("/metrics")->body.find("blockgate_streams_open 0\n") != std::string::npos;
    if (!released) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(released);
  commit(poster, txs_.tx(5));  // the server carries on
}

}  // namespace
}  // namespace bg::testing
