// GET /v1/stream against the real server while blocks keep being committed:
// a consumer reads from height 0, hangs up midway, reconnects from the next
// height and must see every height exactly once, each block well-formed and
// linked to the one before it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "host/block.h"
#include "server/http_client.h"
#include "server/loadgen.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace bg {
namespace {

using testing::ServerProcess;
using testing::TempDir;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Reads whole ndjson lines from an open stream; a partial line at hang-up is
// discarded by the caller, exactly like a real downstream node would.
class LineReader {
 public:
  explicit LineReader(HttpClient* c) : c_(c) {}
  // The next complete line; DeadlineExceeded when none arrives in time.
  absl::StatusOr<std::string> next(milliseconds timeout) {
    for (;;) {
      if (size_t nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;  // tolerate keep-alive blank lines
        return line;
      }
      auto chunk = c_->read_stream(timeout);
      if (!chunk.ok()) return chunk.status();
      if (chunk->empty()) return absl::OutOfRangeError("stream ended");
      buf_ += *chunk;
    }
  }

 private:
  HttpClient* c_;
  std::string buf_;
};

struct Seen {
  std::vector<uint64_t> heights;
  std::vector<Block> blocks;
};

// Decodes one line as a JSON block and checks what needs no ledger: the hash
// is the header's, the Merkle root matches the transactions.
::testing::AssertionResult take_block(const std::string& line, Seen* seen) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(line, ec);
  if (ec) return ::testing::AssertionFailure() << "line is not JSON: " << line.substr(0, 200);
  Block b;
  BlockDecodeError err = decode_block_json(v, kDefaultMaxPayload, &b);
  if (!err.ok()) return ::testing::AssertionFailure() << "line is not a block: " << err.detail;
  const boost::json::value* hash = v.as_object().if_contains("hash");
  if (hash == nullptr || !hash->is_string() || std::string(hash->get_string()) != to_hex(b.header.hash()))
    return ::testing::AssertionFailure() << "hash does not match the header at height " << b.header.height;
  if (compute_merkle_root(b.txs) != b.header.merkle_root)
    return ::testing::AssertionFailure() << "merkle root mismatch at height " << b.header.height;
  seen->heights.push_back(b.header.height);
  seen->blocks.push_back(std::move(b));
  return ::testing::AssertionSuccess();
}

TEST(Stream, ReconnectSeesEveryHeightExactlyOnceWhileCommitting) {
  TempDir tmp("stream");
  ServerProcess server;
  ASSERT_TRUE(server.start(tmp.sub("data"), {"--backend", "cpu", "--block-interval-ms", "5"}))
      << server.log();
  auto url = parse_http_url(server.url());
  ASSERT_TRUE(url.ok());

  // Producer: one connection, small batches, wait=commit, so each request
  // seals at least one block; it keeps going until the consumer is done.
  LoadPlanOptions plan_opts;
  plan_opts.transactions = 3000;
  plan_opts.batch = 5;
  auto plan = build_load_plan(plan_opts);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::atomic<bool> stop{false};
  std::atomic<size_t> progress{0};
  LoadRunOptions run_opts;
  run_opts.url = *url;
  run_opts.connections = 1;
  run_opts.stop = &stop;
  run_opts.progress = &progress;
  LoadReport report;
  std::thread producer([&] { report = run_load(*plan, run_opts); });
  // Some history first, so the stream must serve stored blocks then live ones.
  const auto history_deadline = std::chrono::steady_clock::now() + seconds(20);
  while (progress.load() < 50 && std::chrono::steady_clock::now() < history_deadline)
    std::this_thread::sleep_for(milliseconds(5));

  constexpr size_t kFirstLeg = 15;    // blocks read before hanging up
  constexpr uint64_t kTarget = 60;    // read until this height has arrived
  Seen seen;
  {
    HttpClient c(url->host, url->port);
    auto head = c.open_stream("/v1/stream?from=0");
    ASSERT_TRUE(head.ok()) << head.status();
    ASSERT_EQ(head->status, 200);
    EXPECT_NE(head->header("Content-Type").find("application/x-ndjson"), std::string::npos);
    LineReader lines(&c);
    while (seen.heights.size() < kFirstLeg) {
      auto line = lines.next(seconds(10));
      ASSERT_TRUE(line.ok()) << line.status();
      ASSERT_TRUE(take_block(*line, &seen));
    }
    c.close();  // abrupt hang-up in the middle of the feed
  }
  const uint64_t resume = seen.heights.back() + 1;
  {
    HttpClient c(url->host, url->port);
    auto head = c.open_stream("/v1/stream?from=" + std::to_string(resume));
    ASSERT_TRUE(head.ok()) << head.status();
    ASSERT_EQ(head->status, 200);
    LineReader lines(&c);
    while (seen.heights.back() < kTarget) {
      auto line = lines.next(seconds(10));
      ASSERT_TRUE(line.ok()) << line.status() << " after height " << seen.heights.back();
      ASSERT_TRUE(take_block(*line, &seen));
    }
  }
  const size_t before_stop = progress.load();
  stop = true;
  producer.join();
  EXPECT_EQ(report.wrong_answers, 0u) << format_report(report, WaitMode::kCommit);
  EXPECT_EQ(report.http_errors, 0u) << format_report(report, WaitMode::kCommit);
  // The producer was still committing while the consumer read live blocks.
  EXPECT_LT(before_stop, plan_opts.transactions);

  // Every height from 0, once, in order, each linked to its parent.
  for (size_t i = 0; i < seen.heights.size(); ++i) {
    ASSERT_EQ(seen.heights[i], i) << "stream skipped or repeated a height";
    if (i == 0) {
      EXPECT_EQ(seen.blocks[0].header, genesis_block().header);
    } else {
      EXPECT_EQ(seen.blocks[i].header.prev_hash, seen.blocks[i - 1].header.hash()) << "at height " << i;
      EXPECT_GE(seen.blocks[i].header.timestamp_ms, seen.blocks[i - 1].header.timestamp_ms);
    }
  }
  // What the stream delivered is what the ledger holds.
  HttpClient c(url->host, url->port);
  for (uint64_t h : {uint64_t(1), resume, kTarget}) {
    auto got = c.get("/v1/blocks/" + std::to_string(h));
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->status, 200);
    Block b;
    ASSERT_TRUE(decode_block_json_text(got->body, kDefaultMaxPayload, &b).ok());
    EXPECT_EQ(b, seen.blocks[h]);
  }
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

// A consumer that starts at the tip's next height gets only new blocks, the
// first one being exactly that height.
TEST(Stream, DefaultStartsAtNextBlock) {
  TempDir tmp("stream-next");
  ServerProcess server;
  ASSERT_TRUE(server.start(tmp.sub("data"), {"--backend", "cpu", "--block-interval-ms", "5"}))
      << server.log();
  auto url = parse_http_url(server.url());
  ASSERT_TRUE(url.ok());
  LoadPlanOptions plan_opts;
  plan_opts.transactions = 6;
  plan_opts.batch = 2;
  auto plan = build_load_plan(plan_opts);
  ASSERT_TRUE(plan.ok());
  LoadRunOptions run_opts;
  run_opts.url = *url;
  run_opts.connections = 1;
  // Three blocks of history.
  LoadPlan first;
  first.batches.assign(plan->batches.begin(), plan->batches.begin() + 3);
  first.transactions = 6;
  ASSERT_TRUE(run_load(first, run_opts).all_ok());

  HttpClient probe(url->host, url->port);
  auto latest = probe.get("/v1/blocks/latest");
  ASSERT_TRUE(latest.ok() && latest->status == 200);
  const uint64_t tip = boost::json::parse(latest->body).at("header").at("height").as_int64();

  HttpClient c(url->host, url->port);
  auto head = c.open_stream("/v1/stream");
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_EQ(head->status, 200);
  // Commit one more block after subscribing; it is the first line.
  LoadPlanOptions more_opts;
  more_opts.transactions = 2;
  more_opts.batch = 2;
  more_opts.seed = 2;
  auto more = build_load_plan(more_opts);
  ASSERT_TRUE(more.ok());
  ASSERT_TRUE(run_load(*more, run_opts).all_ok());
  LineReader lines(&c);
  auto line = lines.next(seconds(10));
  ASSERT_TRUE(line.ok()) << line.status();
  Seen seen;
  ASSERT_TRUE(take_block(*line, &seen));
  EXPECT_EQ(seen.heights[0], tip + 1);
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.log();
}

}  // namespace
}  // namespace bg
