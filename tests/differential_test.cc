// Randomized differential test of the verification engine: 12,000
// transactions over all three schemes (fixed seed), half damaged in varied
// ways, engine verdicts against the reference libraries called directly here
// through their own APIs (libsodium, libsecp256k1, OpenSSL's EVP layer — a
// different OpenSSL path from the engine's EC_KEY one). The ECDSA part of the
// same corpus also runs through the v2 ECDSA kernels (kernels/ecdsa_verify_v2.h).
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "host/backend.h"
#include "host/kernel_variants.h"
#include "host/signer.h"
#include "kernels/ecdsa_verify_v2.h"
#include "kernels/ed25519_small_order.h"
#include "kernels/sha256.h"
#include "kernels/verify_variant.h"

namespace bg {
namespace {

// Group orders, big-endian.
const char* kSecpN = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
const char* kP256N = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const char* kEdL = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";  // little-endian L

// Ed25519 encodings libsodium must reject: the shared small-order list
// (kernels/ed25519_small_order.h), then a non-canonical y and an order-8 y
// with the sign bit set.
const char* const kEdBadPointExtras[] = {
    "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
};
constexpr size_t kEdBadPointCount = k::kEd25519SmallOrderCount + std::size(kEdBadPointExtras);

bool oracle_p256(const Transaction& tx) {
  // Low-S first (SPEC §2), then OpenSSL's EVP verification of the DER form.
  BIGNUM* n = nullptr;
  BN_hex2bn(&n, kP256N);
  BIGNUM* r = BN_bin2bn(tx.signature.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(tx.signature.data() + 32, 32, nullptr);
  BIGNUM* half = BN_dup(n);
  BN_rshift1(half, half);
  bool low_s = BN_cmp(s, half) <= 0;
  BN_free(half);
  BN_free(n);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);

  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, tx.public_key.data(), 33);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  bool ok = false;
  if (EVP_PKEY_fromdata_init(pctx) == 1 && EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1) {
    EVP_PKEY_CTX* vctx = EVP_PKEY_CTX_new(pkey, nullptr);
    uint8_t digest[32];
    SHA256(tx.payload.data(), tx.payload.size(), digest);
    ok = EVP_PKEY_verify_init(vctx) == 1 && EVP_PKEY_verify(vctx, der, der_len, digest, 32) == 1;
    EVP_PKEY_CTX_free(vctx);
  }
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(pctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  OPENSSL_free(der);
  return ok && low_s;
}

bool oracle(const Transaction& tx) {
  static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  switch (tx.scheme) {
    case Scheme::kEd25519:
      return crypto_sign_verify_detached(tx.signature.data(), tx.payload.data(), tx.payload.size(),
                                         tx.public_key.data()) == 0;
    case Scheme::kSecp256k1: {
      secp256k1_pubkey pk;
      secp256k1_ecdsa_signature sig;
      uint8_t digest[32];
      SHA256(tx.payload.data(), tx.payload.size(), digest);
      return secp256k1_ec_pubkey_parse(ctx, &pk, tx.public_key.data(), 33) == 1 &&
             secp256k1_ecdsa_signature_parse_compact(ctx, &sig, tx.signature.data()) == 1 &&
             secp256k1_ecdsa_verify(ctx, &sig, digest, &pk) == 1;
    }
    case Scheme::kP256:
      return oracle_p256(tx);
  }
  return false;
}

void set_be32(uint8_t* dst, const char* hex) {
  Bytes b = *from_hex(hex);
  std::copy(b.begin(), b.end(), dst);
}

// Bad Ed25519 encoding i of kEdBadPointCount.
void set_bad_ed_point(uint8_t* dst, size_t i) {
  if (i < size_t(k::kEd25519SmallOrderCount)) std::memcpy(dst, k::ed25519_small_order_list().enc[i], 32);
  else set_be32(dst, kEdBadPointExtras[i - k::kEd25519SmallOrderCount]);
}

// Big-endian 32-byte subtraction n - x (x < n assumed, as for a valid s).
void negate_mod(uint8_t* x, const char* n_hex) {
  Bytes n = *from_hex(n_hex);
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = int(n[i]) - int(x[i]) - borrow;
    borrow = d < 0;
    x[i] = uint8_t(d + (borrow ? 256 : 0));
  }
}

// Little-endian 32-byte add of L (S + L stays below 2^256 for S < L).
void add_l(uint8_t* s) {
  Bytes l = *from_hex(kEdL);
  int carry = 0;
  for (int i = 0; i < 32; ++i) {
    int v = s[i] + l[i] + carry;
    s[i] = uint8_t(v);
    carry = v >> 8;
  }
}

void damage(Transaction& tx, std::mt19937_64& rng) {
  const bool ecdsa = tx.scheme != Scheme::kEd25519;
  const char* n = tx.scheme == Scheme::kSecp256k1 ? kSecpN : kP256N;
  switch (rng() % 12) {
    case 0: tx.signature[rng() % 64] ^= uint8_t(1 << (rng() % 8)); break;
    case 1: tx.public_key[rng() % public_key_size(tx.scheme)] ^= uint8_t(1 << (rng() % 8)); break;
    case 2:
      if (tx.payload.empty()) tx.payload.push_back(0);
      tx.payload[rng() % tx.payload.size()] ^= uint8_t(1 << (rng() % 8));
      break;
    case 3: for (auto& b : tx.signature) b = uint8_t(rng()); break;
    case 4:
      if (ecdsa) negate_mod(tx.signature.data() + 32, n);  // high S: valid but malleable
      else add_l(tx.signature.data() + 32);                 // S + L
      break;
    case 5:
      if (ecdsa) std::fill(tx.signature.begin(), tx.signature.begin() + 32, 0);  // r = 0
      else tx.signature[63] |= 0xf0;                                             // S >= 2^252
      break;
    case 6:
      if (ecdsa) std::fill(tx.signature.begin() + 32, tx.signature.end(), 0);  // s = 0
      else set_bad_ed_point(tx.signature.data(), rng() % kEdBadPointCount);  // bad R
      break;
    case 7:
      if (ecdsa) set_be32(tx.signature.data() + (rng() % 2) * 32, n);  // r or s = n
      else set_bad_ed_point(tx.public_key.data(), rng() % kEdBadPointCount);  // bad A
      break;
    case 8:
      if (ecdsa) std::fill(tx.signature.begin() + (rng() % 2) * 32, tx.signature.begin() + (rng() % 2) * 32 + 32, 0xff);
      else tx.public_key[31] ^= 0x80;  // other x sign
      break;
    case 9:  // random key bytes (ECDSA: keep a plausible prefix so half are off the curve)
      for (size_t i = 0; i < public_key_size(tx.scheme); ++i) tx.public_key[i] = uint8_t(rng());
      if (ecdsa) tx.public_key[0] = uint8_t(2 + rng() % 2);
      break;
    case 10:
      if (ecdsa) tx.public_key[0] = uint8_t(std::array<int, 5>{0, 1, 4, 5, 0xff}[rng() % 5]);  // wrong prefix
      else std::fill(tx.public_key.begin() + 1, tx.public_key.begin() + 31, 0xff), tx.public_key[31] = 0x7f,
                                                                                 tx.public_key[0] = 0xf0;  // y >= p
      break;
    case 11:
      if (ecdsa) std::fill(tx.public_key.begin() + 1, tx.public_key.begin() + 33, 0xff);  // x >= p
      else tx.payload.push_back(uint8_t(rng()));
      break;
  }
}

// The seeded corpus: 12,000 transactions from 8 keys per scheme, about half
// damaged; returns the number damaged.
size_t make_corpus(std::vector<Transaction>* out) {
  std::mt19937_64 rng(20261126);
  std::vector<KeyPair> keys;
  for (Scheme s : {Scheme::kEd25519, Scheme::kSecp256k1, Scheme::kP256})
    for (int i = 0; i < 8; ++i) {
      Bytes secret(32);
      for (auto& b : secret) b = uint8_t(rng());
      secret[0] &= 0x7f;  // below every group order
      keys.push_back(*key_from_secret(s, secret));
    }
  constexpr size_t kCount = 12000;
  std::vector<Transaction>& txs = *out;
  txs.reserve(kCount);
  size_t damaged = 0;
  for (size_t i = 0; i < kCount; ++i) {
    const KeyPair& k = keys[rng() % keys.size()];
    Bytes payload(rng() % 300);
    for (auto& b : payload) b = uint8_t(rng());
    Transaction tx = sign_transaction(k, std::move(payload));
    if (rng() % 2) {
      damage(tx, rng);
      ++damaged;
    }
    txs.push_back(std::move(tx));
  }
  return damaged;
}

TEST(Differential, EngineEqualsReferenceLibrariesOnDamagedCorpus) {
  ASSERT_GE(sodium_init(), 0);
  std::vector<Transaction> txs;
  const size_t damaged = make_corpus(&txs);
  const size_t kCount = txs.size();
  std::vector<SigItem> items;
  for (const auto& tx : txs) items.push_back(sig_item(tx));
  std::vector<uint8_t> valid(items.size());
  auto backend = make_cpu_backend({.cpu_threads = 2});
  ASSERT_TRUE(backend->verify_batch(items, valid).ok());
  size_t accepted = 0, mismatches = 0;
  for (size_t i = 0; i < txs.size(); ++i) {
    bool want = oracle(txs[i]);
    accepted += want;
    if (bool(valid[i]) != want && ++mismatches < 20)
      ADD_FAILURE() << "tx " << i << " scheme " << int(txs[i].scheme) << ": engine " << int(valid[i])
                    << " reference " << want << " sig " << to_hex(ByteSpan(txs[i].signature.data(), 64));
  }
  EXPECT_EQ(mismatches, 0u);
  // The kernels' portable code, every kernel variant (kernels/verify_variant.h;
  // round v runs each scheme's variant min(v, count)), gives the same verdicts.
  int max_variant = 1;
  for (uint8_t s = 1; s <= 3; ++s) max_variant = std::max(max_variant, k::variant_count(s));
  for (int v = 1; v <= max_variant; ++v) {
    BackendOptions opts{.cpu_threads = 2};
    for (uint8_t s = 1; s <= 3; ++s) opts.kernel_variant[s] = std::min(v, k::variant_count(s));
    auto kernels = make_backend("kernels-on-cpu", opts);
    ASSERT_TRUE(kernels.ok()) << kernels.status();
    std::vector<uint8_t> got(items.size(), 7);
    ASSERT_TRUE((*kernels)->verify_batch(items, got).ok());
    size_t bad = 0;
    for (size_t i = 0; i < items.size(); ++i)
      if (got[i] != valid[i] && ++bad < 20)
        ADD_FAILURE() << "kernels-on-cpu " << format_kernel_variants(opts.kernel_variant) << " tx " << i << ": "
                      << int(got[i]) << " reference " << int(valid[i]);
    EXPECT_EQ(bad, 0u) << format_kernel_variants(opts.kernel_variant);
  }
  // The corpus must really exercise both outcomes on each side.
  EXPECT_GT(damaged, kCount / 3);
  EXPECT_GT(accepted, kCount / 3);
  EXPECT_LT(accepted, kCount - kCount / 3);
}

TEST(Differential, EcdsaKernelsV2EqualReferenceLibrariesOnDamagedCorpus) {
  std::vector<Transaction> txs;
  make_corpus(&txs);
  size_t checked = 0, accepted = 0, mismatches = 0;
  for (size_t i = 0; i < txs.size(); ++i) {
    const Transaction& tx = txs[i];
    if (tx.scheme == Scheme::kEd25519) continue;
    uint8_t digest[32];
    k::sha256(tx.payload.data(), uint32_t(tx.payload.size()), digest);
    const bool got = tx.scheme == Scheme::kSecp256k1
                         ? k::secp256k1_ecdsa_verify_v2(tx.public_key.data(), tx.signature.data(), digest)
                         : k::p256_ecdsa_verify_v2(tx.public_key.data(), tx.signature.data(), digest);
    const bool want = oracle(tx);
    ++checked;
    accepted += want;
    if (got != want && ++mismatches < 20)
      ADD_FAILURE() << "tx " << i << " scheme " << int(tx.scheme) << ": v2 " << got << " reference " << want
                    << " sig " << to_hex(ByteSpan(tx.signature.data(), 64));
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(checked, txs.size() / 2);
  EXPECT_GT(accepted, checked / 3);
  EXPECT_LT(accepted, checked - checked / 3);
}

}  // namespace
}  // namespace bg
