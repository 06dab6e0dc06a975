// The loadgen's own logic without sockets: the plan holds valid, distinct,
// signed transactions whose ids it predicts, and the answer checker catches
// every kind of wrong answer.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "host/reference_verify.h"
#include "server/loadgen.h"

namespace bg {
namespace {

LoadPlan make_plan(const std::string& scheme, size_t n, size_t batch, uint64_t nonce) {
  LoadPlanOptions o;
  o.scheme = scheme;
  o.transactions = n;
  o.batch = batch;
  o.run_nonce = nonce;
  auto plan = build_load_plan(o);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? *std::move(plan) : LoadPlan{};
}

TEST(LoadPlan, BodiesDecodeToValidTransactionsWithThePredictedIds) {
  LoadPlan plan = make_plan("mixed", 97, 10, 7);
  ASSERT_EQ(plan.batches.size(), 10u);
  EXPECT_EQ(plan.batches.back().ids.size(), 7u);
  std::set<Hash32> ids;
  std::set<Scheme> schemes;
  for (const auto& batch : plan.batches) {
    boost::json::value v = boost::json::parse(batch.body);
    const auto& arr = v.as_array();
    ASSERT_EQ(arr.size(), batch.ids.size());
    for (size_t i = 0; i < arr.size(); ++i) {
      Transaction tx;
      ASSERT_EQ(decode_tx_json(arr[i], kDefaultMaxPayload, &tx), ErrorCode::kOk);
      EXPECT_EQ(tx.id(), batch.ids[i]);
      EXPECT_TRUE(reference_verify(sig_item(tx)));
      EXPECT_EQ(tx.payload.size(), 64u);
      ids.insert(tx.id());
      schemes.insert(tx.scheme);
    }
  }
  EXPECT_EQ(ids.size(), 97u);      // no duplicates
  EXPECT_EQ(schemes.size(), 3u);   // mixed really mixes
}

TEST(LoadPlan, BinaryBodiesFrameIntoThePredictedTransactions) {
  LoadPlanOptions o;
  o.scheme = "mixed";
  o.transactions = 25;
  o.batch = 10;
  o.binary = true;
  auto plan = build_load_plan(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->content_type, "application/octet-stream");
  for (const auto& batch : plan->batches) {
    ByteSpan in(reinterpret_cast<const uint8_t*>(batch.body.data()), batch.body.size());
    size_t n = 0;
    while (!in.empty()) {
      Transaction tx;
      size_t used = 0;
      ASSERT_EQ(decode_tx_binary(in, kDefaultMaxPayload, &tx, &used), ErrorCode::kOk);
      ASSERT_LT(n, batch.ids.size());
      EXPECT_EQ(tx.id(), batch.ids[n++]);
      EXPECT_TRUE(reference_verify(sig_item(tx)));
      in = in.subspan(used);
    }
    EXPECT_EQ(n, batch.ids.size());
  }
}

TEST(LoadPlan, RunsDifferOnlyByNonce) {
  // Same seed and nonce: the same transactions (ed25519 signing is deterministic).
  LoadPlan a = make_plan("ed25519", 5, 5, 42), b = make_plan("ed25519", 5, 5, 42), c = make_plan("ed25519", 5, 5, 43);
  EXPECT_EQ(a.batches[0].ids, b.batches[0].ids);
  for (size_t i = 0; i < 5; ++i) EXPECT_NE(a.batches[0].ids[i], c.batches[0].ids[i]);
}

TEST(LoadPlan, RejectsBadOptions) {
  LoadPlanOptions o;
  o.scheme = "rsa";
  EXPECT_FALSE(build_load_plan(o).ok());
  o.scheme = "ed25519";
  o.batch = 0;
  EXPECT_FALSE(build_load_plan(o).ok());
}

std::string answer(const std::vector<Hash32>& ids, const std::string& status, int64_t height) {
  boost::json::array results;
  for (size_t i = 0; i < ids.size(); ++i) {
    boost::json::object r{{"id", to_hex(ids[i])}, {"status", status}};
    if (status == "committed") {
      r["height"] = height;
      r["index"] = i;
    }
    results.push_back(r);
  }
  return boost::json::serialize(boost::json::object{{"results", results}});
}

TEST(CheckBatchAnswer, AcceptsTheRightAnswer) {
  LoadPlan plan = make_plan("ed25519", 4, 4, 1);
  const auto& ids = plan.batches[0].ids;
  std::vector<CommittedTx> committed;
  std::string why;
  EXPECT_EQ(check_batch_answer(answer(ids, "committed", 3), ids, WaitMode::kCommit, &committed, &why), 0u) << why;
  ASSERT_EQ(committed.size(), 4u);
  EXPECT_EQ(committed[2].height, 3u);
  EXPECT_EQ(committed[2].index, 2u);
  EXPECT_EQ(committed[2].id, ids[2]);
  EXPECT_EQ(check_batch_answer(answer(ids, "verified", 0), ids, WaitMode::kVerify, nullptr, &why), 0u) << why;
}

TEST(CheckBatchAnswer, CountsEveryKindOfWrongAnswer) {
  LoadPlan plan = make_plan("ed25519", 4, 4, 1);
  const auto& ids = plan.batches[0].ids;
  std::string why;
  // Wrong status for the mode.
  EXPECT_EQ(check_batch_answer(answer(ids, "verified", 0), ids, WaitMode::kCommit, nullptr, &why), 4u);
  EXPECT_EQ(check_batch_answer(answer(ids, "committed", 1), ids, WaitMode::kVerify, nullptr, &why), 4u);
  // Rejections.
  EXPECT_EQ(check_batch_answer(answer(ids, "rejected", 0), ids, WaitMode::kCommit, nullptr, &why), 4u);
  // One id swapped.
  auto swapped = ids;
  std::swap(swapped[1], swapped[2]);
  why.clear();
  EXPECT_EQ(check_batch_answer(answer(swapped, "committed", 1), ids, WaitMode::kCommit, nullptr, &why), 2u);
  EXPECT_NE(why.find("wrong id"), std::string::npos);
  // Committed at the genesis height, or without a position.
  EXPECT_EQ(check_batch_answer(answer(ids, "committed", 0), ids, WaitMode::kCommit, nullptr, &why), 4u);
  // Too few results, no results, not JSON.
  auto fewer = ids;
  fewer.pop_back();
  EXPECT_EQ(check_batch_answer(answer(fewer, "committed", 1), ids, WaitMode::kCommit, nullptr, &why), 4u);
  EXPECT_EQ(check_batch_answer("{\"result\":[]}", ids, WaitMode::kCommit, nullptr, &why), 4u);
  EXPECT_EQ(check_batch_answer("<html>", ids, WaitMode::kCommit, nullptr, &why), 4u);
}

TEST(HttpUrl, ParsesWhatLoadgenTakes) {
  auto u = parse_http_url("http://127.0.0.1:8700");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8700);
  EXPECT_FALSE(u->tls);
  auto t = parse_http_url("https://x:1");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->tls);
  EXPECT_EQ(t->port, 1);
  EXPECT_FALSE(parse_http_url("ftp://x:1").ok());
}

}  // namespace
}  // namespace bg
