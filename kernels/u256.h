// 256-bit unsigned integers as four 64-bit little-endian limbs, the layer under
// kernels/fp256.h (Montgomery fields) and kernels/ecc.h (curves).
//
// Why 64-bit limbs: one code path that is short and easy to check on the CPU
// (unsigned __int128) and compiles unchanged for the device (__umul64hi). The
// GPU has no native 64x64 multiplier: nvcc lowers each 64x64->128 product to
// four 32-bit mul.lo/mul.hi plus carries, roughly what a 32-bit-limb schoolbook
// product does, so the cost is mostly in carry handling; a hand-written 8x32
// PTX (madc.hi.cc) Montgomery product is the known next step if the GPU profile
// shows field multiplication dominating.
#pragma once

#include "kernels/hd.h"

namespace bg::k {

struct U256 {
  uint64_t w[4];  // w[0] least significant
};

// hi:lo = a * b.
BG_HD uint64_t mul_wide(uint64_t a, uint64_t b, uint64_t* hi) {
#if defined(__CUDA_ARCH__)
  *hi = __umul64hi(a, b);
  return a * b;
#else
  unsigned __int128 t = (unsigned __int128)a * b;
  *hi = uint64_t(t >> 64);
  return uint64_t(t);
#endif
}

// Returns the low word of a * b + c + *carry and leaves the high word in
// *carry. Never overflows: (2^64-1)^2 + 2(2^64-1) = 2^128 - 1.
BG_HD uint64_t mac(uint64_t a, uint64_t b, uint64_t c, uint64_t* carry) {
#if defined(__CUDA_ARCH__)
  uint64_t hi;
  uint64_t lo = mul_wide(a, b, &hi);
  lo += c;
  hi += (lo < c);
  lo += *carry;
  hi += (lo < *carry);
  *carry = hi;
  return lo;
#else
  unsigned __int128 t = (unsigned __int128)a * b + c + *carry;
  *carry = uint64_t(t >> 64);
  return uint64_t(t);
#endif
}

// a + b + *carry (carry 0 or 1 in and out).
BG_HD uint64_t add_carry(uint64_t a, uint64_t b, uint64_t* carry) {
  uint64_t s = a + *carry;
  uint64_t c1 = s < a;
  s += b;
  *carry = c1 | (s < b);
  return s;
}

// a - b - *borrow (borrow 0 or 1 in and out).
BG_HD uint64_t sub_borrow(uint64_t a, uint64_t b, uint64_t* borrow) {
  uint64_t d = a - b;
  uint64_t b1 = a < b;
  uint64_t d2 = d - *borrow;
  *borrow = b1 | (d < *borrow);
  return d2;
}

BG_HD U256 u256_from_be(const uint8_t* in) {
  U256 r;
  for (int i = 0; i < 4; ++i) r.w[i] = load_be64(in + 8 * (3 - i));
  return r;
}

BG_HD void u256_to_be(const U256& a, uint8_t* out) {
  for (int i = 0; i < 4; ++i) store_be64(out + 8 * (3 - i), a.w[i]);
}

BG_HD bool u256_is_zero(const U256& a) { return (a.w[0] | a.w[1] | a.w[2] | a.w[3]) == 0; }

BG_HD bool u256_eq(const U256& a, const U256& b) {
  return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2]) | (a.w[3] ^ b.w[3])) == 0;
}

// a < b.
BG_HD bool u256_lt(const U256& a, const U256& b) {
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) (void)sub_borrow(a.w[i], b.w[i], &borrow);
  return borrow != 0;
}

// *r = a + b mod 2^256; returns the carry out. r may alias a or b.
BG_HD uint64_t u256_add(U256* r, const U256& a, const U256& b) {
  uint64_t c = 0;
  for (int i = 0; i < 4; ++i) r->w[i] = add_carry(a.w[i], b.w[i], &c);
  return c;
}

// *r = a - b mod 2^256; returns the borrow out. r may alias a or b.
BG_HD uint64_t u256_sub(U256* r, const U256& a, const U256& b) {
  uint64_t c = 0;
  for (int i = 0; i < 4; ++i) r->w[i] = sub_borrow(a.w[i], b.w[i], &c);
  return c;
}

// a >> 1 with `top` shifted into bit 255.
BG_HD U256 u256_shr1(const U256& a, uint64_t top = 0) {
  U256 r;
  for (int i = 0; i < 3; ++i) r.w[i] = (a.w[i] >> 1) | (a.w[i + 1] << 63);
  r.w[3] = (a.w[3] >> 1) | (top << 63);
  return r;
}

// Bits [pos, pos + width) of a (width <= 32; bits at and above 256 read as 0).
BG_HD uint32_t u256_bits(const U256& a, int pos, int width) {
  if (pos >= 256) return 0;
  int limb = pos >> 6, off = pos & 63;
  uint64_t v = a.w[limb] >> off;
  if (off + width > 64 && limb < 3) v |= a.w[limb + 1] << (64 - off);
  return uint32_t(v & ((uint64_t(1) << width) - 1));
}

// round(a * b / 2^384): the top 128 bits of the 512-bit product, rounded by
// bit 383. 16 products.
BG_HD U256 u256_mul_shift384_round(const U256& a, const U256& b) {
  uint64_t t[8];
  for (int i = 0; i < 4; ++i) {
    uint64_t c = 0;
    for (int j = 0; j < 4; ++j) t[i + j] = mac(a.w[j], b.w[i], i == 0 ? 0 : t[i + j], &c);
    t[i + 4] = c;
  }
  uint64_t cf = t[5] >> 63;
  U256 r;
  r.w[0] = add_carry(t[6], 0, &cf);
  r.w[1] = add_carry(t[7], 0, &cf);
  r.w[2] = cf;
  r.w[3] = 0;
  return r;
}

BG_HD bool u256_bit(const U256& a, int pos) { return (a.w[pos >> 6] >> (pos & 63)) & 1; }

}  // namespace bg::k
