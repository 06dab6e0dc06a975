// Storage faults seen through the HTTP API, with the server in-process so the
// ledger's system calls can fail on cue (FileOps): a full disk answers 503,
// loses nothing and recovers when space returns; a failed fsync stops the
// writer for good: 503 on every write and /readyz not ready.
#include <gtest/gtest.h>

#include <cerrno>
#include <thread>

#include "ledger/file_ops.h"
#include "server/server.h"
#include "testing/json.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

namespace json = boost::json;

class FlakyDisk : public FileOps {
 public:
  std::atomic<bool> full{false};
  std::atomic<bool> fsync_fails{false};
  ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) override {
    if (full.load()) {
      errno = ENOSPC;
      return -1;
    }
    return FileOps::pwrite(fd, buf, n, offset);
  }
  int fdatasync(int fd) override {
    if (fsync_fails.load()) {
      errno = EIO;
      return -1;
    }
    return FileOps::fdatasync(fd);
  }
};

class InProcessServer {
 public:
  InProcessServer(const std::string& dir, std::shared_ptr<FileOps> ops) {
    ServerOptions o;
    o.data_dir = dir;
    o.port = 0;
    o.backend = "cpu";
    o.block_interval_ms = 5;
    o.io_threads = 2;
    LedgerOptions lo;
    lo.file_ops = std::move(ops);
    auto s = Server::create(o, lo);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return;
    server_ = std::move(*s);
    thread_ = std::thread([this] { result_ = server_->run(/*handle_signals=*/false); });
  }
  ~InProcessServer() { stop(); }
  absl::Status stop() {
    if (thread_.joinable()) {
      server_->shutdown();
      thread_.join();
    }
    return result_;
  }
  HttpClient client() { return HttpClient("127.0.0.1", server_->port()); }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  absl::Status result_;
};

std::string status_of(const HttpResponse& r, size_t i = 0) {
  json::array a = results_of(r.body);
  return i < a.size() ? str(a[i].as_object()["status"]) : "";
}

TEST(ServerFaultsTest, DiskFullAnswers503AndRecovers) {
  TempDir dir;
  auto disk = std::make_shared<FlakyDisk>();
  InProcessServer s(dir.path() + "/data", disk);
  HttpClient c = s.client();
  TxFactory txs;
  ASSERT_EQ(status_of(*c.post("/v1/transactions", tx_json(txs.tx(1)))), "committed");

  disk->full = true;
  auto r = c.post("/v1/transactions", txs_json({txs.tx(2), txs.tx(3)}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(r->header("Retry-After"), "1");
  EXPECT_EQ(str(parse_json(r->body).as_object()["error"]), "unavailable");
  EXPECT_EQ(status_of(*r, 0), "unavailable");
  EXPECT_EQ(status_of(*r, 1), "unavailable");
  const TipInfo tip = latest_tip(c);
  auto b = c.post("/v1/blocks", block_to_json_text(block_on(tip, {txs.tx(4)})));
  EXPECT_EQ(b->status, 503) << b->body;
  EXPECT_EQ(c.get("/readyz")->status, 200);  // still willing to try
  EXPECT_EQ(c.get("/v1/transactions/" + to_hex(txs.tx(2).id()))->status, 404);

  // Space returns: the very same transactions commit (they were not kept as
  // pending or duplicate), and so does the block.
  disk->full = false;
  r = c.post("/v1/transactions", txs_json({txs.tx(2), txs.tx(3)}));
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(status_of(*r, 0), "committed");
  EXPECT_EQ(status_of(*r, 1), "committed");
  b = c.post("/v1/blocks", block_to_json_text(block_on(latest_tip(c), {txs.tx(4)})));
  EXPECT_EQ(b->status, 200) << b->body;
  EXPECT_TRUE(s.stop().ok());
}

TEST(ServerFaultsTest, FailedFsyncStopsWritesAndReadiness) {
  TempDir dir;
  auto disk = std::make_shared<FlakyDisk>();
  InProcessServer s(dir.path() + "/data", disk);
  HttpClient c = s.client();
  TxFactory txs;
  ASSERT_EQ(status_of(*c.post("/v1/transactions", tx_json(txs.tx(1)))), "committed");
  disk->fsync_fails = true;
  auto r = c.post("/v1/transactions", tx_json(txs.tx(2)));
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(status_of(*r), "unavailable");
  disk->fsync_fails = false;  // too late: no retry-and-hope
  r = c.get("/readyz");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(str(parse_json(r->body).as_object()["status"]), "not_ready");
  r = c.post("/v1/transactions", tx_json(txs.tx(3)));
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("Retry-After"), "1");
  EXPECT_EQ(c.post("/v1/blocks", block_to_json_text(block_on(latest_tip(c), {txs.tx(4)})))->status, 503);
  // Reads still work.
  EXPECT_EQ(c.get("/v1/blocks/1")->status, 200);
  EXPECT_EQ(c.get("/healthz")->status, 200);
  EXPECT_NE(c.get("/metrics")->body.find("blockgate_ready 0\n"), std::string::npos);
  s.stop();
}

}  // namespace
}  // namespace bg::testing
