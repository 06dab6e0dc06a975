// The CPU engine and `blockgate verify` against the shared vectors
// (Wycheproof, ed25519-speccheck) and RFC 8032 §7.1.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <tuple>

#include "host/backend.h"
#include "host/transaction.h"
#include "testing/process.h"
#include "testing/vectors.h"

namespace bg {
namespace {

using testing::read_vectors;

std::string verdict_of(VerifyBackend& backend, const std::string& line) {
  Transaction tx;
  ErrorCode c = decode_tx_json_text(line, kDefaultMaxPayload, &tx);
  if (c != ErrorCode::kOk) return std::string(error_name(c));
  SigItem item = sig_item(tx);
  uint8_t valid = 0;
  EXPECT_TRUE(backend.verify_batch({&item, 1}, {&valid, 1}).ok());
  return valid ? "valid" : "invalid_signature";
}

// (vector file, backend name)
class EngineVectors : public ::testing::TestWithParam<std::tuple<const char*, const char*>> {
 protected:
  const char* file() const { return std::get<0>(GetParam()); }
  const char* backend_name() const { return std::get<1>(GetParam()); }
};

TEST_P(EngineVectors, BackendGivesEveryExpectedVerdict) {
  auto backend = *make_backend(backend_name(), {.cpu_threads = 1});
  auto vectors = read_vectors(file());
  ASSERT_GT(vectors.size(), 10u);
  for (const auto& v : vectors) EXPECT_EQ(verdict_of(*backend, v.text), v.expected) << v.source;
}

TEST_P(EngineVectors, BackendBatchEqualsOneByOne) {
  // The whole file as one mixed batch must give the same verdicts.
  auto backend = *make_backend(backend_name(), {.cpu_threads = 2});
  auto vectors = read_vectors(file());
  std::vector<Transaction> txs;
  std::vector<size_t> index;
  for (size_t i = 0; i < vectors.size(); ++i) {
    Transaction tx;
    if (decode_tx_json_text(vectors[i].text, kDefaultMaxPayload, &tx) == ErrorCode::kOk) {
      txs.push_back(std::move(tx));
      index.push_back(i);
    }
  }
  std::vector<SigItem> items;
  for (const auto& tx : txs) items.push_back(sig_item(tx));
  std::vector<uint8_t> valid(items.size());
  ASSERT_TRUE(backend->verify_batch(items, valid).ok());
  for (size_t j = 0; j < items.size(); ++j)
    EXPECT_EQ(valid[j] ? "valid" : "invalid_signature", vectors[index[j]].expected) << vectors[index[j]].source;
}

TEST_P(EngineVectors, VerifyCommandPrintsEveryExpectedVerdict) {
  auto vectors = read_vectors(file());
  int status = -1;
  std::string out = testing::run_shell(testing::blockgate_binary() + " verify --backend " + backend_name() +
                                             " --input " + BLOCKGATE_TESTVECTORS + "/" + file() + " 2>/dev/null",
                                         &status);
  EXPECT_EQ(status, 0);
  auto lines = testing::split_lines(out);
  ASSERT_EQ(lines.size(), vectors.size());
  for (size_t i = 0; i < vectors.size(); ++i) EXPECT_EQ(lines[i], vectors[i].expected) << vectors[i].source;
}

INSTANTIATE_TEST_SUITE_P(Shared, EngineVectors,
                         ::testing::Combine(::testing::Values("blockgate_wycheproof.jsonl", "blockgate_speccheck.jsonl"),
                                            ::testing::Values("cpu", "kernels-on-cpu")));

// RFC 8032 §7.1: TEST 1, 2, 3 and TEST SHA(abc) (public key, message, signature).
struct Rfc8032 {
  const char* pk;
  const char* msg;
  const char* sig;
};
const Rfc8032 kRfc8032[] = {
    {"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
};

TEST(Rfc8032, SectionSevenOneVectorsVerifyAndAnyBitFlipRejects) {
  auto backend = make_cpu_backend({.cpu_threads = 1});
  for (const auto& v : kRfc8032) {
    std::string line = std::string("{\"scheme\":\"ed25519\",\"public_key\":\"") + v.pk + "\",\"signature\":\"" +
                       v.sig + "\",\"payload\":\"" + v.msg + "\"}";
    EXPECT_EQ(verdict_of(*backend, line), "valid") << v.pk;
    Transaction tx;
    ASSERT_EQ(decode_tx_json_text(line, kDefaultMaxPayload, &tx), ErrorCode::kOk);
    for (int bit = 0; bit < 512; bit += 7) {
      Transaction bad = tx;
      bad.signature[bit / 8] ^= uint8_t(1 << (bit % 8));
      SigItem item = sig_item(bad);
      uint8_t valid = 1;
      ASSERT_TRUE(backend->verify_batch({&item, 1}, {&valid, 1}).ok());
      EXPECT_EQ(valid, 0) << "bit " << bit;
    }
  }
}

}  // namespace
}  // namespace bg
