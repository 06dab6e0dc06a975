// Arithmetic modulo the ECDSA curves' 256-bit primes on eight 32-bit limbs
// with carry chains (kernels/carry.h): the field layer of the `v2` ECDSA
// kernels (kernels/ecc_v2.h). The GPU multiplies 32x32->64 natively (one
// mad.lo + one mad.hi) and carries through its condition code, so this layer
// has no 64-bit product and no carry emulated by compare-and-select, unlike
// kernels/fp256.h (v1, 4x64-bit limbs), whose values and constants it shares.
//
// Parameters: the same structs as v1 (kernels/secp256k1_params.h,
// kernels/p256_params.h); R = 2^256 in both, so a value's stored form is the
// same bit pattern in v1 and v2 and the generated tables serve both.
//  - P::kReduceC != 0 (secp256k1's p = 2^256 - 2^32 - 977): values plain;
//    a 512-bit product H 2^256 + L folds as L + H (2^32 + 977), twice.
//  - otherwise Montgomery form (x R mod m): CIOS for products, a separated
//    reduction after a dedicated squaring.
//
// Contract (as v1): every Fe value is fully reduced (< m); every function
// returns a fully reduced value; outputs may alias inputs (all take copies or
// const references and build the result in locals). Branch-free except
// fe_pow_var, whose branches depend on the exponent only (every exponent used
// is a constant, so all threads of a warp take the same ones).
//
// Cost, in 32x32->64 multiply instructions (mul.lo + mul.hi = 2 per product):
//   fe_mul Montgomery (CIOS)       64 + 64 products (+ 8 mul.lo for q)
//   fe_sqr Montgomery              36 + 64 products (+ 8 mul.lo for q)
//   fe_mul secp256k1 p             64 products + 8 by 977 + 1 (fold)
//   fe_sqr secp256k1 p             36 products + 8 by 977 + 1
//   fe_add / fe_sub                2 chains of 8 (no product)
#pragma once

#include "kernels/carry.h"
#include "kernels/field_generic.h"

namespace bg::k::v2 {

using namespace ::bg::k::carry;

// Field-operation counting for the cost figures in kernels/ecc_v2.h: host
// only, off unless a test points fe_op_counter at a counter (one
// thread-local load per operation otherwise).
#if !defined(__CUDA_ARCH__)
struct FeOpCounter {
  uint64_t mul = 0, sqr = 0;
};
inline thread_local FeOpCounter* fe_op_counter = nullptr;
#define BG_FE_COUNT(op) \
  do {                  \
    if (fe_op_counter) ++fe_op_counter->op; \
  } while (0)
#else
#define BG_FE_COUNT(op) \
  do {                  \
  } while (0)
#endif

// A 256-bit unsigned integer, little-endian 32-bit limbs (plain, not a field
// element: scalars, exponents, the r of a signature).
struct U8x32 {
  uint32_t w[8];
};

template <class P>
struct Fe {
  uint32_t v[8];  // stored form (Montgomery or plain, see above), < m
};

// Limb i of the modulus, from the v1 64-bit constants (folds to an immediate).
template <class P>
BG_HD constexpr uint32_t mod_limb(int i) {
  const uint64_t w = i < 2 ? P::kM0 : i < 4 ? P::kM1 : i < 6 ? P::kM2 : P::kM3;
  return uint32_t((i & 1) ? (w >> 32) : w);
}

// -m^-1 mod 2^32: the low half of v1's -m^-1 mod 2^64.
template <class P>
BG_HD constexpr uint32_t mont_inv32() {
  return uint32_t(P::kInv);
}

// Four 64-bit limbs (v1 layout, tables) -> eight 32-bit limbs.
BG_HD U8x32 u8x32_from_u64(const uint64_t* w) {
  U8x32 r;
  BG_UNROLL
  for (int i = 0; i < 4; ++i) {
    r.w[2 * i] = uint32_t(w[i]);
    r.w[2 * i + 1] = uint32_t(w[i] >> 32);
  }
  return r;
}

BG_HD U8x32 u8x32_from_u64(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3) {
  const uint64_t w[4] = {w0, w1, w2, w3};
  return u8x32_from_u64(w);
}

template <class P>
BG_HD U8x32 fe_modulus() {
  U8x32 r;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) r.w[i] = mod_limb<P>(i);
  return r;
}

BG_HD U8x32 u8x32_from_be(const uint8_t* in) {
  U8x32 r;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) r.w[i] = load_be32(in + 4 * (7 - i));
  return r;
}

BG_HD void u8x32_to_be(const U8x32& a, uint8_t* out) {
  BG_UNROLL
  for (int i = 0; i < 8; ++i) store_be32(out + 4 * (7 - i), a.w[i]);
}

BG_HD bool u8x32_is_zero(const U8x32& a) {
  uint32_t o = 0;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) o |= a.w[i];
  return o == 0;
}

// *r = a - b mod 2^256; returns the borrow mask (0xffffffff when a < b).
BG_HD uint32_t u8x32_sub(U8x32* r, const U8x32& a, const U8x32& b) {
  return mask_from_bit(sub8(r->w, a.w, b.w));
}

// *r = a + b mod 2^256; returns the carry out (0 or 1).
BG_HD uint32_t u8x32_add(U8x32* r, const U8x32& a, const U8x32& b) {
  return add8(r->w, a.w, b.w);
}

// a < b.
BG_HD bool u8x32_lt(const U8x32& a, const U8x32& b) {
  U8x32 d;
  return u8x32_sub(&d, a, b) != 0;
}

// a >> 1 (n is odd, so n >> 1 = (n - 1) / 2).
BG_HD U8x32 u8x32_shr1(const U8x32& a) {
  U8x32 r;
  BG_UNROLL
  for (int i = 0; i < 7; ++i) r.w[i] = (a.w[i] >> 1) | (a.w[i + 1] << 31);
  r.w[7] = a.w[7] >> 1;
  return r;
}

// mask ? a : b, limb by limb.
BG_HD U8x32 u8x32_select(uint32_t mask, const U8x32& a, const U8x32& b) {
  U8x32 r;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) r.w[i] = select_word(mask, a.w[i], b.w[i]);
  return r;
}

// Bits [pos, pos + width) of a (width <= 8; bits at and above 256 read as 0).
BG_HD uint32_t u8x32_bits(const U8x32& a, int pos, int width) {
  if (pos >= 256) return 0;
  const int limb = pos >> 5, off = pos & 31;
  uint32_t v = a.w[limb] >> off;
  if (off + width > 32 && limb < 7) v |= a.w[limb + 1] << (32 - off);
  return v & ((1u << width) - 1);
}

// t[0..15] = a * b (schoolbook: one mad_row8 per limb of b, i.e. a mad.lo
// chain and a mad.hi chain shifted by a limb; row i adds below 2^(32 (i + 9)),
// so its two carry limbs t[i + 8], t[i + 9] never overflow; t[16], t[17] are
// scratch and end 0).
BG_HD void mul_wide_8x32(const uint32_t* a, const uint32_t* b, uint32_t* t) {
  uint32_t w[18];
  BG_UNROLL
  for (int i = 0; i < 18; ++i) w[i] = 0;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) mad_row8(w + i, a, b[i]);
  BG_UNROLL
  for (int i = 0; i < 16; ++i) t[i] = w[i];
}

// t[0..15] = a^2: the 28 cross products once, doubled by an add chain, then
// the 8 squares on the diagonal in one chain (36 products instead of 64).
BG_HD void sqr_wide_8x32(const uint32_t* a, uint32_t* t) {
  BG_UNROLL
  for (int i = 0; i < 16; ++i) t[i] = 0;
  BG_UNROLL
  for (int i = 0; i < 7; ++i) {  // row i: a_i * a_j, j > i, at t[i + j]
    Carry c;
    const uint32_t ai = a[i];
    t[2 * i + 1] = mad_lo_cc(a[i + 1], ai, t[2 * i + 1], c);
    BG_UNROLL
    for (int j = i + 2; j < 8; ++j) t[i + j] = madc_lo_cc(a[j], ai, t[i + j], c);
    t[i + 8] = addc(0, 0, c);
    if (i < 6) {
      t[2 * i + 2] = mad_hi_cc(a[i + 1], ai, t[2 * i + 2], c);
      BG_UNROLL
      for (int j = i + 2; j < 7; ++j) t[i + j + 1] = madc_hi_cc(a[j], ai, t[i + j + 1], c);
      t[i + 8] = madc_hi(a[7], ai, t[i + 8], c);
    } else {  // one product: hi(a6 a7) + t[14] (= 0 + carry) cannot carry out
      Carry c2;
      t[14] = mad_hi_cc(a[7], ai, t[14], c2);
    }
  }
  {  // double t[1..14] into t[1..15]
    Carry c;
    t[1] = add_cc(t[1], t[1], c);
    BG_UNROLL
    for (int i = 2; i < 15; ++i) t[i] = addc_cc(t[i], t[i], c);
    t[15] = addc(0, 0, c);
  }
  {  // add the squares a_i^2 at t[2i]
    Carry c;
    t[0] = mad_lo_cc(a[0], a[0], t[0], c);
    t[1] = madc_hi_cc(a[0], a[0], t[1], c);
    BG_UNROLL
    for (int i = 1; i < 7; ++i) {
      t[2 * i] = madc_lo_cc(a[i], a[i], t[2 * i], c);
      t[2 * i + 1] = madc_hi_cc(a[i], a[i], t[2 * i + 1], c);
    }
    t[14] = madc_lo_cc(a[7], a[7], t[14], c);
    t[15] = madc_hi(a[7], a[7], t[15], c);
  }
}

// r = top 2^256 + t[0..7] - m when that is >= 0, else unchanged; the value
// must be < 2m. Branch-free: one subtraction chain and 8 selects.
template <class P>
BG_HD Fe<P> fe_reduce_once(const uint32_t* t, uint32_t top) {
  uint32_t m[8], s[8];
  BG_UNROLL
  for (int i = 0; i < 8; ++i) m[i] = mod_limb<P>(i);
  // The value is below m exactly when t < m (borrow) and top = 0.
  const uint32_t keep = mask_from_bit(sub8(s, t, m) & (top ^ 1u));
  Fe<P> r;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) r.v[i] = select_word(keep, t[i], s[i]);
  return r;
}

// secp256k1's p: t[0..15] (any 512-bit value) -> t mod p. Two folds of
// H 2^256 = H (2^32 + 977): 8 products by 977 and an add chain, then the
// < 2^34 overflow once more (3 limbs), then one conditional subtraction.
template <class P>
BG_HD Fe<P> fe_reduce_pm(const uint32_t* t) {
  static_assert(P::kReduceC == 0x1000003d1ull, "fold written for 2^256 - 2^32 - 977");
  const uint32_t* h = t + 8;
  uint32_t r[8];
  uint32_t r8, r9;
  {  // r = L + H * 977 (r8: carry limb)
    Carry c;
    r[0] = mad_lo_cc(h[0], 977u, t[0], c);
    BG_UNROLL
    for (int j = 1; j < 8; ++j) r[j] = madc_lo_cc(h[j], 977u, t[j], c);
    r8 = addc(0, 0, c);
    r[1] = mad_hi_cc(h[0], 977u, r[1], c);
    BG_UNROLL
    for (int j = 1; j < 7; ++j) r[j + 1] = madc_hi_cc(h[j], 977u, r[j + 1], c);
    r8 = madc_hi(h[7], 977u, r8, c);
  }
  {  // r += H 2^32
    Carry c;
    r[1] = add_cc(r[1], h[0], c);
    BG_UNROLL
    for (int j = 1; j < 7; ++j) r[j + 1] = addc_cc(r[j + 1], h[j], c);
    r8 = addc_cc(r8, h[7], c);
    r9 = addc(0, 0, c);
  }
  // value = r + (r8 + r9 2^32) 2^256 with r9 <= 1; fold (r8 + r9 2^32) (2^32 + 977):
  // 977 r8 at limbs 0-1, 977 r9 at limb 1, r8 at limb 1, r9 at limb 2.
  uint32_t wrap;
  {
    Carry c;
    const uint32_t lo = r8 * 977u;
    uint32_t hi;
    {
      Carry m;
      hi = mad_hi_cc(r8, 977u, r9 * 977u, m);  // < 977 + 977: no carry
    }
    r[0] = add_cc(r[0], lo, c);
    r[1] = addc_cc(r[1], hi, c);
    r[2] = addc_cc(r[2], r9, c);
    BG_UNROLL
    for (int j = 3; j < 8; ++j) r[j] = addc_cc(r[j], 0, c);
    wrap = addc(0, 0, c);
  }
  {
    Carry c;
    r[1] = add_cc(r[1], r8, c);
    BG_UNROLL
    for (int j = 2; j < 8; ++j) r[j] = addc_cc(r[j], 0, c);
    wrap = addc(wrap, 0, c);
  }
  // The folded value is < 2^256 + 2^67, so at most one of the two chains
  // wrapped, and then r < 2^67: add 2^256 mod p = 2^32 + 977 without overflow.
  {
    Carry c;
    r[0] = add_cc(r[0], 977u & mask_from_bit(wrap), c);
    r[1] = addc_cc(r[1], wrap, c);
    BG_UNROLL
    for (int j = 2; j < 8; ++j) r[j] = addc_cc(r[j], 0, c);
  }
  return fe_reduce_once<P>(r, 0);
}

// Montgomery reduction of t[0..15] < m R: t / R mod m (separated operand
// scanning; the carry out of each row is added one limb higher by the next).
template <class P>
BG_HD Fe<P> fe_reduce_mont(uint32_t* t) {
  uint32_t pending = 0;  // carry owed to limb i + 8 of row i
  BG_UNROLL
  for (int i = 0; i < 8; ++i) {
    const uint32_t q = t[i] * mont_inv32<P>();
    Carry c;
    t[i] = mad_lo_cc(q, mod_limb<P>(0), t[i], c);  // becomes 0
    BG_UNROLL
    for (int j = 1; j < 8; ++j) t[i + j] = madc_lo_cc(q, mod_limb<P>(j), t[i + j], c);
    t[i + 8] = addc_cc(t[i + 8], pending, c);
    pending = addc(0, 0, c);
    t[i + 1] = mad_hi_cc(q, mod_limb<P>(0), t[i + 1], c);
    BG_UNROLL
    for (int j = 1; j < 8; ++j) t[i + j + 1] = madc_hi_cc(q, mod_limb<P>(j), t[i + j + 1], c);
    pending = addc(pending, 0, c);
  }
  // (t + q m) / R < 2m: pending (the limb above t[15]) is 0 or 1.
  return fe_reduce_once<P>(t + 8, pending);
}

// a * b. Montgomery: CIOS, a b / R mod m (also correct when a is any 256-bit
// value and b < m: a b < m R). secp256k1's p: product, then the fold.
template <class P>
BG_HD Fe<P> fe_mul(const Fe<P>& a, const Fe<P>& b) {
  BG_FE_COUNT(mul);
  if constexpr (P::kReduceC != 0) {
    uint32_t t[16];
    mul_wide_8x32(a.v, b.v, t);
    return fe_reduce_pm<P>(t);
  } else {
    // t < 2m at the top of every round (t[8] <= 1); t[9] holds the round's
    // overflow before the shift by one limb.
    uint32_t m[8], t[10];
    BG_UNROLL
    for (int i = 0; i < 8; ++i) m[i] = mod_limb<P>(i);
    BG_UNROLL
    for (int i = 0; i < 10; ++i) t[i] = 0;
    BG_UNROLL
    for (int i = 0; i < 8; ++i) {
      mad_row8(t, a.v, b.v[i]);                // t += a b_i
      mad_row8(t, m, t[0] * mont_inv32<P>());  // t += q m, which zeroes t[0]
      BG_UNROLL
      for (int j = 0; j < 9; ++j) t[j] = t[j + 1];
      t[9] = 0;
    }
    return fe_reduce_once<P>(t, t[8]);
  }
}

// a^2: dedicated squaring (36 products), then the fold or a Montgomery reduction.
template <class P>
BG_HD Fe<P> fe_sqr(const Fe<P>& a) {
  BG_FE_COUNT(sqr);
  uint32_t t[16];
  sqr_wide_8x32(a.v, t);
  if constexpr (P::kReduceC != 0) {
    return fe_reduce_pm<P>(t);
  } else {
    return fe_reduce_mont<P>(t);
  }
}

template <class P>
BG_HD Fe<P> fe_zero() {
  return Fe<P>{{0, 0, 0, 0, 0, 0, 0, 0}};
}

template <class P>
BG_HD Fe<P> fe_one() {
  const U8x32 o = u8x32_from_u64(P::kOne0, P::kOne1, P::kOne2, P::kOne3);
  Fe<P> r;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) r.v[i] = o.w[i];
  return r;
}

// A stored-form constant or table entry given as four 64-bit limbs.
template <class P>
BG_HD Fe<P> fe_from_u64(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3) {
  const U8x32 x = u8x32_from_u64(w0, w1, w2, w3);
  Fe<P> r;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) r.v[i] = x.w[i];
  return r;
}

template <class P>
BG_HD Fe<P> fe_add(const Fe<P>& a, const Fe<P>& b) {
  uint32_t t[8];
  const uint32_t top = add8(t, a.v, b.v);
  return fe_reduce_once<P>(t, top);
}

template <class P>
BG_HD Fe<P> fe_sub(const Fe<P>& a, const Fe<P>& b) {
  uint32_t t[8], m[8];
  const uint32_t borrow = mask_from_bit(sub8(t, a.v, b.v));  // all ones when a < b
  BG_UNROLL
  for (int i = 0; i < 8; ++i) m[i] = mod_limb<P>(i) & borrow;
  Fe<P> r;
  (void)add8(r.v, t, m);
  return r;
}

template <class P>
BG_HD Fe<P> fe_neg(const Fe<P>& a) {
  return fe_sub(fe_zero<P>(), a);
}

// neg ? -a : a, branch-free (neg is 0 or 1).
template <class P>
BG_HD Fe<P> fe_cneg(const Fe<P>& a, uint32_t neg) {
  const Fe<P> n = fe_neg(a);
  const uint32_t mask = mask_from_bit(neg);
  Fe<P> r;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) r.v[i] = select_word(mask, n.v[i], a.v[i]);
  return r;
}

template <class P>
BG_HD bool fe_is_zero(const Fe<P>& a) {
  uint32_t o = 0;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) o |= a.v[i];
  return o == 0;
}

template <class P>
BG_HD bool fe_eq(const Fe<P>& a, const Fe<P>& b) {
  uint32_t o = 0;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) o |= a.v[i] ^ b.v[i];
  return o == 0;
}

// x (any 256-bit integer, plain) -> stored form of x mod m. Montgomery: one
// product by R^2; secp256k1's p: one conditional subtraction (2^256 < 2p).
template <class P>
BG_HD Fe<P> fe_to_mont(const U8x32& x) {
  if constexpr (P::kReduceC != 0) {
    return fe_reduce_once<P>(x.w, 0);
  } else {
    const Fe<P> r2 = fe_from_u64<P>(P::kR2_0, P::kR2_1, P::kR2_2, P::kR2_3);
    return fe_mul(Fe<P>{{x.w[0], x.w[1], x.w[2], x.w[3], x.w[4], x.w[5], x.w[6], x.w[7]}}, r2);
  }
}

// Stored form -> plain integer in [0, m). Montgomery: one product by 1.
template <class P>
BG_HD U8x32 fe_from_mont(const Fe<P>& a) {
  Fe<P> r = a;
  if constexpr (P::kReduceC == 0) r = fe_mul(a, Fe<P>{{1, 0, 0, 0, 0, 0, 0, 0}});
  U8x32 x;
  BG_UNROLL
  for (int i = 0; i < 8; ++i) x.w[i] = r.v[i];
  return x;
}

// This layer's ops for the shared field and point algorithms
// (kernels/field_generic.h, kernels/ec_jacobian.h).
template <class P>
struct FeOps {
  using Elem = Fe<P>;
  using Exp = U8x32;
  static BG_HD Elem one() { return fe_one<P>(); }
  static BG_HD Elem zero() { return fe_zero<P>(); }
  static BG_HD Elem mul(const Elem& a, const Elem& b) { return fe_mul(a, b); }
  static BG_HD Elem sqr(const Elem& a) { return fe_sqr(a); }
  static BG_HD Elem add(const Elem& a, const Elem& b) { return fe_add(a, b); }
  static BG_HD Elem sub(const Elem& a, const Elem& b) { return fe_sub(a, b); }
  static BG_HD bool is_zero(const Elem& a) { return fe_is_zero(a); }
  static BG_HD uint32_t bits(const Exp& e, int pos, int width) { return u8x32_bits(e, pos, width); }
};

// a^e with a fixed 4-bit window (~330M for a full-size exponent).
template <class P>
BG_HD Fe<P> fe_pow_var(const Fe<P>& a, const U8x32& e) {
  return field_pow_window4<FeOps<P>>(a, e);
}

// a^-1 = a^(m-2) (m prime); 0 maps to 0. ~330M.
template <class P>
BG_HD Fe<P> fe_inv(const Fe<P>& a) {
  U8x32 e = fe_modulus<P>();
  e.w[0] -= 2;  // the low limb of every modulus here is > 2
  return fe_pow_var(a, e);
}

// Square root for m = 3 mod 4: r = a^((m+1)/4); true (and *out = r) when
// r^2 = a. ~331M.
template <class P>
BG_HD bool fe_sqrt(const Fe<P>& a, Fe<P>* out) {
  static_assert((P::kM0 & 3) == 3, "fe_sqrt needs m = 3 mod 4");
  U8x32 e;
  const uint32_t carry = u8x32_add(&e, fe_modulus<P>(), U8x32{{1, 0, 0, 0, 0, 0, 0, 0}});
  e = u8x32_shr1(e);
  e.w[7] |= carry << 31;
  e = u8x32_shr1(e);
  const Fe<P> r = fe_pow_var(a, e);
  *out = r;
  return fe_eq(fe_sqr(r), a);
}

}  // namespace bg::k::v2
