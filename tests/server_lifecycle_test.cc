// The serve process itself: the one listening line, clean exit 0 on SIGTERM
// and SIGINT after finishing in-flight commits, streams ended on shutdown,
// committed transactions surviving restarts and kill -9, and start-up
// failures (bad flags, port in use) reported with a non-zero exit.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <thread>

#include "host/fd.h"
#include "testing/json.h"
#include "testing/process.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

using std::chrono::milliseconds;
namespace json = boost::json;

TEST(ServerLifecycleTest, OneListeningLineThenSigtermExitsZero) {
  TempDir dir;
  ServerProcess s(dir.path() + "/data");
  ASSERT_TRUE(s.started()) << s.stderr_text();
  EXPECT_TRUE(std::regex_match(s.listening_line(), std::regex(R"(blockgate listening on http://127\.0\.0\.1:\d+)")))
      << s.listening_line();
  HttpClient c = s.client();
  ASSERT_EQ(c.get("/healthz")->status, 200);
  s.signal(SIGTERM);
  EXPECT_EQ(s.wait_exit(milliseconds(15000)), 0) << s.stderr_text();
  EXPECT_EQ(s.stdout_text(), s.listening_line() + "\n");  // exactly one stdout line
}

// `serve 2>&1 | head -1`, or a log shipper that restarts: the reader of the
// server's output goes away. Its next log lines fail; it keeps serving and
// still drains and exits 0, rather than dying of SIGPIPE at the first one.
TEST(ServerLifecycleTest, SurvivesItsLogReaderGoingAway) {
  TempDir dir;
  // The child gets SIGPIPE's default action, as from a shell (an ignored
  // signal would be inherited through exec and hide the failure).
  struct sigaction dfl {}, old{};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, &old);
  int out_fd = -1, err_fd = -1;
  const pid_t pid = spawn({blockgate_binary(), "serve", "--data", dir.path() + "/data", "--listen", "127.0.0.1:0",
                           "--backend", "cpu"},
                          &out_fd, &err_fd);
  sigaction(SIGPIPE, &old, nullptr);
  ASSERT_GT(pid, 0);
  UniqueFd out(out_fd), err(err_fd);
  std::string line;
  char c;
  while (line.find('\n') == std::string::npos && read(out.get(), &c, 1) == 1) line.push_back(c);
  const std::smatch m = [&] {
    std::smatch r;
    std::regex_search(line, r, std::regex(R"(http://127\.0\.0\.1:(\d+))"));
    return r;
  }();
  ASSERT_FALSE(m.empty()) << line;
  err.reset();  // nobody reads its log any more
  out.reset();
  HttpClient client("127.0.0.1", uint16_t(std::stoi(m[1].str())));
  auto health = client.get("/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  kill(pid, SIGTERM);  // "signal 15, draining" and "stopped cleanly" go nowhere
  int st = 0, exit_code = -1;
  for (int i = 0; i < 300 && exit_code < 0; ++i) {
    if (waitpid(pid, &st, WNOHANG) == pid) exit_code = decode_wait_status(st);
    else std::this_thread::sleep_for(milliseconds(50));
  }
  if (exit_code < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  EXPECT_EQ(exit_code, 0) << "128 + 13 is death by SIGPIPE";
}

TEST(ServerLifecycleTest, SigtermFinishesInFlightCommits) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  TxFactory txs;
  std::vector<Transaction> batch;
  for (int i = 0; i < 20; ++i) batch.push_back(txs.tx(i));
  {
    // The block interval is long, so the transactions are still waiting for
    // their block when the signal arrives.
    ServerProcess s(data, {"--block-interval-ms", "2000"});
    ASSERT_TRUE(s.started()) << s.stderr_text();
    absl::StatusOr<HttpResponse> answer;
    std::thread poster([&] {
      HttpClient c = s.client();
      answer = c.post("/v1/transactions", txs_json(batch));
    });
    HttpClient probe = s.client();
    bool admitted = false;
    for (int i = 0; i < 500 && !admitted; ++i) {
      admitted = probe.get("/metrics")->body.find("blockgate_pending_transactions 20\n") != std::string::npos;
      if (!admitted) std::this_thread::sleep_for(milliseconds(5));
    }
    ASSERT_TRUE(admitted);
    s.signal(SIGTERM);
    poster.join();
    ASSERT_TRUE(answer.ok()) << answer.status();
    ASSERT_EQ(answer->status, 200) << answer->body;
    json::array res = results_of(answer->body);
    ASSERT_EQ(res.size(), batch.size());
    for (const auto& r : res) EXPECT_EQ(str(r.as_object().at("status")), "committed");
    EXPECT_EQ(s.wait_exit(milliseconds(15000)), 0) << s.stderr_text();
  }
  // After a restart every one of them is there.
  ServerProcess again(data);
  ASSERT_TRUE(again.started()) << again.stderr_text();
  HttpClient c = again.client();
  for (const Transaction& t : batch) EXPECT_EQ(c.get("/v1/transactions/" + to_hex(t.id()))->status, 200);
  // And they are duplicates now.
  EXPECT_EQ(str(results_of(c.post("/v1/transactions", tx_json(batch[3]))->body)[0].as_object()["error"]), "duplicate");
}

TEST(ServerLifecycleTest, SigintEndsStreamsAndExitsZero) {
  TempDir dir;
  ServerProcess s(dir.path() + "/data");
  ASSERT_TRUE(s.started()) << s.stderr_text();
  HttpClient stream = s.client(milliseconds(10000));
  ASSERT_TRUE(stream.open_stream("/v1/stream?from=0").ok());
  auto first = stream.read_stream(milliseconds(5000));
  ASSERT_TRUE(first.ok());
  EXPECT_NE(first->find("\"height\":0"), std::string::npos);
  s.signal(SIGINT);
  // The feed ends properly (last chunk), then the process exits 0.
  std::string rest;
  for (int i = 0; i < 100; ++i) {
    auto r = stream.read_stream(milliseconds(10000));
    if (!r.ok() || r->empty()) {
      EXPECT_TRUE(r.ok()) << r.status();
      break;
    }
    rest += *r;
  }
  EXPECT_EQ(rest, "");
  EXPECT_EQ(s.wait_exit(milliseconds(15000)), 0) << s.stderr_text();
}

TEST(ServerLifecycleTest, CommittedSurvivesKill9) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  TxFactory txs;
  std::vector<std::string> ids;
  uint64_t height = 0;
  ServerProcess s(data, {"--block-interval-ms", "5"});
  ASSERT_TRUE(s.started()) << s.stderr_text();
  {
    HttpClient c = s.client();
    for (int i = 0; i < 10; ++i) {
      auto r = c.post("/v1/transactions", txs_json({txs.tx(2 * i), txs.tx(2 * i + 1)}));
      ASSERT_TRUE(r.ok());
      for (const auto& res : results_of(r->body)) {
        ASSERT_EQ(str(res.as_object().at("status")), "committed");
        ids.push_back(str(res.as_object().at("id")));
        height = std::max<uint64_t>(height, res.as_object().at("height").to_number<uint64_t>());
      }
    }
  }
  EXPECT_EQ(s.kill9(), 128 + SIGKILL);
  // The same data directory and flags, a fresh process on a fresh port.
  ASSERT_TRUE(s.restart()) << s.log();
  HttpClient c = s.client();
  EXPECT_GE(latest_tip(c).height, height);
  for (const std::string& id : ids) EXPECT_EQ(c.get("/v1/transactions/" + id)->status, 200) << id;
}

TEST(ServerLifecycleTest, StartupFailuresExitNonZero) {
  TempDir dir;
  ServerProcess first(dir.path() + "/a");
  ASSERT_TRUE(first.started());
  // The port is taken.
  ServerProcess second(dir.path() + "/b", {"--listen", "127.0.0.1:" + std::to_string(first.port())});
  EXPECT_FALSE(second.started());
  EXPECT_EQ(second.wait_exit(milliseconds(10000)), 1);
  EXPECT_NE(second.stderr_text().find("cannot listen"), std::string::npos) << second.stderr_text();
  // Unknown flag, bad number, unknown backend.
  ServerProcess bad_flag(dir.path() + "/c", {"--frobnicate", "1"});
  EXPECT_EQ(bad_flag.wait_exit(milliseconds(10000)), 2);
  ServerProcess bad_number(dir.path() + "/d", {"--max-body-bytes", "lots"});
  EXPECT_EQ(bad_number.wait_exit(milliseconds(10000)), 2);
  ServerProcess bad_backend(dir.path() + "/e", {"--backend", "abacus"});
  EXPECT_EQ(bad_backend.wait_exit(milliseconds(10000)), 1);
  ServerProcess missing_token(dir.path() + "/f", {"--auth-token-file", dir.path() + "/nope"});
  EXPECT_EQ(missing_token.wait_exit(milliseconds(10000)), 2);
}

}  // namespace
}  // namespace bg::testing
