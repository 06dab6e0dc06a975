// Reference verification. OpenSSL's EC_KEY/ECDSA_do_verify is used directly:
// the EVP layer costs more than the check itself at these sizes.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "host/reference_verify.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <secp256k1.h>
#include <sodium.h>

#include <mutex>

#include "host/hash.h"

namespace bg {
namespace {

secp256k1_context* secp_ctx() {
  static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  return ctx;
}

// Per-thread OpenSSL objects, made once and reused: EC_KEY_new() and friends
// take OpenSSL's global engine lock, which made two threads slower than one
// per verification (measured: 2 threads 1.39x one thread before, see
// docs/PERFORMANCE.md).
struct P256Thread {
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BIGNUM* half_n = nullptr;
  BN_CTX* ctx = BN_CTX_new();
  EC_POINT* q = nullptr;
  EC_KEY* key = EC_KEY_new();
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = nullptr;  // owned by sig
  BIGNUM* s = nullptr;  // owned by sig
  bool ready = false;
  P256Thread() {
    half_n = BN_dup(EC_GROUP_get0_order(group));
    BN_rshift1(half_n, half_n);  // (n-1)/2 since n is odd
    q = EC_POINT_new(group);
    BIGNUM* r0 = BN_new();
    BIGNUM* s0 = BN_new();
    if (group && half_n && ctx && q && key && sig && r0 && s0 && EC_KEY_set_group(key, group) == 1 &&
        ECDSA_SIG_set0(sig, r0, s0) == 1) {
      r = r0;
      s = s0;
      ready = true;
    } else {
      BN_free(r0);
      BN_free(s0);
    }
  }
  ~P256Thread() {
    ECDSA_SIG_free(sig);
    EC_KEY_free(key);
    EC_POINT_free(q);
    BN_free(half_n);
    BN_CTX_free(ctx);
    EC_GROUP_free(group);
  }
};

bool verify_p256(const SigItem& it) {
  thread_local P256Thread t;
  if (!t.ready) return false;  // OpenSSL could not allocate: nothing verifies
  bool ok = BN_bin2bn(it.signature, 32, t.r) != nullptr && BN_bin2bn(it.signature + 32, 32, t.s) != nullptr &&
            BN_cmp(t.s, t.half_n) <= 0 && EC_POINT_oct2point(t.group, t.q, it.public_key, public_key_size(Scheme::kP256), t.ctx) == 1 &&
            EC_KEY_set_public_key(t.key, t.q) == 1;
  if (ok) {
    const Hash32 digest = sha256(ByteSpan(it.message, it.message_len));
    ok = ECDSA_do_verify(digest.data(), 32, t.sig, t.key) == 1;
  }
  if (!ok) ERR_clear_error();
  return ok;
}

bool verify_ed25519(const SigItem& it) {
  return crypto_sign_verify_detached(it.signature, it.message, it.message_len, it.public_key) == 0;
}

bool verify_secp256k1(const SigItem& it) {
  secp256k1_pubkey pk;
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ec_pubkey_parse(secp_ctx(), &pk, it.public_key, public_key_size(Scheme::kSecp256k1)) != 1) return false;
  if (secp256k1_ecdsa_signature_parse_compact(secp_ctx(), &sig, it.signature) != 1) return false;
  const Hash32 digest = sha256(ByteSpan(it.message, it.message_len));
  return secp256k1_ecdsa_verify(secp_ctx(), &sig, digest.data(), &pk) == 1;
}

// The reference column of the scheme table (kernels/schemes.h): one row per
// scheme, in table order; a scheme without one fails the static_assert.
struct ReferenceVerifier {
  Scheme id;
  bool (*verify)(const SigItem&);
};
constexpr ReferenceVerifier kReferenceVerifiers[] = {
    {Scheme::kEd25519, verify_ed25519},
    {Scheme::kSecp256k1, verify_secp256k1},
    {Scheme::kP256, verify_p256},
};
static_assert(rows_follow_scheme_table(kReferenceVerifiers),
              "kReferenceVerifiers needs one row per kSchemes row, in the same order");

}  // namespace

void reference_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // libsodium cannot run at all: nothing to fall back to
    (void)secp_ctx();
  });
}

bool reference_verify(const SigItem& it) {
  if (!is_known_scheme(uint8_t(it.scheme))) return false;
  return kReferenceVerifiers[scheme_index(it.scheme)].verify(it);
}

}  // namespace bg
