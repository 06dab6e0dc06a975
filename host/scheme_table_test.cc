// The scheme table (kernels/schemes.h) against SPEC §1, and every consumer
// reading it: codecs, names, the reference and kernel dispatch, and bytes
// with no row. A new scheme adds its row to kSpecSchemes below.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "host/backend.h"
#include "host/reference_verify.h"
#include "host/signer.h"
#include "host/transaction.h"
#include "kernels/verify_item.h"

namespace bg {
namespace {

struct SpecRow {
  uint8_t byte;
  const char* name;
  size_t public_key_size, signature_size;
};
// SPEC §1, written out independently of the table.
constexpr SpecRow kSpecSchemes[] = {{1, "ed25519", 32, 64}, {2, "secp256k1", 33, 64}, {3, "p256", 33, 64}};

TEST(SchemeTable, MatchesTheSpec) {
  ASSERT_EQ(kSchemeCount, std::size(kSpecSchemes));
  for (size_t i = 0; i < kSchemeCount; ++i) {
    const SpecRow& want = kSpecSchemes[i];
    const SchemeInfo& got = kSchemes[i];
    EXPECT_EQ(uint8_t(got.id), want.byte);
    EXPECT_EQ(std::string(got.name), want.name);
    EXPECT_EQ(got.public_key_size, want.public_key_size);
    EXPECT_EQ(got.signature_size, want.signature_size);
  }
}

TEST(SchemeTable, NamesAndBytesRoundTrip) {
  std::set<std::string> names;
  for (const SchemeInfo& s : kSchemes) {
    EXPECT_TRUE(names.insert(s.name).second) << "name twice: " << s.name;
    EXPECT_EQ(scheme_name(s.id), s.name);
    EXPECT_EQ(scheme_from_name(s.name), s.id);
    EXPECT_EQ(scheme_from_byte(uint8_t(s.id)), s.id);
  }
  EXPECT_EQ(scheme_from_byte(0), std::nullopt);
  EXPECT_EQ(scheme_from_byte(uint8_t(kSchemeCount + 1)), std::nullopt);
  EXPECT_EQ(scheme_from_byte(255), std::nullopt);
  EXPECT_EQ(scheme_from_name("schnorr"), std::nullopt);
  EXPECT_EQ(scheme_name(Scheme(kSchemeCount + 1)), "unknown");
  std::string list;
  for (const SpecRow& r : kSpecSchemes) list += std::string(list.empty() ? "" : "/") + r.name;
  EXPECT_EQ(scheme_names("/"), list);
}

TEST(SchemeTable, BinaryLayoutFollowsTheRowSizes) {
  for (const SchemeInfo& s : kSchemes) {
    Transaction tx = sign_transaction(generate_key(s.id), Bytes{1, 2, 3});
    const Bytes enc = tx.encode();
    EXPECT_EQ(enc.size(), 2 + s.public_key_size + s.signature_size + 4 + 3) << s.name;
    EXPECT_EQ(tx_fixed_size(s.id) + 3, enc.size());
    Transaction back;
    size_t used = 0;
    ASSERT_EQ(decode_tx_binary(enc, kDefaultMaxPayload, &back, &used), ErrorCode::kOk) << s.name;
    EXPECT_EQ(back, tx);
    // One byte short of the fixed part: malformed, not an over-read.
    EXPECT_EQ(decode_tx_binary(ByteSpan(enc.data(), tx_fixed_size(s.id) - 1), kDefaultMaxPayload, &back, &used),
              ErrorCode::kMalformed);
  }
  EXPECT_LE(kMinTxSize, tx_fixed_size(Scheme::kEd25519));
}

// Every row reaches both verifiers, and they agree on a valid signature and a
// damaged one; a byte with no row is rejected by both dispatchers.
TEST(SchemeTable, EveryRowHasAReferenceAndAKernelVerifier) {
  reference_init();
  for (const SchemeInfo& s : kSchemes) {
    Transaction tx = sign_transaction(generate_key(s.id), Bytes{'t', 'a', 'b', 'l', 'e'});
    SigItem it = sig_item(tx);
    EXPECT_TRUE(reference_verify(it)) << s.name;
    EXPECT_TRUE(k::verify_item(uint8_t(s.id), it.public_key, it.signature, it.message, it.message_len)) << s.name;
    tx.signature[s.signature_size - 1] ^= 1;
    it = sig_item(tx);
    EXPECT_FALSE(reference_verify(it)) << s.name;
    EXPECT_FALSE(k::verify_item(uint8_t(s.id), it.public_key, it.signature, it.message, it.message_len)) << s.name;
  }
  Transaction tx = sign_transaction(generate_key(Scheme::kEd25519), Bytes{1});
  for (uint8_t byte : {uint8_t(0), uint8_t(kSchemeCount + 1), uint8_t(255)}) {
    SigItem it = sig_item(tx);
    it.scheme = Scheme(byte);
    EXPECT_FALSE(reference_verify(it)) << int(byte);
    EXPECT_FALSE(k::verify_item(byte, it.public_key, it.signature, it.message, it.message_len)) << int(byte);
  }
}

TEST(SchemeTable, VisitSchemeReachesEachRowOnce) {
  for (size_t i = 0; i < kSchemeCount; ++i) {
    const Scheme want = kSchemes[i].id;
    Scheme got = visit_scheme(uint8_t(want), [](auto tag) { return decltype(tag)::value; }, Scheme(0));
    EXPECT_EQ(got, want);
    EXPECT_EQ(scheme_at(scheme_index(want)), want);
  }
  EXPECT_EQ(visit_scheme(uint8_t(kSchemeCount + 1), [](auto) { return 1; }, -1), -1);
  EXPECT_EQ(visit_scheme(uint8_t(0), [](auto) { return 1; }, -1), -1);
}

}  // namespace
}  // namespace bg
