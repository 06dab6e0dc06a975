// kernels/carry.h's portable (host) versions against an independent
// reference: 256-bit arithmetic on four unsigned __int128 halves-of-words.
// The device versions are compared with these by gpu_check's
// `carry-primitives` check on the GPU machine.
#include "kernels/carry.h"

#include <gtest/gtest.h>

#include <random>

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

}  // namespace
}  // namespace bg::k::carry
