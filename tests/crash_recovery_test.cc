// The durability promise (SPEC §4) with a real kill -9: signed load runs
// against the real server, the server is killed at a seeded random moment,
// restarted on the same data, and every transaction that was answered
// `committed` must be found at the same height and index; `blockgate audit`
// must then accept the whole ledger.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <iostream>
#include <random>
#include <thread>

#include "server/http_client.h"
#include "server/loadgen.h"
#include "testing/process.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace bg {
namespace {

using testing::ServerProcess;
using testing::TempDir;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::string> kServeFlags = {"--backend", "cpu", "--block-interval-ms", "5"};

// Every committed answer must be in the ledger where the server said it was.
void expect_all_found(const ServerProcess& server, const std::vector<CommittedTx>& committed) {
  HttpClient c(server.host(), server.port());
  size_t missing = 0, moved = 0;
  for (const CommittedTx& tx : committed) {
    auto got = c.get("/v1/transactions/" + to_hex(tx.id));
    ASSERT_TRUE(got.ok()) << got.status();
    if (got->status == 404) {
      if (++missing <= 3) ADD_FAILURE() << "committed transaction " << to_hex(tx.id) << " lost";
      continue;
    }
    ASSERT_EQ(got->status, 200) << got->body;
    boost::json::value v = boost::json::parse(got->body);
    EXPECT_EQ(std::string(v.at("id").as_string()), to_hex(tx.id));
    if (uint64_t(v.at("height").as_int64()) != tx.height || uint64_t(v.at("index").as_int64()) != tx.index) {
      if (++moved <= 3)
        ADD_FAILURE() << to_hex(tx.id) << " answered at " << tx.height << "/" << tx.index << ", found at "
                      << v.at("height") << "/" << v.at("index");
    }
  }
  EXPECT_EQ(missing, 0u) << "of " << committed.size() << " committed";
  EXPECT_EQ(moved, 0u);
}

TEST(CrashRecovery, KillNineLosesNoCommittedTransaction) {
  TempDir tmp("crash");
  const std::string data = tmp.sub("data");
  std::mt19937_64 rng(20261126);  // fixed seed: the same kill schedule every run
  std::vector<CommittedTx> all_committed;
  ServerProcess server;

  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_TRUE(server.start(data, kServeFlags)) << server.log();
    // What earlier rounds committed survived the previous kill.
    expect_all_found(server, all_committed);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "round " << round << " server log:\n" << server.log();
      return;
    }

    LoadPlanOptions plan_opts;
    plan_opts.scheme = "mixed";
    plan_opts.transactions = 10000;
    plan_opts.batch = 20;
    plan_opts.seed = 100 + round;
    plan_opts.run_nonce = 1000 + round;
    auto plan = build_load_plan(plan_opts);
    ASSERT_TRUE(plan.ok()) << plan.status();
    auto url = parse_http_url(server.url());
    ASSERT_TRUE(url.ok());
    std::atomic<size_t> progress{0};
    LoadRunOptions run_opts;
    run_opts.url = *url;
    run_opts.connections = 4;
    run_opts.keep_committed = true;
    run_opts.stop_on_transport_error = true;
    run_opts.progress = &progress;
    run_opts.timeout = seconds(20);
    LoadReport report;
    std::thread load([&] { report = run_load(*plan, run_opts); });

    // Kill at a seeded random point of the load, measured in committed
    // transactions rather than time, so a faster machine still kills mid-load;
    // other requests are in flight at that moment on the other connections.
    const size_t kill_after = std::uniform_int_distribution<size_t>(200, 6000)(rng);
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (progress.load() < kill_after && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(1));
    const size_t at_kill = progress.load();
    EXPECT_EQ(server.stop(SIGKILL), 128 + SIGKILL);
    load.join();

    // Every answer the load saw before the kill was right.
    EXPECT_EQ(report.wrong_answers, 0u) << format_report(report, WaitMode::kCommit);
    EXPECT_EQ(report.http_errors, 0u) << format_report(report, WaitMode::kCommit);
    EXPECT_GT(report.committed.size(), 0u);
    EXPECT_GE(report.committed.size(), at_kill);
    // The kill landed mid-load, not after it.
    EXPECT_LT(report.committed.size(), plan_opts.transactions) << "load finished before the kill";
    all_committed.insert(all_committed.end(), report.committed.begin(), report.committed.end());
    std::cout << "round " << round << ": killed with " << report.committed.size() << " of "
              << plan_opts.transactions << " answered committed (kill planned after " << kill_after << ")\n";
  }

  ASSERT_TRUE(server.start(data, kServeFlags)) << server.log();
  expect_all_found(server, all_committed);
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();

  auto audit = testing::run_command({testing::blockgate_binary(), "audit", "--data", data}, seconds(60));
  EXPECT_EQ(audit.exit_code, 0) << audit.output;
  EXPECT_NE(audit.output.find("audit ok:"), std::string::npos) << audit.output;
}

}  // namespace
}  // namespace bg
