// kernels/carry.h's portable (host) versions against an independent
// reference: 256-bit arithmetic on four unsigned __int128 halves-of-words,
// and the single-instruction primitives against their definitions and in
// whole chains.
// The device versions are compared with these by gpu_check's
// `carry-primitives` check on the GPU machine.
#include "kernels/carry.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace bg::k::carry {
namespace {

using u128 = unsigned __int128;

// Words with a bias toward all-ones and zero, where carry chains are longest.
void fill(std::mt19937_64& rng, uint32_t* w, int n) {
  const int mode = int(rng() % 4);
  for (int i = 0; i < n; ++i) {
    const uint32_t x = uint32_t(rng());
    w[i] = mode == 0 ? 0xffffffffu : mode == 1 ? (x & 1 ? 0xffffffffu : 0) : x;
  }
}

TEST(Carry, AddSubAndMadRowMatchWideReference) {
  std::mt19937_64 rng(0xcafe);
  for (int iter = 0; iter < 20000; ++iter) {
    uint32_t a[8], b[8], r[8];
    fill(rng, a, 8);
    fill(rng, b, 8);
    // add8: reference in 64-bit halves via u128 per 64-bit pair.
    u128 carry = 0;
    uint32_t want[8];
    for (int i = 0; i < 8; i += 2) {
      const u128 x = (u128(a[i + 1]) << 32 | a[i]) + (u128(b[i + 1]) << 32 | b[i]) + carry;
      want[i] = uint32_t(x);
      want[i + 1] = uint32_t(x >> 32);
      carry = x >> 64;
    }
    ASSERT_EQ(add8(r, a, b), uint32_t(carry));
    for (int i = 0; i < 8; ++i) ASSERT_EQ(r[i], want[i]) << i;
    // sub8: a - b = a + ~b + 1; borrow = 1 - carry.
    u128 c2 = 1;
    for (int i = 0; i < 8; i += 2) {
      const u128 x = (u128(a[i + 1]) << 32 | a[i]) + (u128(~b[i + 1]) << 32 | uint32_t(~b[i])) + c2;
      want[i] = uint32_t(x);
      want[i + 1] = uint32_t(x >> 32);
      c2 = x >> 64;
    }
    ASSERT_EQ(sub8(r, a, b), uint32_t(1 - c2));
    for (int i = 0; i < 8; ++i) ASSERT_EQ(r[i], want[i]) << i;
    // mad_row8 on t < 2^289 (so t + a*b < 2^320).
    uint32_t t[10], tw[10];
    fill(rng, t, 9);
    t[9] = 0;
    t[8] &= 1;
    const uint32_t m = uint32_t(rng());
    for (int i = 0; i < 10; ++i) tw[i] = t[i];
    // Reference: add a[i]*m at word i with u128 and a full ripple.
    for (int i = 0; i < 8; ++i) {
      u128 x = u128(uint64_t(a[i]) * m);
      for (int j = i; j < 10 && x; ++j) {
        x += tw[j];
        tw[j] = uint32_t(x);
        x >>= 32;
      }
    }
    mad_row8(t, a, m);
    for (int i = 0; i < 10; ++i) ASSERT_EQ(t[i], tw[i]) << i;
  }
}

// The single-instruction primitives.
std::vector<uint32_t> words(std::mt19937_64& rng) {
  std::vector<uint32_t> v = {0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 977};
  for (int i = 0; i < 24; ++i) v.push_back(uint32_t(rng()));
  return v;
}

TEST(Carry, EachPrimitiveMatchesItsDefinition) {
  std::mt19937_64 rng(13);
  const std::vector<uint32_t> w = words(rng);
  for (uint32_t a : w)
    for (uint32_t b : w)
      for (uint32_t cin : {0u, 1u}) {
        const uint32_t c3 = uint32_t(rng());
        Carry c;
        // add_cc / addc_cc / addc
        EXPECT_EQ(add_cc(a, b, c), uint32_t(uint64_t(a) + b));
        EXPECT_EQ(c.cf, uint32_t((uint64_t(a) + b) >> 32));
        c.cf = cin;
        EXPECT_EQ(addc_cc(a, b, c), uint32_t(uint64_t(a) + b + cin));
        EXPECT_EQ(c.cf, uint32_t((uint64_t(a) + b + cin) >> 32));
        c.cf = cin;
        EXPECT_EQ(addc(a, b, c), uint32_t(uint64_t(a) + b + cin));
        // sub_cc / subc_cc / subc: the flag is the borrow.
        EXPECT_EQ(sub_cc(a, b, c), a - b);
        EXPECT_EQ(c.cf, a < b ? 1u : 0u);
        c.cf = cin;
        EXPECT_EQ(subc_cc(a, b, c), a - b - cin);
        EXPECT_EQ(c.cf, uint64_t(a) < uint64_t(b) + cin ? 1u : 0u);
        c.cf = cin;
        EXPECT_EQ(subc(a, b, c), a - b - cin);
        // multiply-adds
        const uint64_t p = uint64_t(a) * b;
        const uint64_t lo = uint32_t(p), hi = p >> 32;
        EXPECT_EQ(mad_lo_cc(a, b, c3, c), uint32_t(lo + c3));
        EXPECT_EQ(c.cf, uint32_t((lo + c3) >> 32));
        c.cf = cin;
        EXPECT_EQ(madc_lo_cc(a, b, c3, c), uint32_t(lo + c3 + cin));
        EXPECT_EQ(c.cf, uint32_t((lo + c3 + cin) >> 32));
        EXPECT_EQ(mad_hi_cc(a, b, c3, c), uint32_t(hi + c3));
        EXPECT_EQ(c.cf, uint32_t((hi + c3) >> 32));
        c.cf = cin;
        EXPECT_EQ(madc_hi_cc(a, b, c3, c), uint32_t(hi + c3 + cin));
        EXPECT_EQ(c.cf, uint32_t((hi + c3 + cin) >> 32));
        c.cf = cin;
        EXPECT_EQ(madc_hi(a, b, c3, c), uint32_t(hi + c3 + cin));
      }
  EXPECT_EQ(mask_from_bit(1), 0xffffffffu);
  EXPECT_EQ(mask_from_bit(0), 0u);
  EXPECT_EQ(select_word(0xffffffffu, 5, 7), 5u);
  EXPECT_EQ(select_word(0, 5, 7), 7u);
}

// 4-word (128-bit) chains against u128, on values that exercise long carries.
u128 join(const uint32_t* w) {
  return (u128(w[3]) << 96) | (u128(w[2]) << 64) | (u128(w[1]) << 32) | w[0];
}
void split(u128 v, uint32_t* w) {
  for (int i = 0; i < 4; ++i) w[i] = uint32_t(v >> (32 * i));
}

TEST(Carry, ChainsMatch128BitArithmetic) {
  std::mt19937_64 rng(14);
  std::vector<u128> vals = {0, 1, ~u128(0), ~u128(0) >> 1, u128(1) << 127, (u128(1) << 96) - 1, u128(0xffffffff)};
  for (int i = 0; i < 200; ++i) vals.push_back((u128(rng()) << 64) | rng());
  for (size_t i = 0; i < vals.size(); ++i) {
    const u128 x = vals[i], y = vals[(i * 13 + 5) % vals.size()];
    uint32_t a[4], b[4], r[4];
    split(x, a);
    split(y, b);
    Carry c;
    r[0] = add_cc(a[0], b[0], c);
    for (int j = 1; j < 4; ++j) r[j] = addc_cc(a[j], b[j], c);
    const uint32_t carry_out = addc(0, 0, c);
    EXPECT_EQ(join(r), x + y);
    EXPECT_EQ(carry_out, x + y < x ? 1u : 0u);

    r[0] = sub_cc(a[0], b[0], c);
    for (int j = 1; j < 4; ++j) r[j] = subc_cc(a[j], b[j], c);
    const uint32_t borrow_mask = subc(0, 0, c);  // 0 - 0 - borrow
    EXPECT_EQ(join(r), x - y);
    EXPECT_EQ(borrow_mask, x < y ? 0xffffffffu : 0u);

    // t = x + a_word * y (a 4x1 product row: lo halves, then hi halves).
    const uint32_t m = uint32_t(rng());
    uint32_t t[6] = {a[0], a[1], a[2], a[3], 0, 0};
    t[0] = mad_lo_cc(b[0], m, t[0], c);
    for (int j = 1; j < 4; ++j) t[j] = madc_lo_cc(b[j], m, t[j], c);
    t[4] = addc(0, 0, c);
    t[1] = mad_hi_cc(b[0], m, t[1], c);
    for (int j = 1; j < 3; ++j) t[j + 1] = madc_hi_cc(b[j], m, t[j + 1], c);
    t[4] = madc_hi(b[3], m, t[4], c);
    // x + m*y < 2^160: compare low 128 bits and the top word.
    const u128 lo_y = y * m;  // mod 2^128
    EXPECT_EQ(join(t), x + lo_y);
    const u128 m64 = 0xffffffffffffffffu;
    const u128 ym_lo = (y & m64) * m;                 // < 2^96
    const u128 ym_hi = (y >> 64) * m + (ym_lo >> 64);  // floor(y m / 2^64)
    const u128 low_carry = ((x & m64) + (ym_lo & m64)) >> 64;
    const uint32_t top = uint32_t(((x >> 64) + ym_hi + low_carry) >> 64);
    EXPECT_EQ(t[4], top);
  }
}

}  // namespace
}  // namespace bg::k::carry
