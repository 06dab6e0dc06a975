// The status page end to end: the real server serves it, headless Chromium
// runs its JavaScript against the live API, and the rendered DOM must show the
// ledger's real current height and tip. Skipped only without /usr/bin/chromium.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>

#include "server/http_client.h"
#include "server/loadgen.h"
#include "server/status_page.h"
#include "testing/process.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace bg {
namespace {

using testing::ServerProcess;
using testing::TempDir;

constexpr const char* kChromium = "/usr/bin/chromium";

std::vector<std::string> chromium_args(const std::string& profile_dir) {
  return {kChromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--user-data-dir=" + profile_dir,
          "--virtual-time-budget=3000"};
}

TEST(StatusPage, IsSelfContained) {
  const std::string page(server::status_page_html());
  EXPECT_NE(page.find("<!doctype html>"), std::string::npos);
  // No external scripts, styles, images or fonts: everything is inline.
  EXPECT_FALSE(std::regex_search(page, std::regex(R"((src|href)\s*=\s*["']?(https?:)?//)")));
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  // It reads the API it documents.
  EXPECT_NE(page.find("/v1/status"), std::string::npos);
  EXPECT_NE(page.find("/v1/blocks/latest"), std::string::npos);
}

TEST(StatusPage, ChromiumRendersLiveHeight) {
  if (access(kChromium, X_OK) != 0) GTEST_SKIP() << kChromium << " is not installed";
  TempDir tmp("status-page");
  ServerProcess server;
  ASSERT_TRUE(server.start(tmp.sub("data"), {"--backend", "cpu", "--block-interval-ms", "5"}))
      << server.log();

  // Three requests, one connection, wait=commit: at least one block per request.
  LoadPlanOptions plan_opts;
  plan_opts.transactions = 12;
  plan_opts.batch = 4;
  plan_opts.scheme = "mixed";
  auto plan = build_load_plan(plan_opts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  LoadRunOptions run_opts;
  auto url = parse_http_url(server.url());
  ASSERT_TRUE(url.ok());
  run_opts.url = *url;
  run_opts.connections = 1;
  LoadReport report = run_load(*plan, run_opts);
  ASSERT_TRUE(report.all_ok()) << format_report(report, WaitMode::kCommit) << server.log();

  HttpClient client(server.host(), server.port());
  auto index = client.get("/");
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->status, 200);
  EXPECT_NE(index->header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_EQ(index->body, server::status_page_html());

  auto latest = client.get("/v1/blocks/latest");
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->status, 200);
  boost::json::value tip = boost::json::parse(latest->body);
  const int64_t height = tip.at("header").at("height").as_int64();
  const std::string tip_hash(tip.at("hash").as_string());
  ASSERT_GE(height, 3);

  auto dump = chromium_args(tmp.sub("profile"));
  dump.push_back("--dump-dom");
  dump.push_back(server.url() + "/");
  auto dom = testing::run_command(dump, std::chrono::seconds(60));
  ASSERT_EQ(dom.exit_code, 0) << dom.output;

  // The height card is filled in by the page's JavaScript ("-" before it runs).
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom.output, m, std::regex(R"re(id="height">(\d+)<)re"))) << dom.output;
  EXPECT_EQ(std::stoll(m[1]), height);
  // The latest-blocks table lists the tip (hash in the title attribute) and
  // the blocks below it, fetched one by one.
  EXPECT_NE(dom.output.find("title=\"" + tip_hash + "\""), std::string::npos) << dom.output;
  EXPECT_NE(dom.output.find("<td class=\"num\">" + std::to_string(height - 1) + "</td>"), std::string::npos);
  EXPECT_TRUE(std::regex_search(dom.output, std::regex(R"re(id="conn"[^>]*class="ok"[^>]*>live<)re")));

  // A screenshot for people (docs/status-page.png is made this way). Written
  // where BLOCKGATE_SCREENSHOT says, else into the temporary directory.
  const char* shot_env = std::getenv("BLOCKGATE_SCREENSHOT");
  const std::string shot = shot_env && *shot_env ? shot_env : tmp.sub("status-page.png");
  auto snap = chromium_args(tmp.sub("profile"));
  snap.push_back("--window-size=1200,800");
  snap.push_back("--screenshot=" + shot);
  snap.push_back(server.url() + "/");
  auto snapped = testing::run_command(snap, std::chrono::seconds(60));
  ASSERT_EQ(snapped.exit_code, 0) << snapped.output;
  std::ifstream png(shot, std::ios::binary);
  char magic[8] = {};
  png.read(magic, 8);
  EXPECT_EQ(std::string(magic, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

}  // namespace
}  // namespace bg
