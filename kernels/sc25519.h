// Scalars modulo the Ed25519 group order L = 2^252 + 27742317777372353535851937790883648493:
// the S < L canonicity check and the reduction of SHA-512 output mod L.
// 32-bit words with 64-bit products, so the same code runs on CPU and GPU.
#pragma once

#include "kernels/hd.h"

namespace bg::k {

namespace sc_detail {
// L as 32-bit little-endian words.
BG_HD uint32_t l_word(int i) {
  switch (i) {
    case 0: return 0x5cf5d3ed;
    case 1: return 0x5812631a;
    case 2: return 0xa2f79cd6;
    case 3: return 0x14def9de;
    case 7: return 0x10000000;
    default: return 0;
  }
}
// mu = floor(2^512 / L), nine words (Barrett constant, HAC 14.42 with b = 2^32, k = 8).
BG_HD uint32_t mu_word(int i) {
  switch (i) {
    case 0: return 0x0a2c131b;
    case 1: return 0xed9ce5a3;
    case 2: return 0x086329a7;
    case 3: return 0x2106215d;
    case 4: return 0xffffffeb;
    case 5: case 6: case 7: return 0xffffffff;
    case 8: return 0x0000000f;
    default: return 0;
  }
}
BG_HD uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
}  // namespace sc_detail

// True when the 32-byte little-endian scalar s is < L (libsodium's
// sc25519_is_canonical; RFC 8032 requires it of S).
BG_HD bool sc_is_canonical(const uint8_t s[32]) {
  for (int i = 7; i >= 0; --i) {
    const uint32_t w = sc_detail::load_le32(s + 4 * i), l = sc_detail::l_word(i);
    if (w != l) return w < l;
  }
  return false;  // s == L
}

// out = (64-byte little-endian x) mod L, as 32 bytes. Barrett reduction:
// q = floor(floor(x / 2^224) * mu / 2^288) underestimates floor(x / L) by at
// most 2, so r = x - q L (computed mod 2^288) needs at most two subtractions.
// Cost: 81 + 72 word products.
BG_HD void sc_reduce64(uint8_t out[32], const uint8_t x[64]) {
  uint32_t xw[16];
  for (int i = 0; i < 16; ++i) xw[i] = sc_detail::load_le32(x + 4 * i);

  // q2 = q1 * mu where q1 = x >> 224 (words 7..15); only words >= 9 matter.
  uint32_t q2[18];
  for (int i = 0; i < 18; ++i) q2[i] = 0;
  for (int i = 0; i < 9; ++i) {
    uint64_t carry = 0;
    const uint64_t a = xw[7 + i];
    for (int j = 0; j < 9; ++j) {
      const uint64_t t = a * sc_detail::mu_word(j) + q2[i + j] + carry;
      q2[i + j] = uint32_t(t);
      carry = t >> 32;
    }
    q2[i + 9] = uint32_t(carry);
  }
  const uint32_t* q3 = q2 + 9;  // nine words

  // r2 = (q3 * L) mod 2^288.
  uint32_t r2[9];
  for (int i = 0; i < 9; ++i) r2[i] = 0;
  for (int i = 0; i < 9; ++i) {
    uint64_t carry = 0;
    const uint64_t a = q3[i];
    for (int j = 0; i + j < 9; ++j) {
      const uint64_t t = a * sc_detail::l_word(j) + r2[i + j] + carry;
      r2[i + j] = uint32_t(t);
      carry = t >> 32;
    }
  }

  // r = (x mod 2^288) - r2 mod 2^288, then at most two subtractions of L.
  uint32_t r[9];
  int64_t borrow = 0;
  for (int i = 0; i < 9; ++i) {
    const int64_t t = int64_t(xw[i]) - int64_t(r2[i]) + borrow;
    r[i] = uint32_t(t);
    borrow = t >> 32;
  }
  for (int round = 0; round < 3; ++round) {
    // r >= L ?
    bool ge = r[8] != 0;
    if (!ge) {
      ge = true;  // equal counts as >=
      for (int i = 7; i >= 0; --i) {
        const uint32_t l = sc_detail::l_word(i);
        if (r[i] != l) { ge = r[i] > l; break; }
      }
    }
    if (!ge) break;
    int64_t b = 0;
    for (int i = 0; i < 9; ++i) {
      const int64_t t = int64_t(r[i]) - int64_t(sc_detail::l_word(i)) + b;
      r[i] = uint32_t(t);
      b = t >> 32;
    }
  }
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = uint8_t(r[i]);
    out[4 * i + 1] = uint8_t(r[i] >> 8);
    out[4 * i + 2] = uint8_t(r[i] >> 16);
    out[4 * i + 3] = uint8_t(r[i] >> 24);
  }
}

}  // namespace bg::k
