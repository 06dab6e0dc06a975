// PLACEHOLDER until the Ed25519 kernel lands (issue 3): rejects everything.
#pragma once
#include "kernels/hd.h"
namespace bg::k {
BG_HD bool ed25519_verify(const uint8_t* public_key, const uint8_t* signature, const uint8_t* message,
                          size_t message_len) {
  return false;
}
}  // namespace bg::k
