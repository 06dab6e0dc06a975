// The HTTP API of SPEC §3 end to end: the real `blockgate serve` binary on
// 127.0.0.1:0 with the cpu backend, a real HTTP client, a real ledger in a
// scratch directory. Every endpoint, every per-transaction verdict, every
// whole-request error code.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "host/block.h"
#include "ledger/ledger.h"
#include "testing/json.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "testing/tx_factory.h"

namespace bg::testing {
namespace {

namespace json = boost::json;

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path() + "/data", extra_args());
    ASSERT_TRUE(server_->started()) << server_->log();
    client_ = server_->client();
  }
  virtual std::vector<std::string> extra_args() { return {"--block-interval-ms", "20"}; }

  HttpResponse get(const std::string& target, const HttpHeaders& h = {}) {
    auto r = client_.get(target, h);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResponse{};
  }
  HttpResponse post(const std::string& target, std::string body, std::string_view type = "application/json") {
    auto r = client_.post(target, std::move(body), type);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResponse{};
  }

  TipInfo tip() { return latest_tip(client_); }

  // A valid block on `t` with transactions first_tx .. first_tx+n-1.
  Block make_block(const TipInfo& t, size_t n, uint64_t first_tx) {
    std::vector<Transaction> txs;
    for (size_t i = 0; i < n; ++i) txs.push_back(txs_.tx(first_tx + i));
    return block_on(t, std::move(txs));
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  HttpClient client_{"127.0.0.1", 0};
  TxFactory txs_;
};

TEST_F(ServerApiTest, HealthReadyStatusPageAndStatusJson) {
  HttpResponse r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  r = get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ready"})");
  r = get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(r.body.find("<html"), std::string::npos);
  r = get("/v1/status");
  ASSERT_EQ(r.status, 200);
  json::object s = parse_json(r.body).as_object();
  EXPECT_EQ(s["height"].to_number<uint64_t>(), 0u);
  EXPECT_EQ(str(s["backend"]), "cpu");
  EXPECT_TRUE(s["ready"].as_bool());
  EXPECT_TRUE(s.contains("tx_per_s"));
  EXPECT_TRUE(s["latency_ms"].is_object());
  EXPECT_TRUE(s["counters"].is_object());
}

TEST_F(ServerApiTest, SingleTransactionCommitsAndCanBeFetched) {
  const Transaction tx = txs_.tx(1);
  HttpResponse r = post("/v1/transactions", tx_json(tx));
  ASSERT_EQ(r.status, 200) << r.body;
  json::array res = results_of(r.body);
  ASSERT_EQ(res.size(), 1u);
  json::object o = res[0].as_object();
  EXPECT_EQ(str(o["id"]), to_hex(tx.id()));
  EXPECT_EQ(str(o["status"]), "committed");
  const uint64_t height = o["height"].to_number<uint64_t>();
  EXPECT_EQ(height, 1u);
  EXPECT_EQ(o["index"].to_number<uint64_t>(), 0u);
  EXPECT_EQ(o.size(), 4u);

  // Committed means durable, so it is visible at once.
  r = get("/v1/transactions/" + to_hex(tx.id()));
  ASSERT_EQ(r.status, 200) << r.body;
  json::object t = parse_json(r.body).as_object();
  EXPECT_EQ(str(t["id"]), to_hex(tx.id()));
  EXPECT_EQ(t["height"].to_number<uint64_t>(), height);
  EXPECT_EQ(t["index"].to_number<uint64_t>(), 0u);
  EXPECT_EQ(json::serialize(t["transaction"]), tx_json(tx));
  // Upper-case ids are accepted too.
  std::string upper = to_hex(tx.id());
  for (char& c : upper) c = char(std::toupper(c));
  EXPECT_EQ(get("/v1/transactions/" + upper).status, 200);

  r = get("/v1/blocks/" + std::to_string(height));
  ASSERT_EQ(r.status, 200);
  Block b;
  ASSERT_TRUE(decode_block_json_text(r.body, kDefaultMaxPayload, &b).ok());
  ASSERT_EQ(b.txs.size(), 1u);
  EXPECT_EQ(b.txs[0], tx);
  EXPECT_EQ(b.header.merkle_root, compute_merkle_root(b.txs));
  EXPECT_EQ(str(parse_json(r.body).as_object()["hash"]), to_hex(b.header.hash()));
}

TEST_F(ServerApiTest, ArrayKeepsInputOrderAndMarksDuplicates) {
  const Transaction a = txs_.tx(10), b = txs_.tx(11), c = txs_.tx(12);
  HttpResponse r = post("/v1/transactions", txs_json({a, b, a, c}));
  ASSERT_EQ(r.status, 200) << r.body;
  json::array res = results_of(r.body);
  ASSERT_EQ(res.size(), 4u);
  EXPECT_EQ(str(res[0].as_object()["status"]), "committed");
  EXPECT_EQ(str(res[1].as_object()["status"]), "committed");
  EXPECT_EQ(str(res[2].as_object()["status"]), "rejected");
  EXPECT_EQ(str(res[2].as_object()["error"]), "duplicate");
  EXPECT_EQ(str(res[2].as_object()["id"]), to_hex(a.id()));
  EXPECT_EQ(str(res[3].as_object()["status"]), "committed");
  EXPECT_EQ(str(res[0].as_object()["id"]), to_hex(a.id()));
  EXPECT_EQ(str(res[1].as_object()["id"]), to_hex(b.id()));
  EXPECT_EQ(str(res[3].as_object()["id"]), to_hex(c.id()));
  // Already committed: duplicate.
  r = post("/v1/transactions", tx_json(b));
  res = results_of(r.body);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(str(res[0].as_object()["error"]), "duplicate");
  // An empty array is a valid, empty request.
  r = post("/v1/transactions", "[]");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"results":[]})");
}

TEST_F(ServerApiTest, ConcurrentRequestsWithTheSameTransactionCommitItOnce) {
  const Transaction t = txs_.tx(20);
  std::vector<std::string> statuses(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < statuses.size(); ++i)
    threads.emplace_back([&, i] {
      HttpClient c = server_->client();
      auto r = c.post("/v1/transactions", tx_json(t));
      if (r.ok() && !results_of(r->body).empty()) {
        json::object o = results_of(r->body)[0].as_object();
        statuses[i] = str(o["status"]) + ":" + str(o.contains("error") ? o["error"] : json::value());
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "committed:"), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "rejected:duplicate"), 5);
}

TEST_F(ServerApiTest, BinaryBodies) {
  const Transaction a = txs_.tx(30), b = txs_.tx(31);
  HttpResponse r = post("/v1/transactions", txs_binary({a, b}), "application/octet-stream");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array res = results_of(r.body);
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(str(res[0].as_object()["status"]), "committed");
  EXPECT_EQ(str(res[1].as_object()["id"]), to_hex(b.id()));

  // A payload over the limit has a known length: skipped, the next one goes on.
  const Transaction big = txs_.tx(32, kDefaultMaxPayload + 1), c = txs_.tx(33);
  r = post("/v1/transactions", txs_binary({big, c}), "application/octet-stream");
  res = results_of(r.body);
  ASSERT_EQ(res.size(), 2u) << r.body;
  EXPECT_TRUE(res[0].as_object()["id"].is_null());
  EXPECT_EQ(str(res[0].as_object()["error"]), "payload_too_large");
  EXPECT_EQ(str(res[1].as_object()["status"]), "committed");

  // Framing lost (unknown scheme byte): that item is answered, the rest dropped.
  std::string body = txs_binary({txs_.tx(34)});
  body += std::string("\x01\x09", 2) + txs_binary({txs_.tx(35)});
  r = post("/v1/transactions", body, "application/octet-stream");
  res = results_of(r.body);
  ASSERT_EQ(res.size(), 2u) << r.body;
  EXPECT_EQ(str(res[0].as_object()["status"]), "committed");
  EXPECT_EQ(res[1].as_object()["id"].is_null(), true);
  EXPECT_EQ(str(res[1].as_object()["status"]), "rejected");
  EXPECT_EQ(str(res[1].as_object()["error"]), "unsupported_scheme");

  // Truncated last transaction: malformed.
  std::string cut = txs_binary({txs_.tx(36), txs_.tx(37)});
  cut.resize(cut.size() - 5);
  r = post("/v1/transactions", cut, "application/octet-stream");
  res = results_of(r.body);
  ASSERT_EQ(res.size(), 2u) << r.body;
  EXPECT_EQ(str(res[0].as_object()["status"]), "committed");
  EXPECT_EQ(str(res[1].as_object()["error"]), "malformed");
}

TEST_F(ServerApiTest, JsonItemErrors) {
  const Transaction ok = txs_.tx(40);
  json::object unsupported = tx_to_json(txs_.tx(41));
  unsupported["scheme"] = "rsa";
  json::object missing = tx_to_json(txs_.tx(42));
  missing.erase("signature");
  json::object short_sig = tx_to_json(txs_.tx(43));
  short_sig["signature"] = "abcd";
  json::object bad_sig = tx_to_json(txs_.tx(44));
  std::string s = str(bad_sig["payload"]);
  s[0] = s[0] == '0' ? '1' : '0';  // another payload: the signature no longer matches
  bad_sig["payload"] = s;
  json::array arr{tx_to_json(ok), unsupported, missing, short_sig, 42, bad_sig, tx_to_json(txs_.tx(45, kDefaultMaxPayload + 1))};
  HttpResponse r = post("/v1/transactions", json::serialize(arr));
  ASSERT_EQ(r.status, 200) << r.body;
  json::array res = results_of(r.body);
  ASSERT_EQ(res.size(), 7u);
  const char* want[] = {"", "unsupported_scheme", "malformed", "malformed", "malformed", "invalid_signature",
                        "payload_too_large"};
  EXPECT_EQ(str(res[0].as_object()["status"]), "committed");
  for (size_t i = 1; i < 7; ++i) {
    json::object o = res[i].as_object();
    EXPECT_EQ(str(o["status"]), "rejected") << i;
    EXPECT_EQ(str(o["error"]), want[i]) << i;
    EXPECT_EQ(o["id"].is_null(), i != 5) << i;  // only the decodable one has an id
  }
}

TEST_F(ServerApiTest, WaitVerifyAnswersVerifiedAndStillCommits) {
  const Transaction a = txs_.tx(50);
  Transaction bad = txs_.tx(51);
  bad.signature[5] ^= 1;
  HttpResponse r = post("/v1/transactions?wait=verify", txs_json({a, bad}));
  ASSERT_EQ(r.status, 200) << r.body;
  json::array res = results_of(r.body);
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(json::serialize(res[0]), R"({"id":")" + to_hex(a.id()) + R"(","status":"verified"})");
  EXPECT_EQ(str(res[1].as_object()["error"]), "invalid_signature");
  // Sealed and committed later.
  int status = 0;
  for (int i = 0; i < 500 && status != 200; ++i) {
    status = get("/v1/transactions/" + to_hex(a.id())).status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(get("/v1/transactions/" + to_hex(bad.id())).status, 404);
  EXPECT_EQ(post("/v1/transactions?wait=later", tx_json(txs_.tx(52))).status, 400);
  EXPECT_EQ(str(results_of(post("/v1/transactions?wait=commit", tx_json(txs_.tx(53))).body)[0].as_object()["status"]),
            "committed");
}

// Admission consults the ledger: a transaction already committed is answered
// `duplicate` at once, also when the client only waits for verification (the
// sealer's own re-check would otherwise hide a missing admission check behind
// a `verified` answer).
TEST_F(ServerApiTest, CommittedTransactionSentAgainWithWaitVerifyIsDuplicate) {
  const Transaction t = txs_.tx(60);
  ASSERT_EQ(str(results_of(post("/v1/transactions", tx_json(t)).body)[0].as_object()["status"]), "committed");
  for (const std::string body : {tx_json(t), txs_json({txs_.tx(61), t})}) {
    HttpResponse r = post("/v1/transactions?wait=verify", body);
    ASSERT_EQ(r.status, 200) << r.body;
    json::array res = results_of(r.body);
    ASSERT_FALSE(res.empty()) << r.body;
    EXPECT_EQ(json::serialize(res.back()),
              R"({"id":")" + to_hex(t.id()) + R"(","status":"rejected","error":"duplicate"})");
  }
  // The binary body takes the same path.
  HttpResponse r = post("/v1/transactions?wait=verify", txs_binary({t}), "application/octet-stream");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(str(results_of(r.body).at(0).as_object()["error"]), "duplicate") << r.body;
}

// Every Wycheproof case of the shared vectors, posted in one array, gets the
// verdict SPEC §2 requires: valid ones commit, the others are rejected with
// the expected code. Three cases repeat an earlier one exactly: the repeat is
// a duplicate (unless it cannot even be decoded).
TEST_F(ServerApiTest, WycheproofVerdictsAsPerTransactionStatus) {
  std::ifstream f(std::string(BLOCKGATE_TESTVECTORS) + "/blockgate_wycheproof.jsonl");
  ASSERT_TRUE(f.good());
  json::array arr;
  std::vector<std::string> expected;
  std::set<std::string> seen;
  std::string line;
  while (std::getline(f, line)) {
    json::object o = parse_json(line).as_object();
    std::string want = str(o["expected"]);
    const std::string key = str(o["scheme"]) + str(o["public_key"]) + str(o["signature"]) + str(o["payload"]);
    if (!seen.insert(key).second && want != "malformed") want = "duplicate";
    expected.push_back(want);
    arr.push_back(o);  // extra fields are ignored by the server
  }
  ASSERT_EQ(expected.size(), 665u);
  HttpResponse r = post("/v1/transactions", json::serialize(arr));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  json::array res = results_of(r.body);
  ASSERT_EQ(res.size(), expected.size());
  std::map<std::string, int> counts;
  for (size_t i = 0; i < res.size(); ++i) {
    json::object o = res[i].as_object();
    const std::string got = str(o["status"]) == "committed" ? "valid" : str(o["error"]);
    EXPECT_EQ(got, expected[i]) << "line " << i + 1;
    ++counts[got];
  }
  EXPECT_GT(counts["valid"], 250);
  EXPECT_GT(counts["invalid_signature"], 300);
  EXPECT_EQ(counts["malformed"], 51);
}

// The Ed25519 edge cases on which libraries disagree: the server follows
// libsodium (only case 3 is valid), sent as binary this time.
TEST_F(ServerApiTest, SpeccheckEdgeCasesAsBinary) {
  std::ifstream f(std::string(BLOCKGATE_TESTVECTORS) + "/blockgate_speccheck.jsonl");
  ASSERT_TRUE(f.good());
  std::vector<Transaction> batch;
  std::vector<std::string> expected;
  std::string line;
  while (std::getline(f, line)) {
    Transaction tx;
    ASSERT_EQ(decode_tx_json_text(line, kDefaultMaxPayload, &tx), ErrorCode::kOk);
    batch.push_back(tx);
    expected.push_back(str(parse_json(line).as_object()["expected"]));
  }
  ASSERT_EQ(batch.size(), 12u);
  HttpResponse r = post("/v1/transactions", txs_binary(batch), "application/octet-stream");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array res = results_of(r.body);
  ASSERT_EQ(res.size(), batch.size());
  for (size_t i = 0; i < res.size(); ++i) {
    json::object o = res[i].as_object();
    EXPECT_EQ(str(o["id"]), to_hex(batch[i].id())) << i;
    EXPECT_EQ(str(o["status"]) == "committed" ? "valid" : str(o["error"]), expected[i]) << "case " << i;
  }
}

TEST_F(ServerApiTest, PostBlocksJsonAndBinary) {
  TipInfo t = tip();
  Block b = make_block(t, 3, 100);
  HttpResponse r = post("/v1/blocks", block_to_json_text(b));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"hash":")" + to_hex(b.header.hash()) + R"(","height":)" + std::to_string(t.height + 1) + "}");
  // JSON and binary GETs give back the very block.
  r = get("/v1/blocks/" + std::to_string(b.header.height));
  Block back;
  ASSERT_TRUE(decode_block_json_text(r.body, kDefaultMaxPayload, &back).ok());
  EXPECT_EQ(back, b);
  const Bytes b_bin = b.encode();
  r = get("/v1/blocks/" + std::to_string(b.header.height), {{"Accept", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(r.body, std::string(b_bin.begin(), b_bin.end()));
  r = get("/v1/blocks/latest", {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.body, std::string(b_bin.begin(), b_bin.end()));
  // Its transactions are found by id.
  r = get("/v1/transactions/" + to_hex(b.txs[2].id()));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse_json(r.body).as_object()["index"].to_number<int>(), 2);

  // The next one as binary.
  Block b2 = make_block(tip(), 2, 110);
  const Bytes enc = b2.encode();
  r = post("/v1/blocks", std::string(enc.begin(), enc.end()), "application/octet-stream");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(tip().height, b2.header.height);
  // An empty block is a block too.
  Block empty = make_block(tip(), 0, 0);
  EXPECT_EQ(post("/v1/blocks", block_to_json_text(empty)).status, 200);
}

TEST_F(ServerApiTest, RejectedBlocks) {
  // A sealed block first, so that the tip has a real timestamp.
  ASSERT_EQ(str(results_of(post("/v1/transactions", tx_json(txs_.tx(199))).body)[0].as_object()["status"]), "committed");
  const TipInfo t = tip();
  ASSERT_GT(t.timestamp_ms, 0u);
  auto expect_body = [&](const HttpResponse& r, int status, const std::string& body) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.body, body);
  };
  const std::string tip_json =
      R"({"error":"not_extending_tip","tip":{"height":)" + std::to_string(t.height) + R"(,"hash":")" + to_hex(t.hash) + "\"}}";

  Block wrong_prev = make_block(t, 1, 200);
  wrong_prev.header.prev_hash[0] ^= 1;
  expect_body(post("/v1/blocks", block_to_json_text(wrong_prev)), 409, tip_json);
  Block wrong_height = make_block(t, 1, 200);
  wrong_height.header.height += 1;
  expect_body(post("/v1/blocks", block_to_json_text(wrong_height)), 409, tip_json);

  Block bad_root = make_block(t, 3, 210);
  bad_root.header.merkle_root[3] ^= 1;
  expect_body(post("/v1/blocks", block_to_json_text(bad_root)), 422, R"({"error":"bad_merkle_root"})");

  Block bad_sig = make_block(t, 4, 220);
  bad_sig.txs[2].signature[10] ^= 0x40;
  bad_sig.header.merkle_root = compute_merkle_root(bad_sig.txs);
  expect_body(post("/v1/blocks", block_to_json_text(bad_sig)), 422, R"({"error":"invalid_signature","tx_index":2})");

  Block twice = make_block(t, 3, 230);
  twice.txs[2] = twice.txs[0];
  twice.header.merkle_root = compute_merkle_root(twice.txs);
  expect_body(post("/v1/blocks", block_to_json_text(twice)), 422, R"({"error":"duplicate","tx_index":2})");

  Block early = make_block(t, 1, 240);
  early.header.timestamp_ms = t.timestamp_ms - 1;
  expect_body(post("/v1/blocks", block_to_json_text(early)), 422, R"({"error":"bad_timestamp"})");

  Block count = make_block(t, 2, 250);
  count.header.tx_count = 3;
  expect_body(post("/v1/blocks", block_to_json_text(count)), 422, R"({"error":"tx_count_mismatch"})");
  const Bytes count_bin = count.encode();
  expect_body(post("/v1/blocks", std::string(count_bin.begin(), count_bin.end()), "application/octet-stream"), 422,
              R"({"error":"tx_count_mismatch"})");

  EXPECT_EQ(post("/v1/blocks", "{not json").status, 400);
  EXPECT_EQ(post("/v1/blocks", R"({"header":{}})").status, 422);
  EXPECT_EQ(tip().height, t.height);  // nothing was appended

  // A transaction already committed makes a later block invalid at its index.
  const Transaction committed = txs_.tx(260);
  ASSERT_EQ(str(results_of(post("/v1/transactions", tx_json(committed)).body)[0].as_object()["status"]), "committed");
  const TipInfo t2 = tip();
  Block dup = make_block(t2, 2, 261);
  dup.txs[1] = committed;
  dup.header.merkle_root = compute_merkle_root(dup.txs);
  expect_body(post("/v1/blocks", block_to_json_text(dup)), 422, R"({"error":"duplicate","tx_index":1})");
  // A block can also be timestamped like its tip (>=) and still extend it.
  Block same_ts = make_block(t2, 1, 270);
  same_ts.header.timestamp_ms = t2.timestamp_ms;
  EXPECT_EQ(post("/v1/blocks", block_to_json_text(same_ts)).status, 200);
}

// A block whose prev_hash is not the tip's hash is refused by the server with
// 409 not_extending_tip and the tip, whatever else is right about it (height,
// Merkle root, signatures), in JSON and binary; none of its transactions
// lands, and the block on the right parent is then accepted.
TEST_F(ServerApiTest, BlockOnAWrongPrevHashIsRefusedAndNothingOfItLands) {
  ASSERT_EQ(post("/v1/blocks", block_to_json_text(make_block(tip(), 2, 300))).status, 200);
  const TipInfo t = tip();
  const std::string tip_json =
      R"({"error":"not_extending_tip","tip":{"height":)" + std::to_string(t.height) + R"(,"hash":")" + to_hex(t.hash) + "\"}}";
  Block good = make_block(t, 3, 310);
  for (int variant = 0; variant < 3; ++variant) {
    Block bad = good;
    if (variant == 0) bad.header.prev_hash[31] ^= 0x01;  // one bit off
    if (variant == 1) bad.header.prev_hash = Hash32{};   // all zero
    if (variant == 2) {
      // A fork: the tip's parent instead of the tip.
      HttpResponse parent = get("/v1/blocks/" + std::to_string(t.height - 1));
      ASSERT_EQ(parent.status, 200);
      bad.header.prev_hash = *hash_from_hex(str(parse_json(parent.body).as_object()["hash"]));
    }
    HttpResponse r = post("/v1/blocks", block_to_json_text(bad));
    EXPECT_EQ(r.status, 409) << variant << " " << r.body;
    EXPECT_EQ(r.body, tip_json) << variant;
    const Bytes bin = bad.encode();
    r = post("/v1/blocks", std::string(bin.begin(), bin.end()), "application/octet-stream");
    EXPECT_EQ(r.status, 409) << variant << " " << r.body;
    EXPECT_EQ(r.body, tip_json) << variant;
  }
  EXPECT_EQ(tip().height, t.height);
  for (const Transaction& tx : good.txs) EXPECT_EQ(get("/v1/transactions/" + to_hex(tx.id())).status, 404);
  HttpResponse ok = post("/v1/blocks", block_to_json_text(good));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(tip().height, t.height + 1);
}

TEST_F(ServerApiTest, GetBlocksAndTransactionsErrors) {
  HttpResponse r = get("/v1/blocks/0");
  ASSERT_EQ(r.status, 200);
  Block g;
  ASSERT_TRUE(decode_block_json_text(r.body, kDefaultMaxPayload, &g).ok());
  EXPECT_EQ(g, genesis_block());
  r = get("/v1/blocks/latest");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(get("/v1/blocks/1").status, 404);
  EXPECT_EQ(get("/v1/blocks/1").body, R"({"error":"not_found"})");
  EXPECT_EQ(get("/v1/blocks/18446744073709551615").status, 404);
  EXPECT_EQ(get("/v1/blocks/1", {{"Accept", "application/octet-stream"}}).status, 404);
  EXPECT_EQ(get("/v1/blocks/abc").status, 400);
  EXPECT_EQ(get("/v1/blocks/-1").status, 400);
  EXPECT_EQ(get("/v1/transactions/" + std::string(64, 'a')).status, 404);
  EXPECT_EQ(get("/v1/transactions/xyz").status, 400);
}

TEST_F(ServerApiTest, WholeRequestErrors) {
  auto raw = [&](const std::string& method, const std::string& target, std::string body = {},
                 const HttpHeaders& h = {}) {
    auto r = client_.request(method, target, std::move(body), h);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : HttpResponse{};
  };
  HttpResponse r = raw("GET", "/v1/transactions");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
  EXPECT_EQ(r.body, R"({"error":"method_not_allowed"})");
  EXPECT_EQ(raw("POST", "/healthz", "{}").status, 405);
  EXPECT_EQ(raw("DELETE", "/v1/blocks/1").status, 405);
  EXPECT_EQ(raw("PUT", "/v1/blocks").header("Allow"), "POST");
  EXPECT_EQ(raw("POST", "/v1/stream").header("Allow"), "GET");
  r = raw("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"not_found"})");
  EXPECT_EQ(raw("GET", "/v1/blockz").status, 404);
  r = post("/v1/transactions", tx_json(txs_.tx(300)), "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(parse_json(r.body).as_object()["error"], "unsupported_media_type");
  EXPECT_EQ(post("/v1/blocks", "{}", "application/x-www-form-urlencoded").status, 415);
  // Parameters on the media type are fine; so is no Content-Type at all (JSON).
  EXPECT_EQ(post("/v1/transactions", "[]", "application/json; charset=utf-8").status, 200);
  EXPECT_EQ(post("/v1/transactions", "[]", "").status, 200);
  r = post("/v1/transactions", "[{]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse_json(r.body).as_object()["error"], "malformed");
  EXPECT_EQ(post("/v1/transactions", "17").status, 400);
  EXPECT_EQ(post("/v1/transactions", "").status, 400);
  // The connection survived every one of these answers.
  r = get("/metrics");
  EXPECT_NE(r.body.find("blockgate_connections_accepted_total 1\n"), std::string::npos) << r.body;
}

TEST_F(ServerApiTest, MetricsExposition) {
  ASSERT_EQ(post("/v1/transactions", txs_json({txs_.tx(400), txs_.tx(401)})).status, 200);
  Transaction bad = txs_.tx(402);
  bad.signature[0] ^= 1;
  ASSERT_EQ(post("/v1/transactions", tx_json(bad)).status, 200);
  HttpResponse r = get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.header("Content-Type").find("text/plain"), std::string::npos);
  const std::string& m = r.body;
  for (const char* want : {
           "blockgate_transactions_total{outcome=\"committed\"} 2\n",
           "blockgate_transactions_rejected_total{error=\"invalid_signature\"} 1\n",
           "blockgate_http_requests_total{path=\"/v1/transactions\",code=\"200\"} 2\n",
           "blockgate_ledger_height 1\n",
           "blockgate_backend_info{backend=\"cpu\"",
           "# TYPE blockgate_verify_batch_size histogram\n",
           "blockgate_verify_seconds_bucket{le=\"+Inf\"}",
           "blockgate_commit_latency_seconds_count 2\n",
           "blockgate_fsync_seconds_count",
           "blockgate_blocks_committed_total{source=\"sealed\"} 1\n",
           "blockgate_ready 1\n",
       })
    EXPECT_NE(m.find(want), std::string::npos) << want << "\n" << m;
  // Every sample line belongs to a blockgate_ family with TYPE metadata.
  std::istringstream lines(m);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_EQ(line.rfind("blockgate_", 0), 0u) << line;
  }
}

}  // namespace
}  // namespace bg::testing
