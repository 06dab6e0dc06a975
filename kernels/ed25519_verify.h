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

// True exactly when libsodium 1.0.18's crypto_sign_verify_detached(signature,
// message, message_len, public_key) returns 0. Variable time (public inputs).
BG_HD bool ed25519_verify(const uint8_t* public_key, const uint8_t* signature, const uint8_t* message,
                          size_t message_len) {
  const uint8_t* r_enc = signature;
  const uint8_t* s_enc = signature + 32;
  // The order of checks is libsodium's; the verdict would not depend on it.
  if (!sc_is_canonical(s_enc)) return false;
  if (ed25519_has_small_order_encoding(r_enc)) return false;
  if (!ed25519_is_canonical_encoding(public_key) || ed25519_has_small_order_encoding(public_key)) return false;
  GeP3 a;
  if (!ge_frombytes(&a, public_key)) return false;

  uint8_t h[64];
  Sha512 hs;
  hs.init();
  hs.update(r_enc, 32);
  hs.update(public_key, 32);
  hs.update(message, message_len);
  hs.final(h);
  uint8_t k[32];
  sc_reduce64(k, h);

  // R' = [S]B - [k]A = [k](-A) + [S]B; valid iff encode(R') == R byte for byte,
  // which also rejects any non-canonical R.
  const GeP2 rp = ge_double_scalarmult_vartime(k, ge_p3_neg(a), s_enc);
  uint8_t rcheck[32];
  ge_tobytes(rcheck, rp);
  uint8_t diff = 0;
  for (int i = 0; i < 32; ++i) diff |= uint8_t(rcheck[i] ^ r_enc[i]);
  return diff == 0;
}

}  // namespace bg::k
