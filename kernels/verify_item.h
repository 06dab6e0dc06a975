// The per-item signature check every backend built on kernels/ runs: the GPU
// kernel calls it once per thread, `kernels-on-cpu` once per item on CPU
// threads. Scheme numbers are SPEC §1's (1 ed25519, 2 secp256k1, 3 p256).
#pragma once

#include "kernels/ecdsa_verify.h"
#include "kernels/ed25519_verify.h"
#include "kernels/sha256.h"

namespace bg::k {

// True exactly when the signature is valid under SPEC §2. `public_key` holds
// 32 bytes for ed25519 and 33 for ECDSA; `message` is the payload (ECDSA
// hashes it with SHA-256 here).
BG_HD bool verify_item(uint8_t scheme, const uint8_t* public_key, const uint8_t* signature,
                       const uint8_t* message, uint32_t message_len) {
  switch (scheme) {
    case 1:
      return ed25519_verify(public_key, signature, message, message_len);
    case 2: {
      uint8_t digest[32];
      sha256(message, message_len, digest);
      return secp256k1_ecdsa_verify(public_key, signature, digest);
    }
    case 3: {
      uint8_t digest[32];
      sha256(message, message_len, digest);
      return p256_ecdsa_verify(public_key, signature, digest);
    }
    default:
      return false;
  }
}

}  // namespace bg::k
