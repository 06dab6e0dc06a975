// Arithmetic in GF(2^255 - 19) for Ed25519, as __host__ __device__ code that
// compiles to the same integer operations on the CPU and the GPU.
//
// Representation: ten signed 32-bit limbs in radix 2^25.5 (26, 25, 26, 25, ...
// bits), value = sum h[i] * 2^ceil(25.5 i). Products are 32x32->64-bit, which
// the GPU does natively (IMAD.WIDE) and the CPU in one imul; no 128-bit type
// is needed anywhere, so there is one code path and no #ifdef __CUDA_ARCH__.
//
// Limb bounds (the contract every function relies on):
//   "tight"  : |h[i]| <= 1.01 * 2^25 (even i) / 1.01 * 2^24 (odd i), roughly;
//              what fe_mul/fe_sq/fe_sq2/fe_carry return.
//   "loose"  : |h[i]| <= 1.65 * 2^26 / 1.65 * 2^25; fe_add/fe_sub/fe_neg of
//              tight inputs, or a sum/difference of three tight values, is
//              loose; so is fe_frombytes (limbs in [0, 2^26) / [0, 2^25)).
// fe_mul/fe_sq/fe_sq2/fe_tobytes accept loose inputs; add/sub never carry, so
// callers must not chain more than that before a multiplication (the group
// formulas in ed25519.h never do). Nothing here is constant time: verification
// handles public data only.
//
// Cost model used in ed25519.h comments: M = fe_mul (100 products),
// S = fe_sq (55 products); add/sub/neg are 10 limb operations.
#pragma once

#include "kernels/hd.h"

// fe_mul, fe_sq and fe_sq2 are where the time goes. On the GPU, inlining
// them everywhere (the default) makes verification one large function (sm_90:
// 255 registers with a few spills); defining BG_FE_NOINLINE makes them real
// calls (136 registers, no spills, more call traffic). Which is faster is for
// the device benchmark to decide; host code is unaffected either way.
#if defined(BG_FE_NOINLINE)
#define BG_FE_HOT BG_HD_NOINLINE
#else
#define BG_FE_HOT BG_HD
#endif

namespace bg::k {

struct Fe {
  int32_t v[10];
};

namespace fe_detail {
BG_HD int64_t m(int32_t a, int32_t b) { return int64_t(a) * int64_t(b); }
// Bit offset and width of each limb.
BG_HD int limb_pos(int i) { return 26 * ((i + 1) / 2) + 25 * (i / 2); }
BG_HD int limb_bits(int i) { return (i & 1) ? 25 : 26; }

// Signed rounding carry chain (interleaved so the dependency chain is short):
// turns 64-bit column sums into tight 32-bit limbs.
BG_HD void carry_reduce(int64_t h[10], Fe* out) {
  const int64_t two25 = int64_t(1) << 25, two24 = int64_t(1) << 24;
  int64_t c;
  c = (h[0] + two25) >> 26; h[1] += c; h[0] -= c * (two25 * 2);
  c = (h[4] + two25) >> 26; h[5] += c; h[4] -= c * (two25 * 2);
  c = (h[1] + two24) >> 25; h[2] += c; h[1] -= c * two25;
  c = (h[5] + two24) >> 25; h[6] += c; h[5] -= c * two25;
  c = (h[2] + two25) >> 26; h[3] += c; h[2] -= c * (two25 * 2);
  c = (h[6] + two25) >> 26; h[7] += c; h[6] -= c * (two25 * 2);
  c = (h[3] + two24) >> 25; h[4] += c; h[3] -= c * two25;
  c = (h[7] + two24) >> 25; h[8] += c; h[7] -= c * two25;
  c = (h[4] + two25) >> 26; h[5] += c; h[4] -= c * (two25 * 2);
  c = (h[8] + two25) >> 26; h[9] += c; h[8] -= c * (two25 * 2);
  c = (h[9] + two24) >> 25; h[0] += c * 19; h[9] -= c * two25;
  c = (h[0] + two25) >> 26; h[1] += c; h[0] -= c * (two25 * 2);
  for (int i = 0; i < 10; ++i) out->v[i] = int32_t(h[i]);
}
}  // namespace fe_detail

BG_HD Fe fe_zero() { return Fe{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}; }
BG_HD Fe fe_one() { return Fe{{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}}; }
// d = -121665/121666, the Edwards curve constant.
BG_HD Fe fe_d() {
  return Fe{{56195235, 13857412, 51736253, 6949390, 114729, 24766616, 60832955, 30306712, 48412415, 21499315}};
}
BG_HD Fe fe_d2() {
  return Fe{{45281625, 27714825, 36363642, 13898781, 229458, 15978800, 54557047, 27058993, 29715967, 9444199}};
}
// sqrt(-1) = 2^((p-1)/4).
BG_HD Fe fe_sqrtm1() {
  return Fe{{34513072, 25610706, 9377949, 3500415, 12389472, 33281959, 41962654, 31548777, 326685, 11406482}};
}

BG_HD Fe fe_add(const Fe& f, const Fe& g) {
  Fe h;
  for (int i = 0; i < 10; ++i) h.v[i] = f.v[i] + g.v[i];
  return h;
}
BG_HD Fe fe_sub(const Fe& f, const Fe& g) {
  Fe h;
  for (int i = 0; i < 10; ++i) h.v[i] = f.v[i] - g.v[i];
  return h;
}
BG_HD Fe fe_neg(const Fe& f) {
  Fe h;
  for (int i = 0; i < 10; ++i) h.v[i] = -f.v[i];
  return h;
}

// f * g. Loose inputs, tight output. 100 32x32->64 products + 9 small
// multiplications by 19 and 4 doublings; the 64-bit column sums stay below
// 2^62 under the loose bound.
BG_FE_HOT Fe fe_mul(const Fe& f, const Fe& g) {
  using fe_detail::m;
  const int32_t f0 = f.v[0], f1 = f.v[1], f2 = f.v[2], f3 = f.v[3], f4 = f.v[4];
  const int32_t f5 = f.v[5], f6 = f.v[6], f7 = f.v[7], f8 = f.v[8], f9 = f.v[9];
  const int32_t g0 = g.v[0], g1 = g.v[1], g2 = g.v[2], g3 = g.v[3], g4 = g.v[4];
  const int32_t g5 = g.v[5], g6 = g.v[6], g7 = g.v[7], g8 = g.v[8], g9 = g.v[9];
  // Odd x odd limbs overshoot their column by one bit (25.5 i is a half-integer
  // for odd i), hence the doubled odd f limbs; columns >= 10 wrap with
  // 2^255 = 19, hence the g * 19 values.
  const int32_t f1_2 = 2 * f1, f3_2 = 2 * f3, f5_2 = 2 * f5, f7_2 = 2 * f7, f9_2 = 2 * f9;
  const int32_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4, g5_19 = 19 * g5;
  const int32_t g6_19 = 19 * g6, g7_19 = 19 * g7, g8_19 = 19 * g8, g9_19 = 19 * g9;
  int64_t h[10];
  h[0] = m(f0, g0) + m(f1_2, g9_19) + m(f2, g8_19) + m(f3_2, g7_19) + m(f4, g6_19) + m(f5_2, g5_19) +
         m(f6, g4_19) + m(f7_2, g3_19) + m(f8, g2_19) + m(f9_2, g1_19);
  h[1] = m(f0, g1) + m(f1, g0) + m(f2, g9_19) + m(f3, g8_19) + m(f4, g7_19) + m(f5, g6_19) + m(f6, g5_19) +
         m(f7, g4_19) + m(f8, g3_19) + m(f9, g2_19);
  h[2] = m(f0, g2) + m(f1_2, g1) + m(f2, g0) + m(f3_2, g9_19) + m(f4, g8_19) + m(f5_2, g7_19) + m(f6, g6_19) +
         m(f7_2, g5_19) + m(f8, g4_19) + m(f9_2, g3_19);
  h[3] = m(f0, g3) + m(f1, g2) + m(f2, g1) + m(f3, g0) + m(f4, g9_19) + m(f5, g8_19) + m(f6, g7_19) +
         m(f7, g6_19) + m(f8, g5_19) + m(f9, g4_19);
  h[4] = m(f0, g4) + m(f1_2, g3) + m(f2, g2) + m(f3_2, g1) + m(f4, g0) + m(f5_2, g9_19) + m(f6, g8_19) +
         m(f7_2, g7_19) + m(f8, g6_19) + m(f9_2, g5_19);
  h[5] = m(f0, g5) + m(f1, g4) + m(f2, g3) + m(f3, g2) + m(f4, g1) + m(f5, g0) + m(f6, g9_19) + m(f7, g8_19) +
         m(f8, g7_19) + m(f9, g6_19);
  h[6] = m(f0, g6) + m(f1_2, g5) + m(f2, g4) + m(f3_2, g3) + m(f4, g2) + m(f5_2, g1) + m(f6, g0) +
         m(f7_2, g9_19) + m(f8, g8_19) + m(f9_2, g7_19);
  h[7] = m(f0, g7) + m(f1, g6) + m(f2, g5) + m(f3, g4) + m(f4, g3) + m(f5, g2) + m(f6, g1) + m(f7, g0) +
         m(f8, g9_19) + m(f9, g8_19);
  h[8] = m(f0, g8) + m(f1_2, g7) + m(f2, g6) + m(f3_2, g5) + m(f4, g4) + m(f5_2, g3) + m(f6, g2) + m(f7_2, g1) +
         m(f8, g0) + m(f9_2, g9_19);
  h[9] = m(f0, g9) + m(f1, g8) + m(f2, g7) + m(f3, g6) + m(f4, g5) + m(f5, g4) + m(f6, g3) + m(f7, g2) +
         m(f8, g1) + m(f9, g0);
  Fe out;
  fe_detail::carry_reduce(h, &out);
  return out;
}

// Column sums of f^2 (55 products), shared by fe_sq and fe_sq2.
BG_HD void fe_sq_columns(const Fe& f, int64_t h[10]) {
  using fe_detail::m;
  const int32_t f0 = f.v[0], f1 = f.v[1], f2 = f.v[2], f3 = f.v[3], f4 = f.v[4];
  const int32_t f5 = f.v[5], f6 = f.v[6], f7 = f.v[7], f8 = f.v[8], f9 = f.v[9];
  const int32_t f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3, f4_2 = 2 * f4;
  const int32_t f5_2 = 2 * f5, f6_2 = 2 * f6, f7_2 = 2 * f7, f8_2 = 2 * f8;
  const int32_t f5_38 = 38 * f5, f6_19 = 19 * f6, f7_38 = 38 * f7, f8_19 = 19 * f8, f9_38 = 38 * f9;
  const int32_t f7_19 = 19 * f7, f9_19 = 19 * f9;
  h[0] = m(f0, f0) + m(f1_2, f9_38) + m(f2_2, f8_19) + m(f3_2, f7_38) + m(f4_2, f6_19) + m(f5, f5_38);
  h[1] = m(f0_2, f1) + m(f2_2, f9_19) + m(f3_2, f8_19) + m(f4_2, f7_19) + m(f5_2, f6_19);
  h[2] = m(f0_2, f2) + m(f1, f1_2) + m(f3_2, f9_38) + m(f4_2, f8_19) + m(f5_2, f7_38) + m(f6, f6_19);
  h[3] = m(f0_2, f3) + m(f1_2, f2) + m(f4_2, f9_19) + m(f5_2, f8_19) + m(f6_2, f7_19);
  h[4] = m(f0_2, f4) + m(f1_2, f3_2) + m(f2, f2) + m(f5_2, f9_38) + m(f6_2, f8_19) + m(f7, f7_38);
  h[5] = m(f0_2, f5) + m(f1_2, f4) + m(f2_2, f3) + m(f6_2, f9_19) + m(f7_2, f8_19);
  h[6] = m(f0_2, f6) + m(f1_2, f5_2) + m(f2_2, f4) + m(f3, f3_2) + m(f7_2, f9_38) + m(f8, f8_19);
  h[7] = m(f0_2, f7) + m(f1_2, f6) + m(f2_2, f5) + m(f3_2, f4) + m(f8_2, f9_19);
  h[8] = m(f0_2, f8) + m(f1_2, f7_2) + m(f2_2, f6) + m(f3_2, f5_2) + m(f4, f4) + m(f9, f9_38);
  h[9] = m(f0_2, f9) + m(f1_2, f8) + m(f2_2, f7) + m(f3_2, f6) + m(f4_2, f5);
}

// f^2. Loose input, tight output.
BG_FE_HOT Fe fe_sq(const Fe& f) {
  int64_t h[10];
  fe_sq_columns(f, h);
  Fe out;
  fe_detail::carry_reduce(h, &out);
  return out;
}

// 2 f^2 (the doubling formula's 2Z^2). Loose input, tight output.
BG_FE_HOT Fe fe_sq2(const Fe& f) {
  int64_t h[10];
  fe_sq_columns(f, h);
  for (int i = 0; i < 10; ++i) h[i] += h[i];
  Fe out;
  fe_detail::carry_reduce(h, &out);
  return out;
}

// f^(2^n), n >= 1.
BG_HD Fe fe_sq_n(Fe f, int n) {
  for (int i = 0; i < n; ++i) f = fe_sq(f);
  return f;
}

// Loads 255 bits (bit 255 ignored, as RFC 8032 and libsodium do). The value
// may be >= p; every operation is still correct mod p. The limbs are
// non-negative and loose (fe_carry makes them tight); fe_tobytes gives the
// canonical form.
BG_HD Fe fe_frombytes(const uint8_t s[32]) {
  uint64_t w[4];
  for (int i = 0; i < 4; ++i) w[i] = load_le64(s + 8 * i);
  Fe h;
  for (int i = 0; i < 10; ++i) {
    const int pos = fe_detail::limb_pos(i), bits = fe_detail::limb_bits(i);
    const int wi = pos / 64, sh = pos % 64;
    uint64_t x = w[wi] >> sh;
    if (sh + bits > 64) x |= w[wi + 1] << (64 - sh);
    h.v[i] = int32_t(x & ((uint64_t(1) << bits) - 1));
  }
  return h;
}

// Canonical little-endian encoding (value reduced to [0, p)). Loose input.
BG_HD void fe_tobytes(uint8_t s[32], const Fe& f) {
  int64_t h[10];
  for (int i = 0; i < 10; ++i) h[i] = f.v[i];
  Fe t;
  fe_detail::carry_reduce(h, &t);  // tight limbs, value in (-p, 2p)
  for (int i = 0; i < 10; ++i) h[i] = t.v[i];
  // q = floor(value / p) in {-1, 0, 1}: the carry out of bit 255 of value + 19,
  // seeded with a rounded estimate of 19 * h9 / 2^25.
  int64_t q = (19 * h[9] + (int64_t(1) << 24)) >> 25;
  for (int i = 0; i < 10; ++i) q = (h[i] + q) >> fe_detail::limb_bits(i);
  // value - q p = value + 19 q - 2^255 q: add 19 q, then carry with floor and
  // drop the carry out of the top limb (it equals q).
  h[0] += 19 * q;
  for (int i = 0; i < 9; ++i) {
    const int bits = fe_detail::limb_bits(i);
    const int64_t c = h[i] >> bits;
    h[i + 1] += c;
    h[i] -= c * (int64_t(1) << bits);
  }
  h[9] &= (int64_t(1) << 25) - 1;
  uint64_t w[4] = {0, 0, 0, 0};
  for (int i = 0; i < 10; ++i) {
    const int pos = fe_detail::limb_pos(i);
    const uint64_t x = uint64_t(h[i]);
    w[pos / 64] |= x << (pos % 64);
    if (pos % 64 + fe_detail::limb_bits(i) > 64) w[pos / 64 + 1] |= x >> (64 - pos % 64);
  }
  for (int i = 0; i < 4; ++i) store_le64(s + 8 * i, w[i]);
}

// Tight limbs of any loose input (one carry chain, no products).
BG_HD Fe fe_carry(const Fe& f) {
  int64_t h[10];
  for (int i = 0; i < 10; ++i) h[i] = f.v[i];
  Fe out;
  fe_detail::carry_reduce(h, &out);
  return out;
}

BG_HD bool fe_iszero(const Fe& f) {
  uint8_t s[32];
  fe_tobytes(s, f);
  uint8_t acc = 0;
  for (int i = 0; i < 32; ++i) acc |= s[i];
  return acc == 0;
}

// "Negative" in RFC 8032's sense: the canonical encoding is odd.
BG_HD bool fe_isnegative(const Fe& f) {
  uint8_t s[32];
  fe_tobytes(s, f);
  return (s[0] & 1) != 0;
}

BG_HD bool fe_equal(const Fe& f, const Fe& g) { return fe_iszero(fe_sub(f, g)); }

// z^(2^250 - 1) and z^11, the common prefix of the inversion and square-root
// addition chains (the ref10 chain): 249 S + 10 M.
BG_HD void fe_pow_2_250_1(const Fe& z, Fe* z_250_1, Fe* z11) {
  Fe z2 = fe_sq(z);                  // 2
  Fe t = fe_sq_n(z2, 2);             // 8
  Fe z9 = fe_mul(t, z);              // 9
  *z11 = fe_mul(z9, z2);             // 11
  t = fe_sq(*z11);                   // 22
  Fe z5 = fe_mul(t, z9);             // 2^5 - 1
  t = fe_sq_n(z5, 5);
  Fe z10 = fe_mul(t, z5);            // 2^10 - 1
  t = fe_sq_n(z10, 10);
  Fe z20 = fe_mul(t, z10);           // 2^20 - 1
  t = fe_sq_n(z20, 20);
  Fe z40 = fe_mul(t, z20);           // 2^40 - 1
  t = fe_sq_n(z40, 10);
  Fe z50 = fe_mul(t, z10);           // 2^50 - 1
  t = fe_sq_n(z50, 50);
  Fe z100 = fe_mul(t, z50);          // 2^100 - 1
  t = fe_sq_n(z100, 100);
  Fe z200 = fe_mul(t, z100);         // 2^200 - 1
  t = fe_sq_n(z200, 50);
  *z_250_1 = fe_mul(t, z50);         // 2^250 - 1
}

// z^(p-2) = 1/z (0 maps to 0). 254 S + 11 M.
BG_HD Fe fe_invert(const Fe& z) {
  Fe z250, z11;
  fe_pow_2_250_1(z, &z250, &z11);
  return fe_mul(fe_sq_n(z250, 5), z11);  // 2^255 - 32 + 11 = p - 2
}

// z^((p-5)/8) = z^(2^252 - 3), the square-root exponent. 251 S + 11 M.
BG_HD Fe fe_pow22523(const Fe& z) {
  Fe z250, z11;
  fe_pow_2_250_1(z, &z250, &z11);
  return fe_mul(fe_sq_n(z250, 2), z);  // 2^252 - 4 + 1
}

// Sets *x to a square root of u/v (v != 0) and returns true, or returns false
// when u/v is not a square. Which of the two roots comes back is unspecified;
// callers fix the sign. One pow22523 + 6 M + 2 S.
BG_HD bool fe_sqrt_ratio(const Fe& u, const Fe& v, Fe* x) {
  const Fe v3 = fe_mul(fe_sq(v), v);
  const Fe uv7 = fe_mul(fe_mul(fe_sq(v3), v), u);
  Fe r = fe_mul(fe_mul(fe_pow22523(uv7), v3), u);  // u v^3 (u v^7)^((p-5)/8)
  const Fe vrr = fe_mul(fe_sq(r), v);
  if (!fe_iszero(fe_sub(vrr, u))) {
    if (!fe_iszero(fe_add(vrr, u))) return false;
    r = fe_mul(r, fe_sqrtm1());
  }
  *x = r;
  return true;
}

}  // namespace bg::k
