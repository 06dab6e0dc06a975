// Short-Weierstrass curve arithmetic (y^2 = x^3 + a x + b, a = 0 or a = -3)
// over kernels/fp256.h fields, plus ECDSA verification, for secp256k1 and
// NIST P-256 (kernels/secp256k1.h, kernels/p256.h instantiate it). This layer
// never touches limbs except to read scalars' bits.
//
// Points are Jacobian (X, Y, Z) ~ (X/Z^2, Y/Z^3); Z = 0 is the point at
// infinity. Everything is variable time (`_var`): verification handles
// public data only. No recursion, no heap; the largest stack user is the
// verification (secp256k1: 16 Jacobian points + 2 x 257 wNAF digits, ~2 KB).
//
// Cost of one verification, in field multiplications M (a squaring counted
// as one M; formulas from the Explicit-Formulas Database):
//   decompress Q: sqrt ~331M;  s^-1 mod n: ~330M (scalar field);  u1, u2: 2M
//   u2*Q, wNAF w=5: precompute 2Q + 7 adds ~120M; ~43 adds (16M) ~690M;
//     P-256: 256 doublings (a = -3: 8M) ~2050M;
//     secp256k1 with GLV: ~129 doublings (a = 0: 7M) ~900M, split ~80M,
//     lambda*Q table 8M (the ~43 adds are shared between the two halves)
//   u1*G, signed 7-bit fixed-base table: 37 mixed adds (11M) ~410M
//   x(R) == r check without inversion: 2-3M
//   total ~2.9k M (secp256k1) / ~4.0k M (P-256); squarings are ~20% cheaper
//   than products, and secp256k1's field reduction is cheaper than P-256's.
#pragma once

#include "kernels/ec_jacobian.h"
#include "kernels/fp256.h"

// Big read-only tables: global memory on the device (too big for __constant__
// and indexed by data), one linker-merged copy on the host.
#if defined(__CUDACC__)
#define BG_DEVICE_TABLE __device__ const
#else
#define BG_DEVICE_TABLE inline constexpr
#endif

namespace bg::k {

// C (a curve) provides: using Field = <field params>, Scalar = <order params>,
// Consts = <CurveConsts>; and static BG_HD const uint64_t* comb_table().
template <class C>
struct AffinePoint {
  Fp<typename C::Field> x, y;
};

template <class C>
struct JacobianPoint {
  Fp<typename C::Field> x, y, z;  // z = 0: infinity
};

template <class C>
BG_HD JacobianPoint<C> ec_infinity() {
  using F = typename C::Field;
  return JacobianPoint<C>{fp_one<F>(), fp_one<F>(), fp_zero<F>()};
}

template <class C>
BG_HD bool ec_is_infinity(const JacobianPoint<C>& p) {
  return fp_is_zero(p.z);
}

template <class C>
BG_HD JacobianPoint<C> ec_from_affine(const AffinePoint<C>& a) {
  return JacobianPoint<C>{a.x, a.y, fp_one<typename C::Field>()};
}

// The point formulas (kernels/ec_jacobian.h, shared with v2; costs there):
// 2P (infinity maps to infinity); P + A, A affine; P + Q. The additions
// handle infinity, P = +-A and P = +-Q.
template <class C>
BG_HD JacobianPoint<C> ec_double(const JacobianPoint<C>& p) {
  return jacobian_double<FpOps<typename C::Field>, C::Consts::kA>(p);
}

template <class C>
BG_HD JacobianPoint<C> ec_add_mixed_var(const JacobianPoint<C>& p, const AffinePoint<C>& a) {
  return jacobian_add_mixed<FpOps<typename C::Field>, C::Consts::kA>(p, a);
}

template <class C>
BG_HD JacobianPoint<C> ec_add_var(const JacobianPoint<C>& p, const JacobianPoint<C>& q) {
  return jacobian_add<FpOps<typename C::Field>, C::Consts::kA>(p, q);
}

template <class C>
BG_HD JacobianPoint<C> ec_negate(const JacobianPoint<C>& p) {
  return JacobianPoint<C>{p.x, fp_neg(p.y), p.z};
}

// Affine coordinates (plain integers). False for infinity. One inversion.
template <class C>
BG_HD bool ec_to_affine_var(const JacobianPoint<C>& p, U256* x, U256* y) {
  using F = typename C::Field;
  if (ec_is_infinity(p)) return false;
  const Fp<F> zi = fp_inv_var(p.z);
  const Fp<F> zi2 = fp_sqr(zi);
  *x = fp_from_mont(fp_mul(p.x, zi2));
  *y = fp_from_mont(fp_mul(p.y, fp_mul(zi2, zi)));
  return true;
}

// SEC1 compressed point (02|03 || x, 33 bytes) as libsecp256k1's
// secp256k1_ec_pubkey_parse and OpenSSL's EC_POINT_oct2point accept it:
// prefix 02 or 03 only, x < p, x^3 + a x + b a square. ~335M.
template <class C>
BG_HD bool ec_decompress_var(const uint8_t* in33, AffinePoint<C>* out) {
  using F = typename C::Field;
  const uint8_t prefix = in33[0];
  if (prefix != 2 && prefix != 3) return false;
  const U256 x = u256_from_be(in33 + 1);
  if (!u256_lt(x, fp_modulus<F>())) return false;
  const Fp<F> xm = fp_to_mont<F>(x);
  Fp<F> rhs = fp_mul(fp_sqr(xm), xm);
  if constexpr (C::Consts::kA == -3) rhs = fp_sub(rhs, fp_add(fp_add(xm, xm), xm));
  rhs = fp_add(rhs, Fp<F>{{{C::Consts::kB0, C::Consts::kB1, C::Consts::kB2, C::Consts::kB3}}});
  Fp<F> y;
  if (!fp_sqrt_var(rhs, &y)) return false;
  // y != 0: a point with y = 0 has order 2, and these curves have prime order.
  if ((fp_from_mont(y).w[0] & 1) != (prefix & 1)) y = fp_neg(y);
  out->x = xm;
  out->y = y;
  return true;
}

// Entry (j+1) * 2^(kCombBits * w) * G of the fixed-base table, negated when
// `negate`.
template <class C>
BG_HD AffinePoint<C> ec_comb_entry(int window, int j, bool negate) {
  const uint64_t* e = C::comb_table() + (size_t(window) * C::Consts::kCombEntries + size_t(j)) * 8;
  AffinePoint<C> a;
  for (int i = 0; i < 4; ++i) {
    a.x.v.w[i] = e[i];
    a.y.v.w[i] = e[4 + i];
  }
  if (negate) a.y = fp_neg(a.y);
  return a;
}

// acc + k*G for k < 2^256 using the fixed-base table: k is recoded into 37
// signed 7-bit digits d_w in [-63, 64] (k = sum d_w 2^(7w)), then one mixed
// add per nonzero digit, no doublings. <= 37 mixed adds (~410M).
template <class C>
BG_HD JacobianPoint<C> ec_add_mul_g_var(JacobianPoint<C> acc, const U256& k) {
  constexpr int kBits = C::Consts::kCombBits;
  constexpr int kHalf = 1 << (kBits - 1);
  uint32_t carry = 0;
  for (int w = 0; w < C::Consts::kCombWindows; ++w) {
    int d = int(u256_bits(k, w * kBits, kBits) + carry);
    carry = 0;
    if (d > kHalf) {
      d -= 2 * kHalf;
      carry = 1;
    }
    if (d != 0) acc = ec_add_mixed_var(acc, ec_comb_entry<C>(w, (d > 0 ? d : -d) - 1, d < 0));
  }
  return acc;  // k < 2^256 leaves no carry out of the top window (bits 252..258)
}

constexpr int kWnafWidth = 5;
constexpr int kWnafTable = 1 << (kWnafWidth - 2);  // odd multiples P, 3P, ..., 15P

// Width-5 NAF of k: digits in {0, +-1, +-3, ..., +-15}, at most one nonzero in
// any 5 consecutive; k = sum naf[i] 2^i. Writes at most 257 digits; returns
// the count (0 for k = 0).
BG_HD int wnaf_var(const U256& k, int8_t* naf) {
  int len = 0;
  U256 t = k;
  uint64_t top = 0;  // bit 256 of t (t grows by < 16 when a negative digit is taken)
  while (!u256_is_zero(t) || top != 0) {
    int d = 0;
    if (t.w[0] & 1) {
      d = int(t.w[0] & ((1u << kWnafWidth) - 1));
      if (d >= (1 << (kWnafWidth - 1))) d -= (1 << kWnafWidth);
      if (d > 0) {
        u256_sub(&t, t, U256{{uint64_t(d), 0, 0, 0}});
      } else {
        top += u256_add(&t, t, U256{{uint64_t(-d), 0, 0, 0}});
      }
    }
    naf[len++] = int8_t(d);
    t = u256_shr1(t, top);
    top = 0;
  }
  return len;
}

// odd[i] = (2i+1) P: 1 doubling + 7 adds (~120M).
template <class C>
BG_HD void ec_odd_multiples(const JacobianPoint<C>& p, JacobianPoint<C>* odd) {
  odd[0] = p;
  const JacobianPoint<C> p2 = ec_double(p);
  for (int i = 1; i < kWnafTable; ++i) odd[i] = ec_add_var(odd[i - 1], p2);
}

// acc + d * P for a wNAF digit d, given P's odd multiples.
template <class C>
BG_HD JacobianPoint<C> ec_add_digit_var(const JacobianPoint<C>& acc, const JacobianPoint<C>* odd, int d) {
  if (d > 0) return ec_add_var(acc, odd[d >> 1]);
  if (d < 0) return ec_add_var(acc, ec_negate(odd[(-d) >> 1]));
  return acc;
}

// k*P by width-5 wNAF: at most 257 doublings and ~k_bits/6 adds.
template <class C>
BG_HD JacobianPoint<C> ec_mul_var(const JacobianPoint<C>& p, const U256& k) {
  int8_t naf[257];
  const int len = wnaf_var(k, naf);
  JacobianPoint<C> odd[kWnafTable];
  ec_odd_multiples(p, odd);
  JacobianPoint<C> acc = ec_infinity<C>();
  for (int i = len - 1; i >= 0; --i) {
    if (!ec_is_infinity(acc)) acc = ec_double(acc);
    acc = ec_add_digit_var(acc, odd, naf[i]);
  }
  return acc;
}

// k*P with the GLV endomorphism (secp256k1: lambda (x, y) = (beta x, y)):
// k = k1 + k2 lambda mod n with |k1|, |k2| ~ 2^128, then one joint wNAF pass
// over P and lambda P: ~129 doublings instead of 256 (saves ~900M), the same
// number of adds, 8M for the second table and ~70M for the split.
template <class C>
BG_HD JacobianPoint<C> ec_mul_glv_var(const JacobianPoint<C>& p, const U256& k) {
  using F = typename C::Field;
  using S = typename C::Scalar;
  using G = typename C::Glv;
  const U256 g1{{G::kG10, G::kG11, G::kG12, G::kG13}};
  const U256 g2{{G::kG20, G::kG21, G::kG22, G::kG23}};
  const Fp<S> minus_b1{{{G::kMinusB10, G::kMinusB11, G::kMinusB12, G::kMinusB13}}};
  const Fp<S> minus_b2{{{G::kMinusB20, G::kMinusB21, G::kMinusB22, G::kMinusB23}}};
  const Fp<S> lambda{{{G::kLambda0, G::kLambda1, G::kLambda2, G::kLambda3}}};
  const Fp<F> beta{{{G::kBeta0, G::kBeta1, G::kBeta2, G::kBeta3}}};
  // c1, c2 < 2^128 plain; a plain value times a Montgomery constant is plain,
  // so k1 and k2 below are plain residues mod n. k < n.
  const U256 c1 = u256_mul_shift384_round(k, g1);
  const U256 c2 = u256_mul_shift384_round(k, g2);
  const Fp<S> k2 = fp_add(fp_mul(Fp<S>{c1}, minus_b1), fp_mul(Fp<S>{c2}, minus_b2));
  const Fp<S> k1 = fp_sub(Fp<S>{k}, fp_mul(k2, lambda));
  // Take the short representative: k_i > n/2 becomes n - k_i on -P.
  const U256 n = fp_modulus<S>();
  const U256 half_n = u256_shr1(n);
  U256 e1 = k1.v, e2 = k2.v;
  const bool neg1 = u256_lt(half_n, e1), neg2 = u256_lt(half_n, e2);
  if (neg1) u256_sub(&e1, n, e1);
  if (neg2) u256_sub(&e2, n, e2);

  int8_t naf1[257], naf2[257];  // 257: no reliance on the ~2^128 bound for safety
  const int len1 = wnaf_var(e1, naf1);
  const int len2 = wnaf_var(e2, naf2);
  JacobianPoint<C> odd1[kWnafTable], odd2[kWnafTable];
  ec_odd_multiples(neg1 ? ec_negate(p) : p, odd1);
  for (int i = 0; i < kWnafTable; ++i) {
    odd2[i] = JacobianPoint<C>{fp_mul(odd1[i].x, beta), odd1[i].y, odd1[i].z};
    if (neg1 != neg2) odd2[i] = ec_negate(odd2[i]);
  }
  JacobianPoint<C> acc = ec_infinity<C>();
  for (int i = (len1 > len2 ? len1 : len2) - 1; i >= 0; --i) {
    if (!ec_is_infinity(acc)) acc = ec_double(acc);
    if (i < len1) acc = ec_add_digit_var(acc, odd1, naf1[i]);
    if (i < len2) acc = ec_add_digit_var(acc, odd2, naf2[i]);
  }
  return acc;
}

// True when R is not infinity and x(R) mod n == r (0 < r < n), compared in
// projective form: X == r' Z^2 for r' = r, and r' = r + n when r + n < p.
template <class C>
BG_HD bool ec_x_matches_var(const JacobianPoint<C>& p, const U256& r) {
  using F = typename C::Field;
  using S = typename C::Scalar;
  if (ec_is_infinity(p)) return false;
  const Fp<F> zz = fp_sqr(p.z);
  if (fp_eq(p.x, fp_mul(fp_to_mont<F>(r), zz))) return true;
  const U256 p_minus_n{{C::Consts::kPMinusN0, C::Consts::kPMinusN1, C::Consts::kPMinusN2,
                        C::Consts::kPMinusN3}};
  if (!u256_lt(r, p_minus_n)) return false;
  U256 rn;
  u256_add(&rn, r, fp_modulus<S>());
  return fp_eq(p.x, fp_mul(fp_to_mont<F>(rn), zz));
}

// ECDSA verification (SEC1 4.1.4) of a 32-byte digest with the rules of SPEC
// §2: compressed key that decodes on the curve; r, s in [1, n-1]; low S
// (s <= (n-1)/2); e = digest mod n; R = (e/s) G + (r/s) Q; accept iff R is
// not infinity and x(R) mod n == r.
template <class C>
BG_HD bool ecdsa_verify_var(const uint8_t* public_key, const uint8_t* signature,
                            const uint8_t* digest) {
  using S = typename C::Scalar;
  const U256 n = fp_modulus<S>();
  const U256 r = u256_from_be(signature);
  const U256 s = u256_from_be(signature + 32);
  if (u256_is_zero(r) || u256_is_zero(s) || !u256_lt(r, n) || !u256_lt(s, n)) return false;
  const U256 half_n = u256_shr1(n);  // (n-1)/2: n is odd
  if (u256_lt(half_n, s)) return false;

  AffinePoint<C> q;
  if (!ec_decompress_var(public_key, &q)) return false;

  U256 e = u256_from_be(digest);
  if (!u256_lt(e, n)) u256_sub(&e, e, n);  // n > 2^255: one subtraction reduces
  // s^-1 in Montgomery form; a plain value times it (one Montgomery product)
  // is the plain product, so u1 and u2 come out plain.
  const Fp<S> s_inv = fp_inv_var(fp_to_mont<S>(s));
  const U256 u1 = fp_mul(Fp<S>{e}, s_inv).v;
  const U256 u2 = fp_mul(Fp<S>{r}, s_inv).v;

  JacobianPoint<C> acc;
  if constexpr (C::Consts::kHasGlv) {
    acc = ec_mul_glv_var(ec_from_affine(q), u2);
  } else {
    acc = ec_mul_var(ec_from_affine(q), u2);
  }
  acc = ec_add_mul_g_var(acc, u1);
  return ec_x_matches_var(acc, r);
}

}  // namespace bg::k
