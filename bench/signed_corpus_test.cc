// The seeded transaction generator behind make_tx_file and the benchmarks:
// same seed → same keys and payloads, every signature verifies unless
// deliberately broken, chunked generation equals one pass, and the
// make_tx_file binary writes what `blockgate verify` accepts.
#include "bench/signed_corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "host/reference_verify.h"

namespace bg::bench {
namespace {

bool verifies(const Transaction& tx) {
  reference_init();
  return reference_verify(sig_item(tx));
}

TEST(SignedCorpus, SeededAndValid) {
  CorpusOptions o;
  o.scheme = std::nullopt;  // mixed
  o.count = 60;
  o.payload_bytes = 45;
  o.keys = 4;
  const auto a = make_signed_txs(o);
  ASSERT_EQ(a.size(), 60u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].scheme, Scheme(1 + i % 3)) << i;
    EXPECT_EQ(a[i].payload.size(), 45u);
    EXPECT_TRUE(verifies(a[i])) << i;
  }
  // Keys and payloads repeat exactly; ed25519 and secp256k1 (RFC 6979)
  // signatures too, P-256's do not (OpenSSL's random k).
  ThreadPool pool(2);
  const auto b = make_signed_txs(o, &pool);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].public_key, b[i].public_key) << i;
    EXPECT_EQ(a[i].payload, b[i].payload) << i;
    if (a[i].scheme != Scheme::kP256) EXPECT_EQ(a[i], b[i]) << i;
  }
  // 4 keys per scheme, used round robin.
  EXPECT_EQ(a[0].public_key, a[12].public_key);
  EXPECT_NE(a[0].public_key, a[3].public_key);
  o.seed = 2;
  EXPECT_NE(make_signed_txs(o)[0].public_key, a[0].public_key);
}

TEST(SignedCorpus, InvalidEveryAndChunks) {
  CorpusOptions o;
  o.scheme = Scheme::kSecp256k1;
  o.count = 20;
  o.invalid_every = 5;
  const auto all = make_signed_txs(o);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(verifies(all[i]), (i + 1) % 5 != 0) << i;
  CorpusOptions tail = o;
  tail.first_index = 12;
  tail.count = 8;
  const auto part = make_signed_txs(tail);
  for (size_t i = 0; i < part.size(); ++i) EXPECT_EQ(part[i], all[12 + i]) << i;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(MakeTxFile, WritesWhatVerifyAccepts) {
  const std::string gen = std::string(MAKE_TX_FILE) + " --scheme ed25519 --count 50 --seed 9 --invalid-every 10";
  const std::string a = run(gen), b = run(gen);
  EXPECT_EQ(a, b);
  EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), 50);
  const std::string verdicts = run(gen + " | " + BLOCKGATE_BINARY + " verify --backend cpu 2>/dev/null");
  std::string want;
  for (int i = 1; i <= 50; ++i) want += (i % 10 == 0) ? "invalid_signature\n" : "valid\n";
  EXPECT_EQ(verdicts, want);
  EXPECT_NE(run(std::string(MAKE_TX_FILE) + " --scheme nope 2>&1; echo rc=$?").find("rc=2"), std::string::npos);
}

}  // namespace
}  // namespace bg::bench
