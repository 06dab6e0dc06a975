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
#include "kernels/hd.h"
#include "kernels/sc25519.h"
#include "kernels/sha512.h"

namespace bg::k {

// libsodium's ge25519_has_small_order: the encoding (bit 255 ignored) is one of
// the 7 that decode to points of order 1, 2, 4 or 8 -- y = 0, 1, the two
// order-8 y's, p-1 -- or the non-canonical p and p+1 (aliases of 0 and 1).
// Other non-canonical aliases of small-order points are not on the list, as
// in libsodium.
BG_HD bool ed25519_has_small_order_encoding(const uint8_t s[32]) {
  // The 7 encodings share their structure: all but the first and last few
  // bytes are 0x00 (for 0, 1) or 0xff (p-1, p, p+1); the order-8 y's are
  // spelled out.
  const uint8_t order8a[32] = {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
                               0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
                               0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};
  const uint8_t order8b[32] = {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
                               0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
                               0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a};
  bool mid_zero = true, mid_ff = true, eq_a = true, eq_b = true;
  for (int i = 0; i < 32; ++i) {
    const uint8_t c = i == 31 ? uint8_t(s[i] & 0x7f) : s[i];
    if (i >= 1 && i <= 30) {
      mid_zero = mid_zero && c == 0x00;
      mid_ff = mid_ff && c == 0xff;
    }
    eq_a = eq_a && c == order8a[i];
    eq_b = eq_b && c == order8b[i];
  }
  const uint8_t top = s[31] & 0x7f;
  if (mid_zero && top == 0x00 && (s[0] == 0x00 || s[0] == 0x01)) return true;         // 0, 1
  if (mid_ff && top == 0x7f && (s[0] == 0xec || s[0] == 0xed || s[0] == 0xee)) return true;  // p-1, p, p+1
  return eq_a || eq_b;
}

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
