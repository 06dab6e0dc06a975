// ECDSA verification on secp256k1 and NIST P-256 for the per-item kernel
// (kernels/verify_item.h), with SPEC §2's verdicts: those of libsecp256k1
// (pubkey_parse + signature_parse_compact + ecdsa_verify, low S) and of
// OpenSSL ECDSA_do_verify plus low S. Inputs: 33-byte compressed SEC1 key,
// 64-byte r || s big-endian, 32-byte digest (SHA-256 of the payload).
// ~3.7k (secp256k1) / ~4.0k (P-256) field multiplications each; see ecc.h.
#pragma once

#include "kernels/hd.h"
#include "kernels/p256.h"
#include "kernels/secp256k1.h"

namespace bg::k {

BG_HD bool secp256k1_ecdsa_verify(const uint8_t* public_key, const uint8_t* signature,
                                  const uint8_t* digest) {
  return ecdsa_verify_var<Secp256k1>(public_key, signature, digest);
}

BG_HD bool p256_ecdsa_verify(const uint8_t* public_key, const uint8_t* signature,
                             const uint8_t* digest) {
  return ecdsa_verify_var<P256>(public_key, signature, digest);
}

}  // namespace bg::k
