// Transaction codecs: round trips, the exact canonical layout, the id, and
// every class of malformed input giving its specific error.
#include "host/transaction.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <random>

#include "host/signer.h"

namespace bg {
namespace {

Transaction random_tx(std::mt19937_64& rng, Scheme s, size_t payload_len) {
  Transaction tx;
  tx.scheme = s;
  for (size_t i = 0; i < public_key_size(s); ++i) tx.public_key[i] = uint8_t(rng());
  for (auto& b : tx.signature) b = uint8_t(rng());
  tx.payload.resize(payload_len);
  for (auto& b : tx.payload) b = uint8_t(rng());
  return tx;
}

Hash32 evp_sha256(ByteSpan data) {
  Hash32 out;
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

TEST(Transaction, CanonicalLayoutIsExactlyTheSpec) {
  std::mt19937_64 rng(1);
  for (Scheme s : {Scheme::kEd25519, Scheme::kSecp256k1, Scheme::kP256}) {
    Transaction tx = random_tx(rng, s, 300);
    Bytes enc = tx.encode();
    const size_t pk = s == Scheme::kEd25519 ? 32 : 33;
    ASSERT_EQ(enc.size(), 1 + 1 + pk + 64 + 4 + 300);
    EXPECT_EQ(enc[0], 1);
    EXPECT_EQ(enc[1], uint8_t(s));
    EXPECT_TRUE(std::equal(enc.begin() + 2, enc.begin() + 2 + pk, tx.public_key.begin()));
    EXPECT_TRUE(std::equal(enc.begin() + 2 + pk, enc.begin() + 2 + pk + 64, tx.signature.begin()));
    // payload_len little-endian: 300 = 0x012c
    EXPECT_EQ(enc[2 + pk + 64], 0x2c);
    EXPECT_EQ(enc[2 + pk + 65], 0x01);
    EXPECT_EQ(enc[2 + pk + 66], 0);
    EXPECT_EQ(enc[2 + pk + 67], 0);
    EXPECT_EQ(tx.id(), evp_sha256(enc));
  }
}

TEST(Transaction, BinaryAndJsonRoundTrip) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 300; ++i) {
    Scheme s = scheme_at(i % kSchemeCount);
    Transaction tx = random_tx(rng, s, rng() % 200);
    Bytes enc = tx.encode();
    Transaction back;
    size_t used = 0;
    ASSERT_EQ(decode_tx_binary(enc, kDefaultMaxPayload, &back, &used), ErrorCode::kOk);
    EXPECT_EQ(used, enc.size());
    EXPECT_EQ(back, tx);
    std::string json = boost::json::serialize(tx_to_json(tx));
    Transaction from_json;
    ASSERT_EQ(decode_tx_json_text(json, kDefaultMaxPayload, &from_json), ErrorCode::kOk) << json;
    EXPECT_EQ(from_json, tx);
  }
}

TEST(Transaction, JsonIsLowerCaseHexAndAcceptsUpperCase) {
  std::mt19937_64 rng(3);
  Transaction tx = random_tx(rng, Scheme::kP256, 20);
  std::string json = boost::json::serialize(tx_to_json(tx));
  for (char c : json) EXPECT_FALSE(c >= 'A' && c <= 'F') << json;
  std::string upper = json;
  // Upper-case only the hex values, not the member names or scheme.
  for (const char* key : {"\"public_key\":\"", "\"signature\":\"", "\"payload\":\""}) {
    size_t p = upper.find(key) + std::strlen(key);
    for (; upper[p] != '"'; ++p) upper[p] = char(std::toupper(upper[p]));
  }
  Transaction back;
  ASSERT_EQ(decode_tx_json_text(upper, kDefaultMaxPayload, &back), ErrorCode::kOk);
  EXPECT_EQ(back, tx);
}

TEST(Transaction, EveryTruncationOfABinaryTxIsMalformed) {
  std::mt19937_64 rng(4);
  for (Scheme s : {Scheme::kEd25519, Scheme::kSecp256k1}) {
    Bytes enc = random_tx(rng, s, 17).encode();
    for (size_t n = 0; n < enc.size(); ++n) {
      Transaction tx;
      size_t used = 99;
      EXPECT_EQ(decode_tx_binary(ByteSpan(enc.data(), n), kDefaultMaxPayload, &tx, &used), ErrorCode::kMalformed)
          << n;
      EXPECT_EQ(used, 0u);
    }
  }
}

TEST(Transaction, BinaryVersionSchemeAndPayloadLimit) {
  std::mt19937_64 rng(5);
  Bytes enc = random_tx(rng, Scheme::kEd25519, 100).encode();
  Transaction tx;
  size_t used = 0;
  Bytes bad = enc;
  bad[0] = 2;
  EXPECT_EQ(decode_tx_binary(bad, kDefaultMaxPayload, &tx, &used), ErrorCode::kMalformed);
  for (uint8_t s : {0, 4, 255}) {
    bad = enc;
    bad[1] = s;
    EXPECT_EQ(decode_tx_binary(bad, kDefaultMaxPayload, &tx, &used), ErrorCode::kUnsupportedScheme);
  }
  // Exactly at the limit is fine; one below the payload size is too large, and
  // the decoder says how far to skip because the whole payload is present.
  EXPECT_EQ(decode_tx_binary(enc, 100, &tx, &used), ErrorCode::kOk);
  EXPECT_EQ(decode_tx_binary(enc, 99, &tx, &used), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(used, enc.size());
  // A huge declared length with no bytes behind it: too large, not skippable,
  // and no allocation of the declared size.
  bad = enc;
  bad[2 + 32 + 64 + 3] = 0xff;
  EXPECT_EQ(decode_tx_binary(bad, kDefaultMaxPayload, &tx, &used), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(used, 0u);
  // Declared length within the limit but longer than the input: malformed.
  bad = enc;
  bad[2 + 32 + 64] = 101;
  EXPECT_EQ(decode_tx_binary(bad, kDefaultMaxPayload, &tx, &used), ErrorCode::kMalformed);
}

TEST(Transaction, ConcatenatedBinaryStreamDecodesInOrder) {
  std::mt19937_64 rng(6);
  std::vector<Transaction> txs;
  Bytes stream;
  for (int i = 0; i < 20; ++i) {
    txs.push_back(random_tx(rng, scheme_at(rng() % kSchemeCount), rng() % 50));
    txs.back().append_encoding(stream);
  }
  size_t off = 0;
  for (const auto& want : txs) {
    Transaction got;
    size_t used = 0;
    ASSERT_EQ(decode_tx_binary(ByteSpan(stream).subspan(off), kDefaultMaxPayload, &got, &used), ErrorCode::kOk);
    EXPECT_EQ(got, want);
    off += used;
  }
  EXPECT_EQ(off, stream.size());
}

struct JsonCase {
  const char* json;
  ErrorCode want;
};

TEST(Transaction, JsonErrorsAreSpecific) {
  const std::string pk32(64, 'a'), pk33 = "02" + std::string(64, 'b'), sig(128, 'c');
  auto make = [](const std::string& scheme, const std::string& pk, const std::string& s, const std::string& p) {
    return "{\"scheme\":" + scheme + ",\"public_key\":" + pk + ",\"signature\":" + s + ",\"payload\":" + p + "}";
  };
  auto q = [](const std::string& s) { return "\"" + s + "\""; };
  std::vector<std::pair<std::string, ErrorCode>> cases = {
      {make(q("ed25519"), q(pk32), q(sig), q("")), ErrorCode::kOk},
      {make(q("secp256k1"), q(pk33), q(sig), q("00ff")), ErrorCode::kOk},
      {make(q("p256"), q(pk33), q(sig), q("00")), ErrorCode::kOk},
      {make(q("rsa"), q(pk32), q(sig), q("")), ErrorCode::kUnsupportedScheme},
      {make(q("Ed25519"), q(pk32), q(sig), q("")), ErrorCode::kUnsupportedScheme},
      {make("1", q(pk32), q(sig), q("")), ErrorCode::kMalformed},
      {make(q("ed25519"), q(pk33), q(sig), q("")), ErrorCode::kMalformed},     // key size for scheme
      {make(q("p256"), q(pk32), q(sig), q("")), ErrorCode::kMalformed},
      {make(q("ed25519"), q(pk32), q(sig + "00"), q("")), ErrorCode::kMalformed},
      {make(q("ed25519"), q(pk32), q(sig.substr(2)), q("")), ErrorCode::kMalformed},
      {make(q("ed25519"), q(pk32), q(sig), q("0")), ErrorCode::kMalformed},    // odd hex
      {make(q("ed25519"), q(pk32), q(sig), q("zz")), ErrorCode::kMalformed},   // not hex
      {make(q("ed25519"), q(pk32), q(sig), "12"), ErrorCode::kMalformed},      // not a string
      {make(q("ed25519"), q("g" + pk32.substr(1)), q(sig), q("")), ErrorCode::kMalformed},
      {"{\"scheme\":\"ed25519\",\"public_key\":\"" + pk32 + "\",\"signature\":\"" + sig + "\"}", ErrorCode::kMalformed},
      {"[]", ErrorCode::kMalformed},
      {"null", ErrorCode::kMalformed},
      {"{", ErrorCode::kMalformed},
      {"", ErrorCode::kMalformed},
      {"{\"scheme\":\"ed25519\",\"public_key\":\"" + pk32 + "\",\"signature\":\"" + sig +
           "\",\"payload\":\"\",\"extra\":[1,2,{}]}",
       ErrorCode::kOk},
  };
  for (const auto& [json, want] : cases) {
    Transaction tx;
    EXPECT_EQ(decode_tx_json_text(json, kDefaultMaxPayload, &tx), want) << json;
  }
  Transaction tx;
  EXPECT_EQ(decode_tx_json_text(make(q("ed25519"), q(pk32), q(sig), q(std::string(2 * 11, 'a'))), 10, &tx),
            ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(decode_tx_json_text(make(q("ed25519"), q(pk32), q(sig), q(std::string(2 * 10, 'a'))), 10, &tx),
            ErrorCode::kOk);
}

TEST(Transaction, SignedTransactionsRoundTripThroughJson) {
  for (Scheme s : {Scheme::kEd25519, Scheme::kSecp256k1, Scheme::kP256}) {
    KeyPair k = generate_key(s);
    Transaction tx = sign_transaction(k, Bytes{1, 2, 3});
    Transaction back;
    ASSERT_EQ(decode_tx_json_text(boost::json::serialize(tx_to_json(tx)), kDefaultMaxPayload, &back), ErrorCode::kOk);
    EXPECT_EQ(back, tx);
    EXPECT_EQ(back.id(), tx.id());
  }
}

}  // namespace
}  // namespace bg
