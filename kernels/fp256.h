// Arithmetic modulo a 256-bit odd modulus m in Montgomery form (x stored as
// x*R mod m, R = 2^256), parameterized by a constants struct (see
// kernels/secp256k1_params.h): both curves' base fields and group orders use it.
//
// Contract: every Fp value is fully reduced (< m); every function returns a
// fully reduced value and allows its output to alias its inputs. `_var`
// functions run in time that depends on their inputs (fine for verification:
// all inputs are public).
//
// Two reductions, chosen by the parameters: Montgomery for any odd m (x kept
// as x*R mod m, R = 2^256), and pseudo-Mersenne for m = 2^256 - c with small c
// (secp256k1's p; x kept plain, "Montgomery form" is then the identity, and
// the R^2 and one constants are 1). Cost unit "M" below = one fp_mul: 16
// 64x64 products, plus 16 (Montgomery) or 5 (pseudo-Mersenne) for the
// reduction; fp_sqr needs 10 instead of 16 before the reduction.
#pragma once

#include "kernels/field_generic.h"
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

// Reduces the 512-bit t[0..7] to a fully reduced field element.
//  Montgomery (P::kReduceC == 0): t/R mod m, separated operand scanning; 16
//    products. Correct when t < m*R (then (t + q m)/R < 2m: one subtraction).
//  Pseudo-Mersenne (m = 2^256 - c, c = P::kReduceC < 2^34, values kept
//    plain): t = H 2^256 + L = L + H c (mod m); 5 small products. Any t.
template <class P>
BG_HD Fp<P> fp_reduce_wide(uint64_t* t) {
  const U256 m = fp_modulus<P>();
  Fp<P> r;
  uint64_t extra = 0;
  if constexpr (P::kReduceC != 0) {
    uint64_t c = 0;
    for (int i = 0; i < 4; ++i) r.v.w[i] = mac(t[4 + i], P::kReduceC, t[i], &c);
    // c < 2^35: fold it once more; c * kReduceC < 2^69.
    uint64_t hi = 0;
    r.v.w[0] = mac(c, P::kReduceC, r.v.w[0], &hi);
    uint64_t cf = 0;
    r.v.w[1] = add_carry(r.v.w[1], hi, &cf);
    r.v.w[2] = add_carry(r.v.w[2], 0, &cf);
    r.v.w[3] = add_carry(r.v.w[3], 0, &cf);
    if (cf != 0) {  // wrapped past 2^256: r is now tiny, add c once more
      uint64_t cf2 = 0;
      r.v.w[0] = add_carry(r.v.w[0], P::kReduceC, &cf2);
      r.v.w[1] = add_carry(r.v.w[1], 0, &cf2);
      r.v.w[2] = add_carry(r.v.w[2], 0, &cf2);
      r.v.w[3] = add_carry(r.v.w[3], 0, &cf2);
    }
  } else {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
    for (int i = 0; i < 4; ++i) {
      const uint64_t q = t[i] * P::kInv;
      uint64_t c = 0;
      for (int j = 0; j < 4; ++j) t[i + j] = mac(q, m.w[j], t[i + j], &c);
      uint64_t cf = 0;
      t[i + 4] = add_carry(t[i + 4], c, &cf);
      for (int j = i + 5; j < 8; ++j) t[j] = add_carry(t[j], 0, &cf);
      extra += cf;
    }
    for (int i = 0; i < 4; ++i) r.v.w[i] = t[4 + i];
  }
  U256 s;
  const uint64_t borrow = u256_sub(&s, r.v, m);
  if (extra != 0 || borrow == 0) r.v = s;
  return r;
}

// a*b (Montgomery: a*b/R). 16 products + reduction. Also correct, and fully
// reduced, when a is any 256-bit value and b < m (a*b < m*R).
template <class P>
BG_HD Fp<P> fp_mul(const Fp<P>& a, const Fp<P>& b) {
  uint64_t t[8];
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int i = 0; i < 4; ++i) {
    uint64_t c = 0;
    for (int j = 0; j < 4; ++j) t[i + j] = mac(a.v.w[j], b.v.w[i], i == 0 ? 0 : t[i + j], &c);
    t[i + 4] = c;
  }
  return fp_reduce_wide<P>(t);
}

// a^2: 10 products (6 cross terms doubled, 4 squares) + reduction.
template <class P>
BG_HD Fp<P> fp_sqr(const Fp<P>& a) {
  const uint64_t* x = a.v.w;
  uint64_t t[8];
  uint64_t c = 0;
  t[1] = mac(x[0], x[1], 0, &c);
  t[2] = mac(x[0], x[2], 0, &c);
  t[3] = mac(x[0], x[3], 0, &c);
  t[4] = c;
  c = 0;
  t[3] = mac(x[1], x[2], t[3], &c);
  t[4] = mac(x[1], x[3], t[4], &c);
  t[5] = c;
  c = 0;
  t[5] = mac(x[2], x[3], t[5], &c);
  t[6] = c;
  // Double the cross terms (2 * sum < a^2 < 2^512: no bit is lost).
  t[7] = t[6] >> 63;
  for (int i = 6; i > 1; --i) t[i] = (t[i] << 1) | (t[i - 1] >> 63);
  t[1] <<= 1;
  // Add the squares x[i]^2 at t[2i].
  uint64_t hi;
  t[0] = mul_wide(x[0], x[0], &hi);
  uint64_t cf = 0;
  t[1] = add_carry(t[1], hi, &cf);
  for (int i = 1; i < 4; ++i) {
    const uint64_t lo = mul_wide(x[i], x[i], &hi);
    t[2 * i] = add_carry(t[2 * i], lo, &cf);
    t[2 * i + 1] = add_carry(t[2 * i + 1], hi, &cf);
  }
  return fp_reduce_wide<P>(t);
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

// x (any 256-bit integer, plain form) -> Montgomery form of x mod m. 1M
// (pseudo-Mersenne: one conditional subtraction, as 2^256 < 2m).
template <class P>
BG_HD Fp<P> fp_to_mont(const U256& x) {
  if constexpr (P::kReduceC != 0) {
    Fp<P> r{x};
    U256 s;
    if (u256_sub(&s, x, fp_modulus<P>()) == 0) r.v = s;
    return r;
  } else {
    return fp_mul(Fp<P>{x}, Fp<P>{{{P::kR2_0, P::kR2_1, P::kR2_2, P::kR2_3}}});
  }
}

// Montgomery form -> plain integer in [0, m). 1M (pseudo-Mersenne: free).
template <class P>
BG_HD U256 fp_from_mont(const Fp<P>& a) {
  if constexpr (P::kReduceC != 0) {
    return a.v;
  } else {
    return fp_mul(a, Fp<P>{{{1, 0, 0, 0}}}).v;
  }
}

// This layer's ops for the shared field and point algorithms
// (kernels/field_generic.h, kernels/ec_jacobian.h).
template <class P>
struct FpOps {
  using Elem = Fp<P>;
  using Exp = U256;
  static BG_HD Elem one() { return fp_one<P>(); }
  static BG_HD Elem zero() { return fp_zero<P>(); }
  static BG_HD Elem mul(const Elem& a, const Elem& b) { return fp_mul(a, b); }
  static BG_HD Elem sqr(const Elem& a) { return fp_sqr(a); }
  static BG_HD Elem add(const Elem& a, const Elem& b) { return fp_add(a, b); }
  static BG_HD Elem sub(const Elem& a, const Elem& b) { return fp_sub(a, b); }
  static BG_HD bool is_zero(const Elem& a) { return fp_is_zero(a); }
  static BG_HD uint32_t bits(const Exp& e, int pos, int width) { return u256_bits(e, pos, width); }
};

// a^e with a fixed 4-bit window (~330M for a full-size exponent).
template <class P>
BG_HD Fp<P> fp_pow_var(const Fp<P>& a, const U256& e) {
  return field_pow_window4<FpOps<P>>(a, e);
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
