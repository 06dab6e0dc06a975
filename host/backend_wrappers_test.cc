// The fallback wrapper and the test-double backends, in process: a device
// fault (the test-fault double) re-runs the batch on cpu with the reference
// verdicts, is counted once, and the device comes back after its
// re-creations stop failing; test-latency and test-accept-all do what their
// names say; bad names are refused.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "host/backend.h"
#include "host/signer.h"

namespace bg {
namespace {

// n signed transactions (schemes rotate), every third with a bad signature.
std::vector<Transaction> mixed_txs(size_t n) {
  std::vector<KeyPair> keys;
  const Scheme schemes[3] = {Scheme::kEd25519, Scheme::kSecp256k1, Scheme::kP256};
  for (int s = 0; s < 3; ++s) {
    Bytes secret(32, 0);
    secret[0] = 31;
    secret[31] = uint8_t(s + 1);
    keys.push_back(*key_from_secret(schemes[s], secret));
  }
  std::vector<Transaction> txs;
  for (size_t i = 0; i < n; ++i) {
    Bytes payload(16, uint8_t(i));
    txs.push_back(sign_transaction(keys[i % 3], std::move(payload)));
    if (i % 3 == 2) txs.back().signature[5] ^= 4;
  }
  return txs;
}

std::vector<uint8_t> verdicts(VerifyBackend& b, const std::vector<Transaction>& txs, absl::Status* st) {
  std::vector<SigItem> items;
  for (const Transaction& t : txs) items.push_back(sig_item(t));
  std::vector<uint8_t> valid(items.size(), 0);
  *st = b.verify_batch(items, valid);
  return valid;
}

TEST(BackendWrappers, FaultFallsBackWithReferenceVerdictsAndRecovers) {
  auto cpu = make_backend("cpu");
  auto dev = make_backend("test-fault:cpu:2:1");  // call 2 faults; one re-creation fails
  ASSERT_TRUE(cpu.ok() && dev.ok()) << dev.status();
  const std::vector<Transaction> txs = mixed_txs(12);
  absl::Status st;
  const std::vector<uint8_t> want = verdicts(**cpu, txs, &st);
  ASSERT_TRUE(st.ok());

  EXPECT_EQ((*dev)->active_name(), "test-fault");
  for (int call = 1; call <= 4; ++call) {
    EXPECT_EQ(verdicts(**dev, txs, &st), want) << "call " << call;
    EXPECT_TRUE(st.ok()) << st;
  }
  EXPECT_EQ((*dev)->fallback_count(), 1u);
  // Re-creation: 50 ms, then 100 ms after the failed try.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*dev)->active_name() != "test-fault" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ((*dev)->active_name(), "test-fault");
  EXPECT_EQ(verdicts(**dev, txs, &st), want);
  EXPECT_EQ((*dev)->fallback_count(), 1u);

  std::vector<Hash32> ids;
  for (const Transaction& t : txs) ids.push_back(t.id());
  EXPECT_EQ(*(*dev)->merkle_root(ids), *(*cpu)->merkle_root(ids));
}

TEST(BackendWrappers, LatencyAddsItsDelayAndKeepsVerdicts) {
  auto cpu = make_backend("cpu");
  auto slow = make_backend("test-latency:cpu:30ms");
  ASSERT_TRUE(slow.ok()) << slow.status();
  const std::vector<Transaction> txs = mixed_txs(6);
  absl::Status st;
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<uint8_t> got = verdicts(**slow, txs, &st);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(30));
  EXPECT_EQ(got, verdicts(**cpu, txs, &st));
}

TEST(BackendWrappers, AcceptAllAcceptsKnownSchemes) {
  auto all = make_backend("test-accept-all");
  ASSERT_TRUE(all.ok());
  const std::vector<Transaction> txs = mixed_txs(6);
  absl::Status st;
  EXPECT_EQ(verdicts(**all, txs, &st), std::vector<uint8_t>(6, 1));
}

TEST(BackendWrappers, BadTestNamesAreRefused) {
  for (const char* name : {"test-latency:cpu", "test-latency:cpu:abc", "test-latency:gpu:1ms", "test-fault:cpu:0",
                           "test-fault:cpu:1:-1", "test-nothing"}) {
    auto b = make_backend(name);
    EXPECT_FALSE(b.ok()) << name;
    EXPECT_EQ(b.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

}  // namespace
}  // namespace bg
