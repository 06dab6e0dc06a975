// Ed25519 signature verification with exactly libsodium 1.0.18's verdicts
// (crypto_sign_verify_detached, ref10 open.c, default non-COMPAT build), as
// one __host__ __device__ function: SPEC §2's ed25519 rule on CPU and GPU.
//
// Cost per verification, counted: ~1660 field multiplications + ~1510
// squarings (M = 100 and S = 55 32x32->64-bit products): decode A 20 M + 255 S,
// [k](-A) + [S]B ~1625 M + ~1005 S (fixed 5-bit windows, see ed25519.h),
// encode 13 M + 254 S; plus SHA-512 over 64 + message_len bytes (one 80-round
// block per 128 bytes) and ~150 word products to reduce k mod L. Per-thread
// memory: 16 cached points (2.5 KiB), two 51-byte digit arrays, a few points;
// no heap, no recursion.
#pragma once

#include "kernels/ed25519.h"
#include "kernels/ed25519_small_order.h"
#include "kernels/hd.h"
#include "kernels/sc25519.h"
#include "kernels/sha512.h"

namespace bg::k {

// libsodium's ge25519_is_canonical: y (bit 255 ignored) < p = 2^255 - 19.
BG_HD bool ed25519_is_canonical_encoding(const uint8_t s[32]) {
  if ((s[31] & 0x7f) != 0x7f) return true;
  for (int i = 30; i >= 1; --i) {
    if (s[i] != 0xff) return true;
  }
  return s[0] < 0xed;
}

namespace ed_v1 {
#include "kernels/ed25519_verify_impl.inc"
}  // namespace ed_v1

namespace ed_v2 {
#include "kernels/ed25519_verify_impl.inc"
}  // namespace ed_v2

}  // namespace bg::k
