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

// The fixed-base table lives in global memory on the GPU (__constant__ memory
// serializes reads when the threads of a warp want different entries)
// and in ordinary read-only data on the host; kernels read it via
// ge_base_niels() so the same code compiles for both.
#if defined(__CUDACC__)
static __device__ const GeNiels kEd25519BaseTableDevice[BG_ED25519_BASE_TABLE_SIZE] = BG_ED25519_BASE_TABLE_INIT;
#endif
static const GeNiels kEd25519BaseTableHost[BG_ED25519_BASE_TABLE_SIZE] = BG_ED25519_BASE_TABLE_INIT;

// [i+1]B, 0 <= i < BG_ED25519_BASE_TABLE_SIZE.
BG_HD const GeNiels& ge_base_niels(int i) {
#if defined(__CUDA_ARCH__)
  return kEd25519BaseTableDevice[i];
#else
  return kEd25519BaseTableHost[i];
#endif
}

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
// Cost: one pow22523 (251 S + 11 M) + 9 M + 4 S.
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

// Number of signed radix-32 digits of a scalar below 2^253 (5 x 51 = 255 bits).
constexpr int kEd25519Digits = 51;

// Signed radix-2^5 digits of a 32-byte little-endian scalar below 2^253 (every
// scalar here is reduced mod L < 2^253): scalar = sum digits[i] 32^i with
// -15 <= digits[i] <= 16. A window above 16 becomes (window - 32) and carries
// 1 into the next; the top window (bits 250..252) is at most 7 + 1, so
// nothing carries out.
BG_HD void sc_signed_radix32(int8_t digits[kEd25519Digits], const uint8_t scalar[32]) {
  int carry = 0;
  for (int i = 0; i < kEd25519Digits; ++i) {
    const int bit = 5 * i, byte = bit >> 3;
    int window = scalar[byte] >> (bit & 7);
    if ((bit & 7) > 3 && byte + 1 < 32) window |= scalar[byte + 1] << (8 - (bit & 7));
    int v = (window & 31) + carry;
    carry = v > 16 ? 1 : 0;
    v -= carry << 5;
    digits[i] = int8_t(v);
  }
}

// Window width and table sizes for ge_double_scalarmult_vartime.
constexpr int kEd25519WindowBits = BG_ED25519_WINDOW_BITS;
constexpr int kEd25519TableSize = BG_ED25519_BASE_TABLE_SIZE;  // multiples 1..16

// [a]P + [b]B, variable time; a and b are 32-byte little-endian scalars below
// 2^253 (in verification a = k mod L, b = S < L).
//
// Fixed windows, not sliding ones: both scalars are cut into the same 51
// signed 5-bit digits, so every window costs the same 5 doublings and 2
// additions whatever the scalars are. On the GPU the 32 threads of a warp then
// run in lockstep; with sliding windows (wNAF) each thread's additions fall
// at different bit positions and a warp would pay for the union of them,
// i.e. an addition at almost every bit (estimate: ~22 vs ~10 field
// operations per bit). On one CPU core, where nothing runs in lockstep, the
// fixed windows cost 9% more than wNAF (3170 vs 2910 field operations per
// verification, counted) -- the price of a GPU-shaped loop.
//
// Cost (counted: ~1625 M + ~1005 S): the table [1..16]P is 1 doubling + 14
// additions (~150 M); each of the 50 windows takes 5 doublings (4 S each) with
// 5 conversions to P2 (3 M), then a conversion to P3 (4 M) and a P addition
// (4 M), and a conversion to P3 (4 M) and a B table addition (3 M).
BG_HD GeP2 ge_double_scalarmult_vartime(const uint8_t a[32], const GeP3& p, const uint8_t b[32]) {
  int8_t adig[kEd25519Digits], bdig[kEd25519Digits];
  sc_signed_radix32(adig, a);
  sc_signed_radix32(bdig, b);

  GeCached pi[kEd25519TableSize];  // [1]P .. [16]P
  pi[0] = ge_p3_to_cached(p);
  GeP3 acc = ge_p1p1_to_p3(ge_p3_dbl(p));
  pi[1] = ge_p3_to_cached(acc);
  for (int i = 2; i < kEd25519TableSize; ++i) {
    acc = ge_p1p1_to_p3(ge_add_cached(acc, pi[0], false));
    pi[i] = ge_p3_to_cached(acc);
  }

  // t holds the running sum in completed form; start at the identity
  // (X:Z) = (0:1), (Y:T) = (1:1).
  GeP1P1 t{fe_zero(), fe_one(), fe_one(), fe_one()};
  for (int i = kEd25519Digits - 1; i >= 0; --i) {
    if (i != kEd25519Digits - 1) {
      for (int j = 0; j < kEd25519WindowBits; ++j) t = ge_p2_dbl(ge_p1p1_to_p2(t));
    }
    const int da = adig[i], db = bdig[i];
    if (da != 0) t = ge_add_cached(ge_p1p1_to_p3(t), pi[(da > 0 ? da : -da) - 1], da < 0);
    if (db != 0) t = ge_add_niels(ge_p1p1_to_p3(t), ge_base_niels((db > 0 ? db : -db) - 1), db < 0);
  }
  return ge_p1p1_to_p2(t);
}

}  // namespace bg::k
