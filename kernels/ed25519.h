// Ed25519 group arithmetic on -x^2 + y^2 = 1 + d x^2 y^2 in extended twisted
// Edwards coordinates (Hisil-Wong-Carter-Dawson 2008), point decoding and
// encoding, and the variable-time double-scalar multiplication [a]P + [b]B
// that verification needs. Built on fe25519.h only (no limb access here).
//
// Point forms (the ref10 names): P2 (X:Y:Z); P3 (X:Y:Z:T) with XY = ZT;
// P1P1 "completed" ((X:Z), (Y:T)); Cached (Y+X, Y-X, Z, 2dT) for additions of
// a computed point; Niels (y+x, y-x, 2dxy) for an affine table point.
// The addition formulas are complete on this curve (a = -1 is a square, d is
// not), so points of any order -- small, mixed, identity -- are handled
// exactly; verification relies on that for mixed-order public keys.
#pragma once

#include "kernels/ed25519_base_table.h"
#include "kernels/fe25519.h"

namespace bg::k {

struct GeP2 { Fe X, Y, Z; };
struct GeP3 { Fe X, Y, Z, T; };
struct GeP1P1 { Fe X, Y, Z, T; };
struct GeCached { Fe YplusX, YminusX, Z, T2d; };
struct GeNiels { Fe yplusx, yminusx, xy2d; };

// The fixed-base table lives in global memory on the GPU (7.5 KiB is too big
// for the per-thread-divergent reads of __constant__ memory, which serialize)
// and in ordinary read-only data on the host; kernels read it via
// ge_base_niels() so the same code compiles for both.
#if defined(__CUDACC__)
static __device__ const GeNiels kEd25519BaseTableDevice[BG_ED25519_BASE_TABLE_SIZE] = BG_ED25519_BASE_TABLE_INIT;
#endif
static const GeNiels kEd25519BaseTableHost[BG_ED25519_BASE_TABLE_SIZE] = BG_ED25519_BASE_TABLE_INIT;

// [2i+1]B, 0 <= i < BG_ED25519_BASE_TABLE_SIZE.
BG_HD const GeNiels& ge_base_niels(int i) {
#if defined(__CUDA_ARCH__)
  return kEd25519BaseTableDevice[i];
#else
  return kEd25519BaseTableHost[i];
#endif
}

BG_HD GeP2 ge_p2_identity() { return GeP2{fe_zero(), fe_one(), fe_one()}; }

BG_HD GeP2 ge_p3_to_p2(const GeP3& p) { return GeP2{p.X, p.Y, p.Z}; }

// 1 M.
BG_HD GeCached ge_p3_to_cached(const GeP3& p) {
  return GeCached{fe_add(p.Y, p.X), fe_sub(p.Y, p.X), p.Z, fe_mul(p.T, fe_d2())};
}

// 3 M.
BG_HD GeP2 ge_p1p1_to_p2(const GeP1P1& p) {
  return GeP2{fe_mul(p.X, p.T), fe_mul(p.Y, p.Z), fe_mul(p.Z, p.T)};
}

// 4 M.
BG_HD GeP3 ge_p1p1_to_p3(const GeP1P1& p) {
  return GeP3{fe_mul(p.X, p.T), fe_mul(p.Y, p.Z), fe_mul(p.Z, p.T), fe_mul(p.X, p.Y)};
}

// 2P ("dbl-2008-hwcd"): 4 S (one of them 2Z^2).
BG_HD GeP1P1 ge_p2_dbl(const GeP2& p) {
  const Fe xx = fe_sq(p.X);
  const Fe yy = fe_sq(p.Y);
  const Fe zz2 = fe_sq2(p.Z);
  const Fe xy2 = fe_sq(fe_add(p.X, p.Y));
  GeP1P1 r;
  r.Y = fe_add(yy, xx);        // Y^2 + X^2
  r.Z = fe_sub(yy, xx);        // Y^2 - X^2
  r.X = fe_sub(xy2, r.Y);      // 2XY
  r.T = fe_sub(zz2, r.Z);      // 2Z^2 - (Y^2 - X^2)
  return r;
}

BG_HD GeP1P1 ge_p3_dbl(const GeP3& p) { return ge_p2_dbl(ge_p3_to_p2(p)); }

// P + Q ("add-2008-hwcd-3"): 4 M. With sub = true, P - Q.
BG_HD GeP1P1 ge_add_cached(const GeP3& p, const GeCached& q, bool sub) {
  const Fe a = fe_mul(fe_add(p.Y, p.X), sub ? q.YminusX : q.YplusX);
  const Fe b = fe_mul(fe_sub(p.Y, p.X), sub ? q.YplusX : q.YminusX);
  const Fe c = fe_mul(q.T2d, p.T);
  const Fe zz = fe_mul(p.Z, q.Z);
  const Fe d2 = fe_add(zz, zz);
  GeP1P1 r;
  r.X = fe_sub(a, b);
  r.Y = fe_add(a, b);
  r.Z = sub ? fe_sub(d2, c) : fe_add(d2, c);
  r.T = sub ? fe_add(d2, c) : fe_sub(d2, c);
  return r;
}

// P + Q for an affine table point Q (Z2 = 1): 3 M. With sub = true, P - Q.
BG_HD GeP1P1 ge_add_niels(const GeP3& p, const GeNiels& q, bool sub) {
  const Fe a = fe_mul(fe_add(p.Y, p.X), sub ? q.yminusx : q.yplusx);
  const Fe b = fe_mul(fe_sub(p.Y, p.X), sub ? q.yplusx : q.yminusx);
  const Fe c = fe_mul(q.xy2d, p.T);
  const Fe d2 = fe_add(p.Z, p.Z);
  GeP1P1 r;
  r.X = fe_sub(a, b);
  r.Y = fe_add(a, b);
  r.Z = sub ? fe_sub(d2, c) : fe_add(d2, c);
  r.T = sub ? fe_add(d2, c) : fe_sub(d2, c);
  return r;
}

BG_HD GeP3 ge_p3_neg(const GeP3& p) { return GeP3{fe_neg(p.X), p.Y, p.Z, fe_neg(p.T)}; }

// Decodes the RFC 8032 encoding s into *p. Returns false when y^2 - 1 over
// d y^2 + 1 has no square root. Like libsodium's ge25519_frombytes(_negate_
// vartime): y is taken mod p (callers check canonicity first), and when
// x = 0 the sign bit is ignored rather than rejected.
// Cost: one pow22523 (252 S + 11 M) + 10 M + 4 S.
BG_HD bool ge_frombytes(GeP3* p, const uint8_t s[32]) {
  const Fe y = fe_frombytes(s);
  const Fe yy = fe_sq(y);
  const Fe u = fe_sub(yy, fe_one());                  // y^2 - 1
  const Fe v = fe_add(fe_mul(yy, fe_d()), fe_one());  // d y^2 + 1
  Fe x;
  if (!fe_sqrt_ratio(u, v, &x)) return false;
  if (fe_isnegative(x) != ((s[31] >> 7) != 0)) x = fe_neg(x);
  p->X = fe_carry(x);
  p->Y = fe_carry(y);
  p->Z = fe_one();
  p->T = fe_mul(p->X, y);
  return true;
}

// Canonical 32-byte encoding of p: y with x's parity in bit 255.
// Cost: one inversion (254 S + 11 M) + 2 M.
BG_HD void ge_tobytes(uint8_t s[32], const GeP2& p) {
  const Fe zi = fe_invert(p.Z);
  const Fe x = fe_mul(p.X, zi);
  const Fe y = fe_mul(p.Y, zi);
  fe_tobytes(s, y);
  s[31] ^= uint8_t(fe_isnegative(x) ? 0x80 : 0);
}

// Width-w NAF of a 256-bit little-endian scalar (< 2^255): digits[i] is 0 or
// odd with |digits[i]| < 2^(w-1), scalar = sum digits[i] 2^i, and any two
// nonzero digits are at least w positions apart. Returns 1 + the index of the
// highest nonzero digit (0 for a zero scalar). digits must hold 256 entries.
BG_HD int sc_wnaf(int8_t digits[256], const uint8_t scalar[32], int w) {
  for (int i = 0; i < 256; ++i) digits[i] = 0;
  int carry = 0, top = 0;
  for (int bit = 0; bit < 256;) {
    if (((scalar[bit >> 3] >> (bit & 7)) & 1) == carry) {
      ++bit;
      continue;
    }
    // Gather w bits starting at `bit` (those past bit 255 read as zero).
    int word = 0;
    for (int j = w - 1; j >= 0; --j) {
      const int b = bit + j;
      word = (word << 1) | (b < 256 ? (scalar[b >> 3] >> (b & 7)) & 1 : 0);
    }
    word += carry;  // odd by the test above
    carry = (word >> (w - 1)) & 1;
    word -= carry << w;
    digits[bit] = int8_t(word);
    top = bit + 1;
    bit += w;
  }
  // carry is 0 here because scalar < 2^255 leaves room above the top digit.
  return top;
}

// Window widths for ge_double_scalarmult_vartime: 8 cached odd multiples of
// the variable point (w = 5), 64 table multiples of B (w = 8).
constexpr int kEd25519VarWnafWidth = 5;
constexpr int kEd25519VarTableSize = 1 << (kEd25519VarWnafWidth - 2);

// [a]P + [b]B, variable time; a and b are 32-byte little-endian scalars
// below 2^255 (in verification a = k < L, b = S < L).
// Cost for 253-bit scalars: table of P 1 dbl + 7 adds (~ 4 S + 47 M);
// 253 doublings (4 S + 3 M each, + 1 M before an addition); about 253/6 ~ 42
// additions of P's multiples (4 M) and 253/9 ~ 28 of B's (3 M): ~ 1010 S +
// 1100 M in the loop, ~ 2200 field multiplications overall.
BG_HD GeP2 ge_double_scalarmult_vartime(const uint8_t a[32], const GeP3& p, const uint8_t b[32]) {
  int8_t adig[256], bdig[256];
  const int atop = sc_wnaf(adig, a, kEd25519VarWnafWidth);
  const int btop = sc_wnaf(bdig, b, BG_ED25519_BASE_WNAF_WIDTH);

  GeCached pi[kEd25519VarTableSize];  // [1]P, [3]P, ..., [15]P
  pi[0] = ge_p3_to_cached(p);
  const GeP3 p2 = ge_p1p1_to_p3(ge_p3_dbl(p));
  for (int i = 1; i < kEd25519VarTableSize; ++i) {
    pi[i] = ge_p3_to_cached(ge_p1p1_to_p3(ge_add_cached(p2, pi[i - 1], false)));
  }

  GeP2 r = ge_p2_identity();
  for (int i = (atop > btop ? atop : btop) - 1; i >= 0; --i) {
    GeP1P1 t = ge_p2_dbl(r);
    if (adig[i] != 0) {
      const int d = adig[i];
      t = ge_add_cached(ge_p1p1_to_p3(t), pi[(d > 0 ? d : -d) >> 1], d < 0);
    }
    if (bdig[i] != 0) {
      const int d = bdig[i];
      t = ge_add_niels(ge_p1p1_to_p3(t), ge_base_niels((d > 0 ? d : -d) >> 1), d < 0);
    }
    r = ge_p1p1_to_p2(t);
  }
  return r;
}

}  // namespace bg::k
