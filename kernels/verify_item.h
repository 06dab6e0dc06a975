// The per-item signature check every backend built on kernels/ runs: the GPU
// kernels call verify_scheme<S> once per thread (one kernel per scheme),
// `kernels-on-cpu` calls verify_item once per item on CPU threads. The
// schemes themselves are the rows of kernels/schemes.h.
#pragma once

#include "kernels/ecdsa_verify.h"
#include "kernels/ed25519_verify.h"
#include "kernels/schemes.h"
#include "kernels/sha256.h"

namespace bg::k {

// True exactly when the signature is valid under SPEC §2 for scheme S.
// `public_key` holds kPublicKeySize<S> bytes, `signature` kSignatureSizeOf<S>;
// `message` is the payload (ECDSA hashes it with SHA-256 here). A scheme with
// a row in kSchemes but no branch here fails to compile.
template <Scheme S>
BG_HD bool verify_scheme(const uint8_t* public_key, const uint8_t* signature, const uint8_t* message,
                         uint32_t message_len) {
  if constexpr (S == Scheme::kEd25519) {
    return ed25519_verify(public_key, signature, message, message_len);
  } else if constexpr (S == Scheme::kSecp256k1) {
    uint8_t digest[32];
    sha256(message, message_len, digest);
    return secp256k1_ecdsa_verify(public_key, signature, digest);
  } else if constexpr (S == Scheme::kP256) {
    uint8_t digest[32];
    sha256(message, message_len, digest);
    return p256_ecdsa_verify(public_key, signature, digest);
  } else {
    static_assert(S != S, "verify_scheme: this scheme has no kernel verifier (kernels/verify_item.h)");
    return false;
  }
}

// verify_scheme for a run-time scheme byte; false for a byte with no row.
BG_HD bool verify_item(uint8_t scheme, const uint8_t* public_key, const uint8_t* signature, const uint8_t* message,
                       uint32_t message_len) {
  return visit_scheme(
      scheme,
      [&](auto tag) { return verify_scheme<decltype(tag)::value>(public_key, signature, message, message_len); },
      false);
}

}  // namespace bg::k
