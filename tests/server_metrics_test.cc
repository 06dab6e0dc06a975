// Metrics: histogram buckets, quantile estimates and the Prometheus text.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <sstream>
#include <string>

#include "server/metrics.h"

namespace bg {
namespace {

TEST(ServerMetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  Histogram h({1, 10, 100});
  h.observe(0.5);
  h.observe(1);     // on a bound: counted in that bucket (le)
  h.observe(50, 3);
  h.observe(1000);  // only +Inf
  std::string out;
  h.render(out, "x_seconds", "help text");
  EXPECT_EQ(out,
            "# HELP x_seconds help text\n# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"1\"} 2\n"
            "x_seconds_bucket{le=\"10\"} 2\n"
            "x_seconds_bucket{le=\"100\"} 5\n"
            "x_seconds_bucket{le=\"+Inf\"} 6\n"
            "x_seconds_sum 1151.5\n"
            "x_seconds_count 6\n");
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(h.quantile(0.3), 1);
  EXPECT_EQ(h.quantile(0.5), 100);
  EXPECT_EQ(h.quantile(0.99), 100);  // +Inf reported as the largest bound
  EXPECT_EQ(Histogram({1}).quantile(0.5), 0);
}

TEST(ServerMetricsTest, RenderHasEveryFamilyOnce) {
  Metrics m;
  m.count_request("/v1/transactions", 200);
  m.count_request("/v1/transactions", 200);
  m.count_request("/v1/blocks", 409);
  m.count_txs(TxOutcome::kCommitted, 5);
  m.count_rejected(ErrorCode::kDuplicate, 2);
  MetricsSnapshot snap;
  snap.ledger_height = 7;
  snap.ready = true;
  snap.backend = "cpu";
  snap.backend_description = "cpu: \"quoted\" \\ thing";
  snap.ledger.index_filter_ids = 42;
  snap.ledger.index_filter_fp_rate = 0.007;
  snap.ledger.index_filter_ready = true;
  const std::string out = m.render(snap);
  for (const char* want : {"blockgate_http_requests_total{path=\"/v1/transactions\",code=\"200\"} 2\n",
                           "blockgate_http_requests_total{path=\"/v1/blocks\",code=\"409\"} 1\n",
                           "blockgate_transactions_total{outcome=\"committed\"} 5\n",
                           "blockgate_transactions_total{outcome=\"rejected\"} 2\n",
                           "blockgate_transactions_rejected_total{error=\"duplicate\"} 2\n",
                           "blockgate_ledger_height 7\n", "blockgate_ready 1\n",
                           "blockgate_ledger_index_filter_ids 42\n", "blockgate_ledger_index_filter_fp_rate 0.007\n",
                           "blockgate_ledger_index_filter_ready 1\n",
                           "blockgate_backend_info{backend=\"cpu\",description=\"cpu: \\\"quoted\\\" \\\\ thing\"} 1\n"})
    EXPECT_NE(out.find(want), std::string::npos) << want;
  // One TYPE line per family.
  size_t types = 0, pos = 0;
  while ((pos = out.find("# TYPE blockgate_http_requests_total", pos)) != std::string::npos) ++types, ++pos;
  EXPECT_EQ(types, 1u);
  // Every sample belongs to a family announced by a TYPE line before it.
  std::set<std::string> announced;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      announced.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!announced.count(name) && name.size() > strlen(suffix) &&
          name.compare(name.size() - strlen(suffix), std::string::npos, suffix) == 0)
        name.resize(name.size() - strlen(suffix));
    EXPECT_TRUE(announced.count(name)) << line;
  }
}

}  // namespace
}  // namespace bg
