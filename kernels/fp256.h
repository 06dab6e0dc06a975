// Arithmetic modulo a 256-bit odd modulus m in Montgomery form (x stored as
// x*R mod m, R = 2^256), parameterized by a constants struct (see
// kernels/secp256k1_params.h): both curves' base fields and group orders use it.
//
// Contract: every Fp value is fully reduced (< m); every function returns a
// fully reduced value and allows its output to alias its inputs. `_var`
// functions run in time that depends on their inputs (fine for verification:
// all inputs are public).
//
// Cost unit "M" below = one fp_mul (CIOS, 16 64x64 products + 16 for the
// reduction); fp_sqr is the same routine (a dedicated squaring would save ~6
// of 32 products; not done yet).
#pragma once

#include "kernels/u256.h"

namespace bg::k {

template <class P>
struct Fp {
  U256 v;  // Montgomery form, < m
};

template <class P>
BG_HD U256 fp_modulus() {
  return U256{{P::kM0, P::kM1, P::kM2, P::kM3}};
}

template <class P>
BG_HD Fp<P> fp_zero() {
  return Fp<P>{{{0, 0, 0, 0}}};
}

template <class P>
BG_HD Fp<P> fp_one() {
  return Fp<P>{{{P::kOne0, P::kOne1, P::kOne2, P::kOne3}}};
}

// Montgomery product a*b/R mod m (CIOS). Also correct, and fully reduced, when
// a is any 256-bit value and b < m: (a*b + q*m)/R < 2m, one subtraction.
template <class P>
BG_HD Fp<P> fp_mul(const Fp<P>& a, const Fp<P>& b) {
  const U256 m = fp_modulus<P>();
  uint64_t t[6] = {0, 0, 0, 0, 0, 0};
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int i = 0; i < 4; ++i) {
    uint64_t c = 0;
    for (int j = 0; j < 4; ++j) t[j] = mac(a.v.w[j], b.v.w[i], t[j], &c);
    uint64_t c2 = 0;
    t[4] = add_carry(t[4], c, &c2);
    t[5] = c2;
    const uint64_t q = t[0] * P::kInv;
    c = 0;
    (void)mac(q, m.w[0], t[0], &c);  // low word is 0 by the choice of q
    for (int j = 1; j < 4; ++j) t[j - 1] = mac(q, m.w[j], t[j], &c);
    c2 = 0;
    t[3] = add_carry(t[4], c, &c2);
    t[4] = t[5] + c2;
  }
  Fp<P> r{{{t[0], t[1], t[2], t[3]}}};
  U256 s;
  const uint64_t borrow = u256_sub(&s, r.v, m);
  if (t[4] != 0 || borrow == 0) r.v = s;
  return r;
}

template <class P>
BG_HD Fp<P> fp_sqr(const Fp<P>& a) {
  return fp_mul(a, a);
}

template <class P>
BG_HD Fp<P> fp_add(const Fp<P>& a, const Fp<P>& b) {
  Fp<P> r, s;
  const uint64_t carry = u256_add(&r.v, a.v, b.v);
  const uint64_t borrow = u256_sub(&s.v, r.v, fp_modulus<P>());
  return (carry != 0 || borrow == 0) ? s : r;
}

template <class P>
BG_HD Fp<P> fp_sub(const Fp<P>& a, const Fp<P>& b) {
  Fp<P> r;
  if (u256_sub(&r.v, a.v, b.v) != 0) u256_add(&r.v, r.v, fp_modulus<P>());
  return r;
}

template <class P>
BG_HD Fp<P> fp_neg(const Fp<P>& a) {
  return fp_sub(fp_zero<P>(), a);
}

template <class P>
BG_HD bool fp_is_zero(const Fp<P>& a) {
  return u256_is_zero(a.v);
}

template <class P>
BG_HD bool fp_eq(const Fp<P>& a, const Fp<P>& b) {
  return u256_eq(a.v, b.v);
}

// x (any 256-bit integer, plain form) -> Montgomery form of x mod m. 1M.
template <class P>
BG_HD Fp<P> fp_to_mont(const U256& x) {
  return fp_mul(Fp<P>{x}, Fp<P>{{{P::kR2_0, P::kR2_1, P::kR2_2, P::kR2_3}}});
}

// Montgomery form -> plain integer in [0, m). 1M.
template <class P>
BG_HD U256 fp_from_mont(const Fp<P>& a) {
  return fp_mul(a, Fp<P>{{{1, 0, 0, 0}}}).v;
}

// a^e, left to right with a fixed 4-bit window: 14M for the table, then 256
// squarings and at most 64 products (~330M for a full-size exponent).
template <class P>
BG_HD Fp<P> fp_pow_var(const Fp<P>& a, const U256& e) {
  Fp<P> table[16];
  table[0] = fp_one<P>();
  table[1] = a;
  for (int i = 2; i < 16; ++i) table[i] = fp_mul(table[i - 1], a);
  Fp<P> r = fp_one<P>();
  for (int pos = 252; pos >= 0; pos -= 4) {
    if (pos != 252) {
      r = fp_sqr(r);
      r = fp_sqr(r);
      r = fp_sqr(r);
      r = fp_sqr(r);
    }
    const uint32_t d = u256_bits(e, pos, 4);
    if (d != 0) r = fp_mul(r, table[d]);
  }
  return r;
}

// a^-1 by Fermat (a^(m-2)); m must be prime. 0 maps to 0. ~330M.
template <class P>
BG_HD Fp<P> fp_inv_var(const Fp<P>& a) {
  U256 e = fp_modulus<P>();
  e.w[0] -= 2;  // the low limb of every modulus used here is > 2
  return fp_pow_var(a, e);
}

// Square root for m = 3 mod 4: r = a^((m+1)/4); true (and *out = r) when
// r^2 = a, i.e. a is a square. ~331M.
template <class P>
BG_HD bool fp_sqrt_var(const Fp<P>& a, Fp<P>* out) {
  static_assert((P::kM0 & 3) == 3, "fp_sqrt_var needs m = 3 mod 4");
  U256 e;
  const uint64_t carry = u256_add(&e, fp_modulus<P>(), U256{{1, 0, 0, 0}});
  e = u256_shr1(u256_shr1(e, carry));
  const Fp<P> r = fp_pow_var(a, e);
  *out = r;
  return fp_eq(fp_sqr(r), a);
}

}  // namespace bg::k
