// Signing with the reference libraries: libsodium, libsecp256k1 (RFC 6979,
// low-S by construction) and OpenSSL (random k; S normalised to low-S).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "host/signer.h"

#include <absl/strings/str_cat.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>
#include <secp256k1.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <cstring>

#include "host/reference_verify.h"

namespace bg {
namespace {

secp256k1_context* sign_ctx() {
  static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
  return ctx;
}

void bn_to_32(const BIGNUM* bn, uint8_t out[32]) { BN_bn2binpad(bn, out, 32); }

}  // namespace

KeyPair generate_key(Scheme scheme) {
  reference_init();
  for (;;) {
    Bytes secret(32);
    randombytes_buf(secret.data(), secret.size());
    auto key = key_from_secret(scheme, secret);
    if (key.ok()) return *std::move(key);
  }
}

absl::StatusOr<KeyPair> key_from_secret(Scheme scheme, ByteSpan secret) {
  reference_init();
  if (secret.size() != 32) return absl::InvalidArgumentError("secret key must be 32 bytes");
  KeyPair kp;
  kp.scheme = scheme;
  kp.secret_key.assign(secret.begin(), secret.end());
  switch (scheme) {
    case Scheme::kEd25519: {
      uint8_t pk[kPublicKeySize<Scheme::kEd25519>], sk[64];
      crypto_sign_seed_keypair(pk, sk, secret.data());
      kp.public_key.assign(pk, pk + sizeof pk);
      sodium_memzero(sk, sizeof sk);
      return kp;
    }
    case Scheme::kSecp256k1: {
      if (secp256k1_ec_seckey_verify(sign_ctx(), secret.data()) != 1)
        return absl::InvalidArgumentError("secret key is not a valid secp256k1 scalar");
      secp256k1_pubkey pub;
      if (secp256k1_ec_pubkey_create(sign_ctx(), &pub, secret.data()) != 1)
        return absl::InternalError("secp256k1_ec_pubkey_create failed");
      uint8_t out[kPublicKeySize<Scheme::kSecp256k1>];
      size_t len = sizeof out;
      secp256k1_ec_pubkey_serialize(sign_ctx(), out, &len, &pub, SECP256K1_EC_COMPRESSED);
      kp.public_key.assign(out, out + sizeof out);
      return kp;
    }
    case Scheme::kP256: {
      EC_GROUP* g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
      BIGNUM* d = BN_bin2bn(secret.data(), 32, nullptr);
      EC_POINT* q = EC_POINT_new(g);
      absl::Status st = absl::OkStatus();
      if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
        st = absl::InvalidArgumentError("secret key is not a valid P-256 scalar");
      } else if (EC_POINT_mul(g, q, d, nullptr, nullptr, nullptr) != 1) {
        st = absl::InternalError("EC_POINT_mul failed");
      } else {
        uint8_t out[kPublicKeySize<Scheme::kP256>];
        EC_POINT_point2oct(g, q, POINT_CONVERSION_COMPRESSED, out, sizeof out, nullptr);
        kp.public_key.assign(out, out + sizeof out);
      }
      EC_POINT_free(q);
      BN_free(d);
      EC_GROUP_free(g);
      if (!st.ok()) return st;
      return kp;
    }
  }
  return absl::InvalidArgumentError("unknown scheme");
}

Transaction sign_transaction(const KeyPair& key, Bytes payload) {
  Transaction tx;
  tx.scheme = key.scheme;
  std::memcpy(tx.public_key.data(), key.public_key.data(), key.public_key.size());
  tx.payload = std::move(payload);
  switch (key.scheme) {
    case Scheme::kEd25519: {
      uint8_t pk[kPublicKeySize<Scheme::kEd25519>], sk[64];
      crypto_sign_seed_keypair(pk, sk, key.secret_key.data());
      crypto_sign_detached(tx.signature.data(), nullptr, tx.payload.data(), tx.payload.size(), sk);
      sodium_memzero(sk, sizeof sk);
      break;
    }
    case Scheme::kSecp256k1: {
      uint8_t digest[32];
      SHA256(tx.payload.data(), tx.payload.size(), digest);
      secp256k1_ecdsa_signature sig;
      secp256k1_ecdsa_sign(sign_ctx(), &sig, digest, key.secret_key.data(), nullptr, nullptr);
      secp256k1_ecdsa_signature_serialize_compact(sign_ctx(), tx.signature.data(), &sig);
      break;
    }
    case Scheme::kP256: {
      uint8_t digest[32];
      SHA256(tx.payload.data(), tx.payload.size(), digest);
      EC_KEY* ek = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
      BIGNUM* d = BN_bin2bn(key.secret_key.data(), 32, nullptr);
      EC_KEY_set_private_key(ek, d);
      ECDSA_SIG* sig = ECDSA_do_sign(digest, 32, ek);
      const BIGNUM *r, *s;
      ECDSA_SIG_get0(sig, &r, &s);
      const BIGNUM* n = EC_GROUP_get0_order(EC_KEY_get0_group(ek));
      BIGNUM* half = BN_dup(n);
      BN_rshift1(half, half);
      BIGNUM* low_s = BN_dup(s);
      if (BN_cmp(low_s, half) > 0) BN_sub(low_s, n, s);
      bn_to_32(r, tx.signature.data());
      bn_to_32(low_s, tx.signature.data() + 32);
      BN_free(low_s);
      BN_free(half);
      ECDSA_SIG_free(sig);
      BN_free(d);
      EC_KEY_free(ek);
      break;
    }
  }
  return tx;
}

std::string key_to_json(const KeyPair& key) {
  boost::json::object o;
  o["scheme"] = scheme_name(key.scheme);
  o["secret_key"] = to_hex(key.secret_key);
  o["public_key"] = to_hex(key.public_key);
  return boost::json::serialize(o);
}

absl::StatusOr<KeyPair> key_from_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return absl::InvalidArgumentError("key file is not a JSON object");
  const auto& o = v.get_object();
  const auto* s = o.if_contains("scheme");
  const auto* sk = o.if_contains("secret_key");
  if (!s || !s->is_string() || !sk || !sk->is_string())
    return absl::InvalidArgumentError("key file needs string members scheme and secret_key");
  auto scheme = scheme_from_name(std::string_view(s->get_string()));
  if (!scheme) return absl::InvalidArgumentError(absl::StrCat("unknown scheme '", std::string(s->get_string().c_str()), "'"));
  auto secret = from_hex(std::string_view(sk->get_string()));
  if (!secret || secret->size() != 32) return absl::InvalidArgumentError("secret_key must be 64 hex digits");
  return key_from_secret(*scheme, *secret);
}

}  // namespace bg
