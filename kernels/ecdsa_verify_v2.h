// ECDSA verification on secp256k1 and NIST P-256, kernel variant v2
// (kernels/ecc_v2.h: 8x32-bit limbs with carry chains, fixed signed windows in
// one joint loop, GLV on secp256k1). Same inputs and the same SPEC §2 verdicts
// as v1 (kernels/ecdsa_verify.h): 33-byte compressed SEC1 key, 64-byte r || s
// big-endian, 32-byte digest (SHA-256 of the payload).
#pragma once

#include "kernels/ecc_v2.h"

namespace bg::k {

BG_HD bool secp256k1_ecdsa_verify_v2(const uint8_t* public_key, const uint8_t* signature,
                                     const uint8_t* digest) {
  return v2::ecdsa_verify<Secp256k1>(public_key, signature, digest);
}

BG_HD bool p256_ecdsa_verify_v2(const uint8_t* public_key, const uint8_t* signature,
                                const uint8_t* digest) {
  return v2::ecdsa_verify<P256>(public_key, signature, digest);
}

}  // namespace bg::k
