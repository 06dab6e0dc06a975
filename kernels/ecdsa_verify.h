// PLACEHOLDER until the ECDSA kernels land (issue 4): rejects everything.
#pragma once
#include "kernels/hd.h"
namespace bg::k {
BG_HD bool secp256k1_ecdsa_verify(const uint8_t* public_key, const uint8_t* signature, const uint8_t* digest) {
  return false;
}
BG_HD bool p256_ecdsa_verify(const uint8_t* public_key, const uint8_t* signature, const uint8_t* digest) {
  return false;
}
}  // namespace bg::k
