// ECDSA verification, variant v2: the curve layer over kernels/fp8x32.h
// (8x32-bit limbs, carry chains) with a scalar multiplication shaped for SIMT:
// every thread of a warp doubles and adds at the same bit positions whatever
// its scalars are. Same verdicts as v1 (kernels/ecc.h): SPEC §2's rules,
// byte for byte the same checks in the same order.
//
// R = u1 G + u2 Q in one joint (Straus) loop over fixed signed windows:
//  - Q digits: 5-bit windows, d in [-15, 16], table [1..16]Q (Jacobian); G
//    digits: 7-bit windows, d in [-63, 64], the first window of the
//    generated fixed-base table ([1..64]G, affine, shared with v1).
//  - one addition per window and scalar: the entry at |d| (an indexed load,
//    not a data-dependent branch), negated by a branch-free select when d < 0;
//    a zero digit skips its addition (that thread idles while the others of
//    the warp add: no extra cost for the warp). Compare v1's wNAF, whose
//    additions fall at data-dependent positions, so a warp runs an addition
//    at nearly every bit.
//  - secp256k1: GLV. u1 = a1 + a2 lambda, u2 = b1 + b2 lambda (mod n) with
//    |a_i|, |b_i| < 2^128 (libsecp256k1's split, constants shared with v1),
//    four half-length scalars in one loop of 127 doublings; lambda P =
//    (beta X, Y, Z) costs 1M per addition instead of a second table.
//  - P-256: one loop of 255 doublings over u1 and u2.
// The exceptional cases of the addition formulas (P = +-A, infinity) keep
// v1's correct branches; they are not taken for honest inputs.
//
// Cost of one verification, counted (fe_mul M + fe_sqr S over both fields,
// valid signatures, `EcdsaV2.FieldOperationCount` in kernels/ecc_v2_test.cc):
//   secp256k1: 1324 M + 1599 S = 2923 (decompress ~335, s^-1 mod n ~330,
//     table [1..16]Q: 8 doublings + 7 mixed adds ~133, 126 doublings x 7 =
//     882, ~50 Q adds x 16 + beta, ~37 G mixed adds x 11 + beta, GLV splits)
//   P-256: 1733 M + 2240 S = 3973 (decompress ~335, s^-1 ~330, table ~141,
//     255 doublings x 8 = 2040, ~50 Q adds x 16, ~36 G mixed adds x 11)
// v1 (kernels/ecc.h): ~2.9k / ~4.0k; the same work, shaped for lockstep.
// A v2 product is 64 (secp256k1 p) to 128 (Montgomery) 32x32->64 products
// with carries in the condition code; v1's is 16 + 5..16 emulated 64x64->128
// products, each ~4 such products plus compare/select carries.
#pragma once

#include "kernels/ec_jacobian.h"
#include "kernels/fp8x32.h"
#include "kernels/p256.h"
#include "kernels/secp256k1.h"

namespace bg::k::v2 {

template <class C>
using FieldOf = typename C::Field;
template <class C>
using ScalarOf = typename C::Scalar;

template <class C>
struct Affine {
  Fe<FieldOf<C>> x, y;
};

template <class C>
struct Jacobian {
  Fe<FieldOf<C>> x, y, z;  // z = 0: infinity
};

template <class C>
BG_HD Jacobian<C> ec_infinity() {
  using F = FieldOf<C>;
  return Jacobian<C>{fe_one<F>(), fe_one<F>(), fe_zero<F>()};
}

template <class C>
BG_HD bool ec_is_infinity(const Jacobian<C>& p) {
  return fe_is_zero(p.z);
}

template <class C>
BG_HD Jacobian<C> ec_from_affine(const Affine<C>& a) {
  return Jacobian<C>{a.x, a.y, fe_one<FieldOf<C>>()};
}

// The point formulas (kernels/ec_jacobian.h, shared with v1; costs there):
// 2P (infinity maps to infinity, so the joint loop doubles without a test);
// P + A, A affine; P + Q. The additions keep the exceptional cases' correct
// branches (infinity, P = +-A, P = +-Q).
template <class C>
BG_HD Jacobian<C> ec_double(const Jacobian<C>& p) {
  return jacobian_double<FeOps<FieldOf<C>>, C::Consts::kA>(p);
}

template <class C>
BG_HD Jacobian<C> ec_add_mixed(const Jacobian<C>& p, const Affine<C>& a) {
  return jacobian_add_mixed<FeOps<FieldOf<C>>, C::Consts::kA>(p, a);
}

template <class C>
BG_HD Jacobian<C> ec_add(const Jacobian<C>& p, const Jacobian<C>& q) {
  return jacobian_add<FeOps<FieldOf<C>>, C::Consts::kA>(p, q);
}

// SEC1 compressed point (02|03 || x) as libsecp256k1's pubkey_parse and
// OpenSSL's EC_POINT_oct2point accept it: prefix 02 or 03, x < p,
// x^3 + a x + b a square. ~335M.
template <class C>
BG_HD bool ec_decompress(const uint8_t* in33, Affine<C>* out) {
  using F = FieldOf<C>;
  const uint8_t prefix = in33[0];
  if (prefix != 2 && prefix != 3) return false;
  const U8x32 x = u8x32_from_be(in33 + 1);
  if (!u8x32_lt(x, fe_modulus<F>())) return false;
  const Fe<F> xm = fe_to_mont<F>(x);
  Fe<F> rhs = fe_mul(fe_sqr(xm), xm);
  if constexpr (C::Consts::kA == -3) rhs = fe_sub(rhs, fe_add(fe_add(xm, xm), xm));
  rhs = fe_add(rhs, fe_from_u64<F>(C::Consts::kB0, C::Consts::kB1, C::Consts::kB2, C::Consts::kB3));
  Fe<F> y;
  if (!fe_sqrt(rhs, &y)) return false;
  // y != 0: a point with y = 0 has order 2; these curves have prime order.
  const uint32_t odd = fe_from_mont(y).w[0] & 1;
  out->x = xm;
  out->y = fe_cneg(y, odd ^ (prefix & 1u));
  return true;
}

// Signed fixed-window digits: e = sum d[i] 2^(W i) with d[i] in
// [-(2^(W-1) - 1), 2^(W-1)]; a window above 2^(W-1) becomes (window - 2^W)
// and carries 1 into the next. The caller sizes N so that the top window
// cannot carry out (checked by the tests on the extreme scalars).
template <int W, int N>
BG_HD void signed_digits(const U8x32& e, int8_t* d) {
  uint32_t carry = 0;
  for (int i = 0; i < N; ++i) {
    const int v = int(u8x32_bits(e, W * i, W) + carry);
    carry = uint32_t(v > (1 << (W - 1)));
    d[i] = int8_t(v - int(carry << W));
  }
}

constexpr int kQWindow = 5;                    // Q digits in [-15, 16]
constexpr int kQTable = 1 << (kQWindow - 1);   // [1..16]Q
constexpr int kGWindow = 7;                    // G digits in [-63, 64]: the table's 64 entries

// The scalars of one verification, recoded: kTerms = 2 for GLV halves.
template <int kTerms, int kQDigits, int kGDigits>
struct JointDigits {
  int8_t q[kTerms][kQDigits];
  int8_t g[kTerms][kGDigits];
  uint32_t q_neg[kTerms];  // 1: the half was negated (use -Q for it)
  uint32_t g_neg[kTerms];
};

// [1..16]Q: 2Q, 4Q, ..., 16Q by doubling, 3Q, 5Q, ..., 15Q by a mixed
// addition of Q. 8 doublings + 7 mixed additions.
template <class C>
BG_HD void ec_q_table(const Affine<C>& q, Jacobian<C>* t) {
  t[0] = ec_from_affine(q);
  for (int i = 1; i < kQTable; ++i) {
    // entry i holds (i + 1) Q
    t[i] = (i & 1) ? ec_double(t[i >> 1]) : ec_add_mixed(t[i - 1], q);
  }
}

// |d| without a branch.
BG_HD uint32_t digit_abs(int d) {
  const int s = d >> 31;
  return uint32_t((d ^ s) - s);
}

// acc + d Q' where Q' = Q, or lambda Q = (beta X, Y, Z) when `endo`; the
// sign is that of d, flipped by `neg`.
template <class C>
BG_HD Jacobian<C> ec_add_q_digit(const Jacobian<C>& acc, const Jacobian<C>* table, int d, uint32_t neg,
                                 bool endo) {
  using F = FieldOf<C>;
  if (d == 0) return acc;
  Jacobian<C> e = table[digit_abs(d) - 1];
  if constexpr (C::Consts::kHasGlv) {
    if (endo) {
      using G = typename C::Glv;
      e.x = fe_mul(e.x, fe_from_u64<F>(G::kBeta0, G::kBeta1, G::kBeta2, G::kBeta3));
    }
  }
  e.y = fe_cneg(e.y, uint32_t(d < 0) ^ neg);
  return ec_add(acc, e);
}

// acc + d G' (G' = G, or lambda G when `endo`) from the first window of the
// generated fixed-base table: entry j holds (j + 1) G, affine, v1's layout.
template <class C>
BG_HD Jacobian<C> ec_add_g_digit(const Jacobian<C>& acc, int d, uint32_t neg, bool endo) {
  using F = FieldOf<C>;
  if (d == 0) return acc;
  const uint64_t* e = C::comb_table() + size_t(digit_abs(d) - 1) * 8;
  Affine<C> a{fe_from_u64<F>(e[0], e[1], e[2], e[3]), fe_from_u64<F>(e[4], e[5], e[6], e[7])};
  if constexpr (C::Consts::kHasGlv) {
    if (endo) {
      using G = typename C::Glv;
      a.x = fe_mul(a.x, fe_from_u64<F>(G::kBeta0, G::kBeta1, G::kBeta2, G::kBeta3));
    }
  }
  a.y = fe_cneg(a.y, uint32_t(d < 0) ^ neg);
  return ec_add_mixed(acc, a);
}

// sum_t (q[t] digits) Q_t + (g[t] digits) G_t: one doubling per bit, Q
// windows every 5 bits, G windows every 7 (the same positions on every
// thread). Starts at infinity; doubling infinity stays infinity.
template <class C, int kTerms, int kQDigits, int kGDigits>
BG_HD Jacobian<C> ec_joint_mul(const Jacobian<C>* qtab, const JointDigits<kTerms, kQDigits, kGDigits>& dg) {
  constexpr int kQTop = kQWindow * (kQDigits - 1), kGTop = kGWindow * (kGDigits - 1);
  constexpr int kTop = kQTop > kGTop ? kQTop : kGTop;
  Jacobian<C> acc = ec_infinity<C>();
  for (int pos = kTop; pos >= 0; --pos) {
    if (pos != kTop) acc = ec_double(acc);
    if (pos % kQWindow == 0) {
      const int w = pos / kQWindow;
      for (int t = 0; t < kTerms; ++t) acc = ec_add_q_digit(acc, qtab, dg.q[t][w], dg.q_neg[t], t == 1);
    }
    if (pos % kGWindow == 0) {
      const int w = pos / kGWindow;
      for (int t = 0; t < kTerms; ++t) acc = ec_add_g_digit<C>(acc, dg.g[t][w], dg.g_neg[t], t == 1);
    }
  }
  return acc;
}

// round(k g / 2^384) for k < 2^256 and g < 2^256: the top 128 bits of the
// product rounded by bit 383 (< 2^129, so limbs 5..7 are 0).
BG_HD U8x32 mul_shift384_round(const U8x32& k, const U8x32& g) {
  uint32_t t[16];
  mul_wide_8x32(k.w, g.w, t);
  U8x32 r;
  Carry c;
  r.w[0] = add_cc(t[12], t[11] >> 31, c);
  r.w[1] = addc_cc(t[13], 0, c);
  r.w[2] = addc_cc(t[14], 0, c);
  r.w[3] = addc_cc(t[15], 0, c);
  r.w[4] = addc(0, 0, c);
  r.w[5] = r.w[6] = r.w[7] = 0;
  return r;
}

// GLV split of k < n (secp256k1): k = k1 + k2 lambda (mod n), returned as
// magnitudes |k_i| < 2^128 and signs (1: the magnitude is n - k_i). Same
// arithmetic as v1's ec_mul_glv_var (libsecp256k1's constants): c1, c2 =
// round(k g1 / 2^384), round(k g2 / 2^384); k2 = c1 (-b1) + c2 (-b2);
// k1 = k - k2 lambda. A plain value times a Montgomery constant is plain.
template <class C>
BG_HD void glv_split(const U8x32& k, U8x32* e1, uint32_t* neg1, U8x32* e2, uint32_t* neg2) {
  using S = ScalarOf<C>;
  using G = typename C::Glv;
  const U8x32 c1 = mul_shift384_round(k, u8x32_from_u64(G::kG10, G::kG11, G::kG12, G::kG13));
  const U8x32 c2 = mul_shift384_round(k, u8x32_from_u64(G::kG20, G::kG21, G::kG22, G::kG23));
  const Fe<S> minus_b1 = fe_from_u64<S>(G::kMinusB10, G::kMinusB11, G::kMinusB12, G::kMinusB13);
  const Fe<S> minus_b2 = fe_from_u64<S>(G::kMinusB20, G::kMinusB21, G::kMinusB22, G::kMinusB23);
  const Fe<S> lambda = fe_from_u64<S>(G::kLambda0, G::kLambda1, G::kLambda2, G::kLambda3);
  const Fe<S> k2 = fe_add(fe_mul(Fe<S>{{c1.w[0], c1.w[1], c1.w[2], c1.w[3], c1.w[4], 0, 0, 0}}, minus_b1),
                          fe_mul(Fe<S>{{c2.w[0], c2.w[1], c2.w[2], c2.w[3], c2.w[4], 0, 0, 0}}, minus_b2));
  const Fe<S> kk{{k.w[0], k.w[1], k.w[2], k.w[3], k.w[4], k.w[5], k.w[6], k.w[7]}};
  const Fe<S> k1 = fe_sub(kk, fe_mul(k2, lambda));
  const U8x32 n = fe_modulus<S>();
  const U8x32 half_n = u8x32_shr1(n);
  U8x32 a1, a2, m1, m2;
  for (int i = 0; i < 8; ++i) {
    a1.w[i] = k1.v[i];
    a2.w[i] = k2.v[i];
  }
  *neg1 = uint32_t(u8x32_lt(half_n, a1));
  *neg2 = uint32_t(u8x32_lt(half_n, a2));
  u8x32_sub(&m1, n, a1);
  u8x32_sub(&m2, n, a2);
  *e1 = u8x32_select(mask_from_bit(*neg1), m1, a1);
  *e2 = u8x32_select(mask_from_bit(*neg2), m2, a2);
}

// True when R is not infinity and x(R) mod n == r (0 < r < n), compared in
// projective form: X == r' Z^2 for r' = r, and r' = r + n when r + n < p.
template <class C>
BG_HD bool ec_x_matches(const Jacobian<C>& p, const U8x32& r) {
  using F = FieldOf<C>;
  using S = ScalarOf<C>;
  if (ec_is_infinity(p)) return false;
  const Fe<F> zz = fe_sqr(p.z);
  if (fe_eq(p.x, fe_mul(fe_to_mont<F>(r), zz))) return true;
  const U8x32 p_minus_n =
      u8x32_from_u64(C::Consts::kPMinusN0, C::Consts::kPMinusN1, C::Consts::kPMinusN2, C::Consts::kPMinusN3);
  if (!u8x32_lt(r, p_minus_n)) return false;
  U8x32 rn;
  u8x32_add(&rn, r, fe_modulus<S>());
  return fe_eq(p.x, fe_mul(fe_to_mont<F>(rn), zz));
}

// Digit counts: secp256k1's GLV halves are < 2^128 (26 x 5 = 130 and
// 19 x 7 = 133 bits leave the top windows room for their carry); P-256's
// scalars are < n < 2^256 (52 x 5 = 260, 37 x 7 = 259 bits).
constexpr int kGlvQDigits = 26, kGlvGDigits = 19;
constexpr int kFullQDigits = 52, kFullGDigits = 37;

// ECDSA verification (SEC1 4.1.4) with SPEC §2's rules, in v1's order:
// compressed key that decodes on the curve; r, s in [1, n-1]; low S
// (s <= (n-1)/2); e = digest mod n; R = (e/s) G + (r/s) Q; accept iff R is
// not infinity and x(R) mod n == r.
template <class C>
BG_HD bool ecdsa_verify(const uint8_t* public_key, const uint8_t* signature, const uint8_t* digest) {
  using S = ScalarOf<C>;
  const U8x32 n = fe_modulus<S>();
  const U8x32 r = u8x32_from_be(signature);
  const U8x32 s = u8x32_from_be(signature + 32);
  if (u8x32_is_zero(r) || u8x32_is_zero(s) || !u8x32_lt(r, n) || !u8x32_lt(s, n)) return false;
  if (u8x32_lt(u8x32_shr1(n), s)) return false;

  Affine<C> q;
  if (!ec_decompress(public_key, &q)) return false;

  U8x32 e = u8x32_from_be(digest), e_minus_n;
  const uint32_t below_n = u8x32_sub(&e_minus_n, e, n);  // n > 2^255: one subtraction reduces
  e = u8x32_select(below_n, e, e_minus_n);
  const Fe<S> s_inv = fe_inv(fe_to_mont<S>(s));
  const Fe<S> u1 = fe_mul(Fe<S>{{e.w[0], e.w[1], e.w[2], e.w[3], e.w[4], e.w[5], e.w[6], e.w[7]}}, s_inv);
  const Fe<S> u2 = fe_mul(Fe<S>{{r.w[0], r.w[1], r.w[2], r.w[3], r.w[4], r.w[5], r.w[6], r.w[7]}}, s_inv);
  U8x32 k1, k2;  // plain u1, u2
  for (int i = 0; i < 8; ++i) {
    k1.w[i] = u1.v[i];
    k2.w[i] = u2.v[i];
  }

  Jacobian<C> qtab[kQTable];
  ec_q_table(q, qtab);
  Jacobian<C> acc;
  if constexpr (C::Consts::kHasGlv) {
    JointDigits<2, kGlvQDigits, kGlvGDigits> dg;
    U8x32 h0, h1;
    glv_split<C>(k2, &h0, &dg.q_neg[0], &h1, &dg.q_neg[1]);
    signed_digits<kQWindow, kGlvQDigits>(h0, dg.q[0]);
    signed_digits<kQWindow, kGlvQDigits>(h1, dg.q[1]);
    glv_split<C>(k1, &h0, &dg.g_neg[0], &h1, &dg.g_neg[1]);
    signed_digits<kGWindow, kGlvGDigits>(h0, dg.g[0]);
    signed_digits<kGWindow, kGlvGDigits>(h1, dg.g[1]);
    acc = ec_joint_mul<C>(qtab, dg);
  } else {
    JointDigits<1, kFullQDigits, kFullGDigits> dg;
    dg.q_neg[0] = dg.g_neg[0] = 0;
    signed_digits<kQWindow, kFullQDigits>(k2, dg.q[0]);
    signed_digits<kGWindow, kFullGDigits>(k1, dg.g[0]);
    acc = ec_joint_mul<C>(qtab, dg);
  }
  return ec_x_matches(acc, r);
}

}  // namespace bg::k::v2
