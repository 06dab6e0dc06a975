// The verification pipeline through the real `blockgate serve` binary:
// batches in flight against a backend with device-like latency (the
// test-latency test double), a device that faults at run time (the
// test-fault test double: its work moves to cpu, nothing is lost or answered
// wrongly), POSTed blocks verified beside transactions, and the bound on
// far-future block timestamps.
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <mutex>
#include <thread>

#include "host/block.h"
#include "host/signer.h"
#include "testing/json.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kOctets = "application/octet-stream";

// Transaction k of the run: valid, or (every fourth) with a flipped signature bit.
Transaction make_tx(TxFactory& f, uint64_t k) {
  Transaction t = f.tx(k);
  if (k % 4 == 3) t.signature[7] ^= 0x10;
  return t;
}

// Checks every answer of one request against what each transaction deserves.
void expect_right_answers(const std::vector<Transaction>& txs, const std::vector<uint64_t>& ks,
                          const std::string& body) {
  json::array res = results_of(body);
  ASSERT_EQ(res.size(), txs.size()) << body;
  for (size_t i = 0; i < txs.size(); ++i) {
    json::object& r = res[i].as_object();
    EXPECT_EQ(str(r["id"]), to_hex(txs[i].id()));
    if (ks[i] % 4 == 3) {
      EXPECT_EQ(str(r["status"]), "rejected") << body;
      EXPECT_EQ(str(r["error"]), "invalid_signature") << body;
    } else {
      EXPECT_EQ(str(r["status"]), "committed") << body;
    }
  }
}

// `requests` requests of `per_request` transactions, all sent at once on their
// own connections; returns the seconds until the last answer. Every answer is
// checked. The transactions sent are appended to `sent` when given (ECDSA
// signatures are randomized: signing again gives other ids).
double run_burst(ServerProcess& server, TxFactory& f, uint64_t first, int requests, int per_request,
                 std::vector<std::pair<uint64_t, Transaction>>* sent = nullptr) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  const auto t0 = Clock::now();
  for (int r = 0; r < requests; ++r) {
    std::vector<uint64_t> ks;
    std::vector<Transaction> txs;
    for (int i = 0; i < per_request; ++i) {
      ks.push_back(first + uint64_t(r * per_request + i));
      txs.push_back(make_tx(f, ks.back()));
      if (sent != nullptr) sent->emplace_back(ks.back(), txs.back());
    }
    threads.emplace_back([&server, &failures, ks, txs] {
      HttpClient c = server.client();
      auto resp = c.post("/v1/transactions", txs_binary(txs), kOctets);
      if (!resp.ok() || resp->status != 200) {
        failures.fetch_add(1);
        return;
      }
      expect_right_answers(txs, ks, resp->body);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string metrics_text(ServerProcess& s) {
  HttpClient c = s.client();
  auto r = c.get("/metrics");
  return r.ok() ? r->body : std::string();
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

// With a backend whose every call takes 60 ms (a device's latency, played by
// the test-latency test double over cpu), batches of at most 16 signatures
// and a backlog that keeps both batchers busy, two batches in flight commit
// about twice as fast as one. Wall time is the measure here, but the ratio
// is of two runs in the same process with a sleep-dominated cost (16
// signatures take ~1 ms of CPU per 60 ms call), and the bound is generous.
TEST(ServerPipeline, TwoBatchesInFlightDoubleLatencyBoundThroughput) {
  TempDir dir("pipeline-depth");
  TxFactory f(21);
  double seconds[2] = {0, 0};
  for (int depth = 1; depth <= 2; ++depth) {
    ServerProcess server(dir.path() + "/d" + std::to_string(depth),
                         {"--backend", "test-latency:cpu:60ms", "--verify-depth", std::to_string(depth), "--max-batch",
                          "16", "--block-interval-ms", "2"});
    ASSERT_TRUE(server.started()) << server.log();
    // 24 requests of 8: 12 calls of 16 at depth 1 (~0.72 s), 6 rounds of 2 at depth 2.
    seconds[depth - 1] = run_burst(server, f, uint64_t(depth) * 1000, 24, 8);
    const std::string m = metrics_text(server);
    EXPECT_NE(m.find("blockgate_verify_batch_size_count"), std::string::npos);
    EXPECT_TRUE(has_line(m, "blockgate_verify_batches_in_flight 0")) << m;
  }
  const double speedup = seconds[0] / seconds[1];
  std::cerr << "depth 1: " << seconds[0] << " s, depth 2: " << seconds[1] << " s, speedup " << speedup << "\n";
  EXPECT_GE(speedup, 1.5);
}

// The device faults on verify call 3 and stays faulted; its first two
// re-creations fail too. Every transaction is still answered right (the failed
// batch re-ran on cpu), /readyz stays ready, the fallback is counted and
// logged once, and the server returns to the device when it is back.
TEST(ServerPipeline, DeviceFaultFallsBackToCpuAndRecovers) {
  TempDir dir("pipeline-fault");
  ServerProcess server(dir.path() + "/data",
                       {"--backend", "test-fault:cpu:3:2", "--block-interval-ms", "2", "--max-batch", "8"});
  ASSERT_TRUE(server.started()) << server.log();
  TxFactory f(22);
  HttpClient probe = server.client();
  uint64_t k = 0;
  std::vector<std::pair<uint64_t, Transaction>> sent;
  for (int round = 0; round < 10; ++round) {
    run_burst(server, f, k, 4, 4, &sent);
    k += 16;
    auto ready = probe.get("/readyz");
    ASSERT_TRUE(ready.ok());
    EXPECT_EQ(ready->status, 200) << ready->body;
  }
  std::string m = metrics_text(server);
  EXPECT_TRUE(has_line(m, "blockgate_backend_fallbacks_total 1")) << m;
  // Back on the device once a re-creation succeeds (50, 100, 200 ms backoff).
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!has_line(m, "blockgate_backend_active{backend=\"test-fault\"} 1") && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    m = metrics_text(server);
  }
  EXPECT_TRUE(has_line(m, "blockgate_backend_active{backend=\"test-fault\"} 1")) << m;
  run_burst(server, f, k, 4, 4, &sent);  // and it serves on it
  k += 16;

  // Nothing lost: every valid transaction is in the ledger (asked by id).
  ASSERT_EQ(sent.size(), k);
  for (const auto& [i, tx] : sent) {
    auto r = probe.get("/v1/transactions/" + to_hex(tx.id()));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, i % 4 == 3 ? 404 : 200) << i;
  }
  // Said once, not per batch; recovery said once.
  const std::string log = server.stderr_text();
  size_t failed_lines = 0;
  for (size_t p = log.find("backend failed"); p != std::string::npos; p = log.find("backend failed", p + 1))
    ++failed_lines;
  EXPECT_EQ(failed_lines, 1u) << log;
  EXPECT_NE(log.find("re-created after 3 tries"), std::string::npos) << log;
}

// Four POSTed blocks for the next height whose signatures are all valid but
// the last (the costly case: every signature must be checked) must not hold
// an honest transaction that arrives after them: it is verified beside them
// and committed before the last of them is answered. (When the sealer
// verified blocks in line, the honest transaction waited for all four.) Each
// block is answered invalid_signature, or not_extending_tip once the honest
// transaction's block has taken the height.
TEST(ServerPipeline, CostlyBadBlocksDoNotHoldAnHonestCommit) {
  TempDir dir("pipeline-blocks");
  ServerProcess server(dir.path() + "/data", {"--block-interval-ms", "2"});
  ASSERT_TRUE(server.started()) << server.log();
  HttpClient c = server.client();
  const TipInfo tip = latest_tip(c);

  Bytes secret(32, 0);
  secret[0] = 99;
  const KeyPair key = *key_from_secret(Scheme::kEd25519, secret);
  std::vector<Transaction> txs;
  constexpr int kTxs = 12000;
  for (int i = 0; i < kTxs; ++i) {
    Bytes payload(16, 0x5a);
    for (int b = 0; b < 4; ++b) payload[b] = uint8_t(i >> (8 * b));
    txs.push_back(sign_transaction(key, std::move(payload)));
  }
  txs.back().signature[3] ^= 1;
  Block bad = block_on(tip, txs);  // correct Merkle root, one bad signature at the end
  const Bytes enc = bad.encode();
  const std::string body(enc.begin(), enc.end());

  std::atomic<int> seq{0};
  std::vector<int> block_done(4, 0);
  std::vector<std::string> block_body(4);
  std::vector<std::thread> threads;
  for (int b = 0; b < 4; ++b)
    threads.emplace_back([&, b] {
      HttpClient bc = server.client();
      auto r = bc.post("/v1/blocks", body, kOctets);
      block_done[b] = seq.fetch_add(1) + 1;
      if (r.ok()) block_body[b] = r->body;
    });
  // The honest transaction goes once the blocks are in the server.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto st = c.get("/v1/status");
    ASSERT_TRUE(st.ok());
    json::value v = parse_json(st->body);
    if (v.as_object()["counters"].as_object()["pending_blocks"].to_number<uint64_t>() >= 3) break;
    ASSERT_LT(Clock::now(), deadline) << "blocks never arrived";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  TxFactory f(23);
  auto honest = c.post("/v1/transactions", tx_json(f.tx(1)));
  const int honest_done = seq.fetch_add(1) + 1;
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(honest.ok());
  EXPECT_EQ(str(results_of(honest->body)[0].as_object()["status"]), "committed") << honest->body;
  const std::string bad_sig = R"({"error":"invalid_signature","tx_index":)" + std::to_string(kTxs - 1) + "}";
  for (int b = 0; b < 4; ++b)
    EXPECT_TRUE(block_body[b] == bad_sig || block_body[b].rfind(R"({"error":"not_extending_tip")", 0) == 0)
        << block_body[b];
  EXPECT_LT(honest_done, *std::max_element(block_done.begin(), block_done.end()))
      << "the honest transaction waited for every bad block";
}

// A block more than --max-future-ms ahead of the server clock is refused
// (422 bad_timestamp), and the next sealed block carries the server's time.
TEST(ServerPipeline, FarFutureBlockTimestampIsRefused) {
  TempDir dir("pipeline-future");
  ServerProcess server(dir.path() + "/data", {"--block-interval-ms", "2", "--max-future-ms", "60000"});
  ASSERT_TRUE(server.started()) << server.log();
  HttpClient c = server.client();
  TxFactory f(24);
  const TipInfo tip = latest_tip(c);
  const uint64_t now = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
  for (uint64_t ts : {std::numeric_limits<uint64_t>::max(), now + 3600 * 1000}) {
    Block b = block_on(tip, {f.tx(1)});
    b.header.timestamp_ms = ts;
    auto r = c.post("/v1/blocks", block_to_json_text(b));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 422);
    EXPECT_EQ(r->body, R"({"error":"bad_timestamp"})");
  }
  // Within the bound: accepted.
  Block ok = block_on(tip, {f.tx(2)});
  ok.header.timestamp_ms = now + 1000;
  auto r = c.post("/v1/blocks", block_to_json_text(ok));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  // A sealed block after them is stamped near now, not in the far future.
  auto tx = c.post("/v1/transactions", tx_json(f.tx(3)));
  ASSERT_TRUE(tx.ok());
  ASSERT_EQ(str(results_of(tx->body)[0].as_object()["status"]), "committed") << tx->body;
  const TipInfo after = latest_tip(c);
  EXPECT_EQ(after.height, tip.height + 2);
  EXPECT_GE(after.timestamp_ms, now);
  EXPECT_LT(after.timestamp_ms, now + 60000);
}

}  // namespace
}  // namespace bg::testing
