// ECDSA verdicts of the kernels, both variants (v1: kernels/ecdsa_verify.h
// through kernels/verify_item.h; v2: kernels/ecdsa_verify_v2.h), against the
// references of SPEC §2: the Wycheproof vectors, crafted signatures whose x(R)
// exceeds n, digests >= n, and 100,000 randomized transactions per curve (half
// damaged), checked against reference_verify(), libsecp256k1 / OpenSSL called
// directly, and the `cpu` backend.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <secp256k1.h>

#include <boost/json.hpp>

#include <array>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "host/backend.h"
#include "host/reference_verify.h"
#include "host/signer.h"
#include "host/transaction.h"
#include "kernels/ecdsa_verify.h"
#include "kernels/ecdsa_verify_v2.h"
#include "kernels/sha256.h"
#include "kernels/verify_item.h"
#include "kernels/verify_variant.h"

namespace bg {
namespace {

enum class Variant { kV1, kV2 };

// One verification of a 32-byte digest by the kernel variant under test.
bool digest_verify(Variant v, Scheme scheme, const uint8_t* key, const uint8_t* sig, const uint8_t* digest) {
  const bool secp = scheme == Scheme::kSecp256k1;
  if (v == Variant::kV1)
    return secp ? k::secp256k1_ecdsa_verify(key, sig, digest) : k::p256_ecdsa_verify(key, sig, digest);
  return secp ? k::secp256k1_ecdsa_verify_v2(key, sig, digest) : k::p256_ecdsa_verify_v2(key, sig, digest);
}

// Through the per-item entry point the backends call (kernels/verify_variant.h,
// the code the GPU kernel units instantiate).
bool kernel_verify(const Transaction& tx, Variant v) {
  return k::verify_item_variant(uint8_t(tx.scheme), v == Variant::kV1 ? 1 : 2, tx.public_key.data(),
                                tx.signature.data(), tx.payload.data(), uint32_t(tx.payload.size()));
}

class EcdsaVerify : public ::testing::TestWithParam<Variant> {};

std::string variant_name(const ::testing::TestParamInfo<Variant>& info) {
  return info.param == Variant::kV1 ? "v1" : "v2";
}

bool is_ecdsa(Scheme s) { return s == Scheme::kSecp256k1 || s == Scheme::kP256; }

TEST_P(EcdsaVerify, Wycheproof) {
  reference_init();
  std::ifstream in(std::string(BLOCKGATE_TESTVECTORS) + "/blockgate_wycheproof.jsonl");
  ASSERT_TRUE(in) << BLOCKGATE_TESTVECTORS;
  std::string line;
  int checked[4] = {0, 0, 0, 0}, valid = 0;
  while (std::getline(in, line)) {
    if (line.find("\"expected\": \"malformed\"") != std::string::npos) continue;
    Transaction tx;
    const ErrorCode code = decode_tx_json_text(line, kDefaultMaxPayload, &tx);
    if (line.find("\"scheme\": \"secp256k1\"") == std::string::npos &&
        line.find("\"scheme\": \"p256\"") == std::string::npos)
      continue;
    ASSERT_EQ(code, ErrorCode::kOk) << line;
    ASSERT_TRUE(is_ecdsa(tx.scheme));
    const bool expected = line.find("\"expected\": \"valid\"") != std::string::npos;
    ASSERT_TRUE(expected || line.find("\"expected\": \"invalid_signature\"") != std::string::npos) << line;
    EXPECT_EQ(kernel_verify(tx, GetParam()), expected) << line;
    EXPECT_EQ(reference_verify(sig_item(tx)), expected) << line;
    ++checked[int(tx.scheme)];
    valid += expected;
  }
  EXPECT_GT(checked[int(Scheme::kSecp256k1)], 200);
  EXPECT_GT(checked[int(Scheme::kP256)], 200);
  EXPECT_GT(valid, 50);
}

// ---- crafted signatures with x(R) >= n --------------------------------------
// For R on the curve with n <= x(R) < p, r = x(R) - n, any low s and digest e,
// the key Q = r^-1 (s R - e G) makes (r, s) valid: verification has to take
// the r + n branch. Such R exist on both curves (p - n is ~2^128 and ~2^224).
struct BnCtx {
  BN_CTX* ctx = BN_CTX_new();
  ~BnCtx() { BN_CTX_free(ctx); }
};

void bn_to_be32(const BIGNUM* b, uint8_t* out) { ASSERT_EQ(BN_bn2binpad(b, out, 32), 32); }

std::vector<Transaction> crafted_x_beyond_n(Scheme scheme, int count, std::mt19937_64& rng) {
  EC_GROUP* g = EC_GROUP_new_by_curve_name(scheme == Scheme::kSecp256k1 ? NID_secp256k1 : NID_X9_62_prime256v1);
  BnCtx bc;
  BN_CTX* ctx = bc.ctx;
  BIGNUM *p = BN_new(), *n = BN_new(), *x = BN_new(), *r = BN_new(), *s = BN_new(), *e = BN_new(),
         *rinv = BN_new(), *a = BN_new(), *b = BN_new(), *half = BN_new();
  EC_GROUP_get_curve(g, p, nullptr, nullptr, ctx);
  BN_copy(n, EC_GROUP_get0_order(g));
  BN_rshift1(half, n);
  EC_POINT *R = EC_POINT_new(g), *Q = EC_POINT_new(g);
  std::vector<Transaction> out;
  BN_copy(x, n);
  BN_add_word(x, rng() % 1000000);
  while (int(out.size()) < count) {
    BN_add_word(x, 1 + rng() % 1000);
    if (EC_POINT_set_compressed_coordinates(g, R, x, int(rng() & 1), ctx) != 1) continue;
    Transaction tx;
    tx.scheme = scheme;
    tx.payload.resize(rng() % 40);
    for (auto& c : tx.payload) c = uint8_t(rng());
    uint8_t digest[32];
    SHA256(tx.payload.data(), tx.payload.size(), digest);
    BN_bin2bn(digest, 32, e);
    BN_nnmod(e, e, n, ctx);
    BN_sub(r, x, n);
    uint8_t sb[32];
    for (auto& c : sb) c = uint8_t(rng());
    BN_bin2bn(sb, 32, s);
    BN_nnmod(s, s, half, ctx);
    BN_add_word(s, 1);  // s in [1, (n-1)/2]
    BN_mod_inverse(rinv, r, n, ctx);
    BN_mod_mul(a, s, rinv, n, ctx);   // s / r
    BN_mod_mul(b, e, rinv, n, ctx);
    BN_mod_sub(b, n, b, n, ctx);      // -e / r
    EC_POINT_mul(g, Q, b, R, a, ctx);
    if (EC_POINT_point2oct(g, Q, POINT_CONVERSION_COMPRESSED, tx.public_key.data(), 33, ctx) != 33) continue;
    bn_to_be32(r, tx.signature.data());
    bn_to_be32(s, tx.signature.data() + 32);
    out.push_back(tx);
  }
  for (BIGNUM* v : {p, n, x, r, s, e, rinv, a, b, half}) BN_free(v);
  EC_POINT_free(R);
  EC_POINT_free(Q);
  EC_GROUP_free(g);
  return out;
}

void check_x_beyond_n(Scheme scheme, Variant v) {
  reference_init();
  std::mt19937_64 rng(scheme == Scheme::kSecp256k1 ? 31 : 32);
  const std::vector<Transaction> txs = crafted_x_beyond_n(scheme, 16, rng);
  for (const Transaction& tx : txs) {
    EXPECT_TRUE(reference_verify(sig_item(tx)));
    EXPECT_TRUE(kernel_verify(tx, v));
    // The same signature with r = x(R) itself (>= n) must fail parsing.
    Transaction big = tx;
    BIGNUM* r = BN_bin2bn(tx.signature.data(), 32, nullptr);
    const BIGNUM* n = nullptr;
    EC_GROUP* g = EC_GROUP_new_by_curve_name(scheme == Scheme::kSecp256k1 ? NID_secp256k1 : NID_X9_62_prime256v1);
    n = EC_GROUP_get0_order(g);
    BN_add(r, r, n);
    bn_to_be32(r, big.signature.data());
    BN_free(r);
    EC_GROUP_free(g);
    EXPECT_FALSE(reference_verify(sig_item(big)));
    EXPECT_FALSE(kernel_verify(big, v));
  }
}

TEST_P(EcdsaVerify, Secp256k1XBeyondOrder) { check_x_beyond_n(Scheme::kSecp256k1, GetParam()); }
TEST_P(EcdsaVerify, P256XBeyondOrder) { check_x_beyond_n(Scheme::kP256, GetParam()); }

// ---- randomized differential -------------------------------------------------
struct CurveBytes {
  uint8_t n[32], p[32], half[32];
};

CurveBytes curve_bytes(Scheme scheme) {
  CurveBytes c;
  if (scheme == Scheme::kSecp256k1) {
    k::u256_to_be(k::fp_modulus<k::Secp256k1ScalarParams>(), c.n);
    k::u256_to_be(k::fp_modulus<k::Secp256k1FieldParams>(), c.p);
    k::u256_to_be(k::u256_shr1(k::fp_modulus<k::Secp256k1ScalarParams>()), c.half);
  } else {
    k::u256_to_be(k::fp_modulus<k::P256ScalarParams>(), c.n);
    k::u256_to_be(k::fp_modulus<k::P256FieldParams>(), c.p);
    k::u256_to_be(k::u256_shr1(k::fp_modulus<k::P256ScalarParams>()), c.half);
  }
  return c;
}

// out = a - b or a + b (big-endian 32 bytes, mod 2^256).
void be_add(const uint8_t* a, const uint8_t* b, uint8_t* out, bool subtract) {
  k::U256 x = k::u256_from_be(a), y = k::u256_from_be(b), z;
  if (subtract) k::u256_sub(&z, x, y);
  else k::u256_add(&z, x, y);
  k::u256_to_be(z, out);
}

// ---- digests >= n ----------------------------------------------------------
// The kernel reduces e = digest mod n; SHA-256 outputs >= n are too rare to
// meet at random, so sign such digests directly with the libraries and check
// the kernel functions against the libraries' own verification.
TEST_P(EcdsaVerify, DigestsAtLeastOrder) {
  secp256k1_context* sctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
  EC_KEY* pkey = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  {  // fixed secret 0x0102...20 (deterministic key; OpenSSL's nonces stay random)
    uint8_t d[32];
    for (int i = 0; i < 32; ++i) d[i] = uint8_t(i + 1);
    BIGNUM* priv = BN_bin2bn(d, 32, nullptr);
    EC_POINT* pub = EC_POINT_new(EC_KEY_get0_group(pkey));
    ASSERT_EQ(EC_POINT_mul(EC_KEY_get0_group(pkey), pub, priv, nullptr, nullptr, nullptr), 1);
    ASSERT_EQ(EC_KEY_set_private_key(pkey, priv), 1);
    ASSERT_EQ(EC_KEY_set_public_key(pkey, pub), 1);
    EC_POINT_free(pub);
    BN_free(priv);
  }
  uint8_t p256_pub[33];
  ASSERT_EQ(EC_POINT_point2oct(EC_KEY_get0_group(pkey), EC_KEY_get0_public_key(pkey), POINT_CONVERSION_COMPRESSED,
                               p256_pub, 33, nullptr),
            33u);
  const BIGNUM* p256_n = EC_GROUP_get0_order(EC_KEY_get0_group(pkey));
  uint8_t secret[32];
  for (int i = 0; i < 32; ++i) secret[i] = uint8_t(i + 1);
  secp256k1_pubkey spk;
  ASSERT_EQ(secp256k1_ec_pubkey_create(sctx, &spk, secret), 1);
  uint8_t secp_pub[33];
  size_t len = 33;
  secp256k1_ec_pubkey_serialize(sctx, secp_pub, &len, &spk, SECP256K1_EC_COMPRESSED);

  for (Scheme scheme : {Scheme::kSecp256k1, Scheme::kP256}) {
    const CurveBytes c = curve_bytes(scheme);
    std::vector<std::array<uint8_t, 32>> digests;
    std::array<uint8_t, 32> d;
    std::memcpy(d.data(), c.n, 32);
    digests.push_back(d);  // e = n -> 0
    d[31] ^= 1;
    digests.push_back(d);  // n + 1 -> 1 (n is odd)
    d.fill(0xff);
    digests.push_back(d);  // 2^256 - 1
    d.fill(0);
    digests.push_back(d);  // 0
    for (const auto& digest : digests) {
      uint8_t sig[64];
      bool lib_ok;
      if (scheme == Scheme::kSecp256k1) {
        secp256k1_ecdsa_signature s;
        ASSERT_EQ(secp256k1_ecdsa_sign(sctx, &s, digest.data(), secret, nullptr, nullptr), 1);
        secp256k1_ecdsa_signature_serialize_compact(sctx, sig, &s);
        lib_ok = secp256k1_ecdsa_verify(sctx, &s, digest.data(), &spk) == 1;
        EXPECT_EQ(digest_verify(GetParam(), scheme, secp_pub, sig, digest.data()), lib_ok);
      } else {
        ECDSA_SIG* s = ECDSA_do_sign(digest.data(), 32, pkey);
        ASSERT_NE(s, nullptr);
        const BIGNUM *r, *sv;
        ECDSA_SIG_get0(s, &r, &sv);
        BIGNUM* low = BN_dup(sv);
        BIGNUM* half = BN_dup(p256_n);
        BN_rshift1(half, half);
        if (BN_cmp(low, half) > 0) BN_sub(low, p256_n, sv);
        bn_to_be32(r, sig);
        bn_to_be32(low, sig + 32);
        ECDSA_SIG* s2 = ECDSA_SIG_new();
        ECDSA_SIG_set0(s2, BN_dup(r), low);
        lib_ok = ECDSA_do_verify(digest.data(), 32, s2, pkey) == 1;
        EXPECT_EQ(digest_verify(GetParam(), scheme, p256_pub, sig, digest.data()), lib_ok);
        // A different digest congruent mod n only when both are >= n or 0.
        auto other = digest;
        other[0] ^= 0x80;
        EXPECT_EQ(digest_verify(GetParam(), scheme, p256_pub, sig, other.data()),
                  ECDSA_do_verify(other.data(), 32, s2, pkey) == 1);
        BN_free(half);
        ECDSA_SIG_free(s2);
        ECDSA_SIG_free(s);
      }
      EXPECT_TRUE(lib_ok);
    }
  }
  EC_KEY_free(pkey);
  secp256k1_context_destroy(sctx);
}

constexpr int kDamageKinds = 20;

// Applies damage `kind` to a validly signed transaction.
void damage(Transaction* tx, int kind, const CurveBytes& c, const std::vector<KeyPair>& keys,
            std::mt19937_64& rng) {
  uint8_t* r = tx->signature.data();
  uint8_t* s = tx->signature.data() + 32;
  uint8_t* x = tx->public_key.data() + 1;
  uint8_t small[32] = {0};
  switch (kind) {
    case 0: tx->signature[rng() % 64] ^= uint8_t(1u << (rng() % 8)); break;
    case 1: tx->public_key[rng() % 33] ^= uint8_t(1u << (rng() % 8)); break;
    case 2:
      if (tx->payload.empty()) tx->payload.push_back(uint8_t(rng()));
      else tx->payload[rng() % tx->payload.size()] ^= uint8_t(1u << (rng() % 8));
      break;
    case 3: be_add(c.n, s, s, true); break;  // high S: n - s
    case 4: std::memset(r, 0, 32); break;
    case 5: std::memset(s, 0, 32); break;
    case 6: std::memcpy(r, c.n, 32); break;
    case 7: std::memcpy(s, c.n, 32); break;
    case 8: {  // r or s in (n, 2^256)
      small[31] = uint8_t(1 + rng() % 255);
      small[28] = uint8_t(rng());
      be_add(c.n, small, (rng() & 1) ? r : s, false);
      break;
    }
    case 9: std::memset((rng() & 1) ? r : s, 0xff, 32); break;
    case 10: {  // x >= p
      small[31] = uint8_t(rng() % 200);
      if (rng() & 1) be_add(c.p, small, x, false);
      else std::memset(x, 0xff, 32);
      break;
    }
    case 11:  // random x: off the curve about half the time
      for (int i = 0; i < 32; ++i) x[i] = uint8_t(rng());
      break;
    case 12: {
      static const uint8_t kPrefixes[] = {0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff, 0x12};
      if (rng() % 3 == 0) tx->public_key[0] ^= 1;  // the negated key
      else tx->public_key[0] = kPrefixes[rng() % 8];
      break;
    }
    case 13: for (auto& b : tx->signature) b = uint8_t(rng()); break;
    case 14: {  // r small (< p - n) : the r + n comparison runs
      std::memset(r, 0, 32);
      for (int i = 16; i < 32; ++i) r[i] = uint8_t(rng());
      break;
    }
    case 15: {  // s = (n-1)/2 + 1 or exactly (n-1)/2 (with a wrong signature)
      small[31] = 1;
      if (rng() & 1) be_add(c.half, small, s, false);
      else std::memcpy(s, c.half, 32);
      break;
    }
    case 16: {  // swap r and s
      uint8_t t[32];
      std::memcpy(t, r, 32);
      std::memcpy(r, s, 32);
      std::memcpy(s, t, 32);
      break;
    }
    case 17: {  // another signer's key
      const KeyPair& other = keys[rng() % keys.size()];
      std::memcpy(tx->public_key.data(), other.public_key.data(), 33);
      break;
    }
    case 18: tx->payload.assign(rng() % 50, uint8_t(rng())); break;
    case 19: {  // s = 1, r = 1, or s = n - 1 (high)
      const int which = int(rng() % 3);
      small[31] = 1;
      if (which == 0) std::memcpy(s, small, 32);
      else if (which == 1) std::memcpy(r, small, 32);
      else be_add(c.n, small, s, true);
      break;
    }
  }
}

bool direct_library_verify(const Transaction& tx) {
  uint8_t digest[32];
  SHA256(tx.payload.data(), tx.payload.size(), digest);
  if (tx.scheme == Scheme::kSecp256k1) {
    static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature sig;
    return secp256k1_ec_pubkey_parse(ctx, &pk, tx.public_key.data(), 33) == 1 &&
           secp256k1_ecdsa_signature_parse_compact(ctx, &sig, tx.signature.data()) == 1 &&
           secp256k1_ecdsa_verify(ctx, &sig, digest, &pk) == 1;
  }
  // P-256 via OpenSSL's EC_KEY path, and low S checked here.
  const CurveBytes c = curve_bytes(Scheme::kP256);
  if (std::memcmp(tx.signature.data() + 32, c.half, 32) > 0) return false;
  EC_KEY* key = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
  const unsigned char* kp = tx.public_key.data();
  bool ok = false;
  if (o2i_ECPublicKey(&key, &kp, 33) != nullptr) {
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(tx.signature.data(), 32, nullptr), BN_bin2bn(tx.signature.data() + 32, 32, nullptr));
    ok = ECDSA_do_verify(digest, 32, sig, key) == 1;
    ECDSA_SIG_free(sig);
  }
  EC_KEY_free(key);
  return ok;
}

void differential(Scheme scheme, uint64_t seed, Variant v) {
  reference_init();
  constexpr size_t kTotal = 100000;
  std::mt19937_64 rng(seed);
  std::vector<KeyPair> keys;
  for (int i = 0; i < 6; ++i) {
    uint8_t secret[32];
    for (auto& b : secret) b = uint8_t(rng());
    secret[0] &= 0x7f;  // < n
    auto kp = key_from_secret(scheme, ByteSpan(secret, 32));
    ASSERT_TRUE(kp.ok()) << kp.status();
    keys.push_back(*kp);
  }
  const CurveBytes c = curve_bytes(scheme);
  std::vector<Transaction> txs;
  txs.reserve(kTotal);
  int damage_count[kDamageKinds] = {0};
  for (size_t i = 0; i < kTotal / 2; ++i) {
    Bytes payload(rng() % 64);
    for (auto& b : payload) b = uint8_t(rng());
    txs.push_back(sign_transaction(keys[i % keys.size()], std::move(payload)));
    Transaction bad = txs.back();
    const int kind = int(rng() % kDamageKinds);
    damage(&bad, kind, c, keys, rng);
    ++damage_count[kind];
    txs.push_back(std::move(bad));
  }
  std::vector<SigItem> items;
  items.reserve(txs.size());
  for (const Transaction& tx : txs) items.push_back(sig_item(tx));

  // The kernels-on-cpu backend with this variant for both ECDSA schemes.
  BackendOptions kopts;
  kopts.kernel_variant[size_t(Scheme::kSecp256k1)] = kopts.kernel_variant[size_t(Scheme::kP256)] =
      v == Variant::kV1 ? 1 : 2;
  auto kernels = make_backend("kernels-on-cpu", kopts);
  auto cpu = make_backend("cpu");
  ASSERT_TRUE(kernels.ok() && cpu.ok());
  std::vector<uint8_t> got(items.size()), want(items.size());
  ASSERT_TRUE((*kernels)->verify_batch(items, got).ok());
  ASSERT_TRUE((*cpu)->verify_batch(items, want).ok());

  size_t valid = 0, mismatches = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    valid += want[i];
    if (got[i] != want[i] && ++mismatches <= 10) {
      ADD_FAILURE() << "item " << i << (i % 2 ? " (damaged)" : " (signed)") << " kernel " << int(got[i])
                    << " reference " << int(want[i]) << ": " << boost::json::serialize(tx_to_json(txs[i]));
    }
    if (i % 2 == 0) {
      EXPECT_EQ(want[i], 1) << "signer output must verify, item " << i;
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GE(valid, kTotal / 2);
  EXPECT_LT(valid, kTotal / 2 + kTotal / 100);  // damage nearly always invalidates
  for (int kind = 0; kind < kDamageKinds; ++kind) EXPECT_GT(damage_count[kind], 1000) << kind;

  // A subset straight through the kernel function, reference_verify() and the
  // libraries themselves (not via the backends).
  for (size_t i = 0; i < txs.size(); i += 37) {
    const bool ref = reference_verify(items[i]);
    ASSERT_EQ(kernel_verify(txs[i], v), ref) << i;
    ASSERT_EQ(direct_library_verify(txs[i]), ref) << i;
    ASSERT_EQ(ref, want[i] == 1) << i;
  }
}

TEST_P(EcdsaVerify, Secp256k1Differential) { differential(Scheme::kSecp256k1, 41, GetParam()); }
TEST_P(EcdsaVerify, P256Differential) { differential(Scheme::kP256, 42, GetParam()); }

INSTANTIATE_TEST_SUITE_P(Variants, EcdsaVerify, ::testing::Values(Variant::kV1, Variant::kV2), variant_name);

}  // namespace
}  // namespace bg
