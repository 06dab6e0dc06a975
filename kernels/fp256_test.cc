// The promise kernels/fp256.h (and kernels/fp8x32.h, the v2 limbs) make to
// their callers: every field operation
// returns a fully reduced value (< m), and a + (-a) is zero, on both ECDSA
// curves' base fields and group orders, for edge values (0, 1, m-1, (m+1)/2,
// the stored forms of 1 and R, values next to m) and random ones with their
// complements m - r. A result equal to m would still compare right after
// fp_from_mont on the Montgomery fields, so these checks look at the raw
// stored value.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/fp256.h"
#include "kernels/fp8x32.h"
#include "kernels/p256_params.h"
#include "kernels/secp256k1_params.h"

namespace bg::k {
namespace {

std::string hex(const U256& a) {
  char out[65];
  for (int i = 0; i < 4; ++i) snprintf(out + 16 * i, 17, "%016llx", (unsigned long long)a.w[3 - i]);
  return out;
}

U256 minus(const U256& a, const U256& b) {
  U256 r;
  u256_sub(&r, a, b);
  return r;
}

U256 small(uint64_t v) { return U256{{v, 0, 0, 0}}; }

// Valid elements (< m): edges, then random values and their negations.
template <class P>
std::vector<Fp<P>> elements(uint64_t seed) {
  const U256 m = fp_modulus<P>();
  const uint64_t ones = ~uint64_t(0);
  std::vector<U256> raw = {small(0),
                           small(1),
                           small(2),
                           minus(m, small(1)),
                           minus(m, small(2)),
                           u256_shr1(m),                         // (m-1)/2
                           minus(m, u256_shr1(m)),               // (m+1)/2
                           fp_one<P>().v,                        // stored form of 1
                           U256{{P::kR2_0, P::kR2_1, P::kR2_2, P::kR2_3}},
                           minus(U256{{0, 0, 0, 0}}, m),         // 2^256 - m
                           U256{{ones, 0, ones, 0}},
                           U256{{0, 0, 0, uint64_t(1) << 63}}};
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 48; ++i) {
    const U256 r{{rng(), rng(), rng(), rng()}};
    raw.push_back(r);
    raw.push_back(minus(m, r));  // m - r (mod 2^256); reduced below
  }
  std::vector<Fp<P>> out;
  for (U256 v : raw) {
    while (!u256_lt(v, m)) v = minus(v, m);
    out.push_back(Fp<P>{v});
  }
  return out;
}

template <class P>
class Fp256Reduced : public ::testing::Test {};

using FieldParams =
    ::testing::Types<Secp256k1FieldParams, Secp256k1ScalarParams, P256FieldParams, P256ScalarParams>;
TYPED_TEST_SUITE(Fp256Reduced, FieldParams);

TYPED_TEST(Fp256Reduced, AddOfNegationIsZero) {
  using P = TypeParam;
  for (const Fp<P>& a : elements<P>(1)) {
    EXPECT_TRUE(fp_is_zero(fp_add(a, fp_neg(a)))) << hex(a.v) << " + -a = " << hex(fp_add(a, fp_neg(a)).v);
    EXPECT_TRUE(fp_is_zero(fp_add(fp_neg(a), a))) << hex(a.v);
    EXPECT_TRUE(fp_is_zero(fp_sub(a, a))) << hex(a.v);
    EXPECT_TRUE(fp_eq(fp_neg(fp_neg(a)), a)) << hex(a.v);
  }
}

TYPED_TEST(Fp256Reduced, EveryRawResultIsFullyReduced) {
  using P = TypeParam;
  const U256 m = fp_modulus<P>();
  const std::vector<Fp<P>> xs = elements<P>(2);
  auto expect_reduced = [&](const Fp<P>& r, const char* op, const Fp<P>& a, const Fp<P>& b) {
    EXPECT_TRUE(u256_lt(r.v, m)) << op << "(" << hex(a.v) << ", " << hex(b.v) << ") = " << hex(r.v);
  };
  for (const Fp<P>& a : xs) {
    for (const Fp<P>& b : xs) {
      expect_reduced(fp_add(a, b), "add", a, b);
      expect_reduced(fp_sub(a, b), "sub", a, b);
      expect_reduced(fp_mul(a, b), "mul", a, b);
      // fp_mul also takes any 256-bit plain value as its first operand.
      expect_reduced(fp_mul(Fp<P>{minus(m, b.v)}, b), "mul(plain)", Fp<P>{minus(m, b.v)}, b);
    }
    expect_reduced(fp_sqr(a), "sqr", a, a);
    expect_reduced(fp_neg(a), "neg", a, a);
    EXPECT_TRUE(u256_lt(fp_from_mont(a), m)) << "from_mont " << hex(a.v);
    // to_mont reduces any 256-bit integer, m and above included.
    U256 above;
    u256_add(&above, a.v, m);  // a + m (mod 2^256)
    expect_reduced(fp_to_mont<P>(a.v), "to_mont", a, a);
    expect_reduced(fp_to_mont<P>(above), "to_mont(a+m)", a, a);
  }
  for (size_t i = 0; i < xs.size(); i += 9) {
    expect_reduced(fp_inv_var(xs[i]), "inv", xs[i], xs[i]);
    expect_reduced(fp_pow_var(xs[i], minus(m, small(1))), "pow", xs[i], xs[i]);
    if constexpr ((P::kM0 & 3) == 3) {
      Fp<P> root;
      fp_sqrt_var(fp_sqr(xs[i]), &root);
      expect_reduced(root, "sqrt", xs[i], xs[i]);
    }
  }
}

// The same promise for the v2 field layer (eight 32-bit limbs), on the same
// elements: a stored value means the same number in v1 and v2.
template <class P>
class Fp8x32Reduced : public ::testing::Test {};
TYPED_TEST_SUITE(Fp8x32Reduced, FieldParams);

template <class P>
std::vector<v2::Fe<P>> v2_elements(uint64_t seed) {
  std::vector<v2::Fe<P>> out;
  for (const Fp<P>& a : elements<P>(seed)) out.push_back(v2::fe_from_u64<P>(a.v.w[0], a.v.w[1], a.v.w[2], a.v.w[3]));
  return out;
}

template <class P>
bool v2_reduced(const v2::Fe<P>& a) {
  v2::U8x32 x;
  for (int i = 0; i < 8; ++i) x.w[i] = a.v[i];
  return v2::u8x32_lt(x, v2::fe_modulus<P>());
}

template <class P>
std::string v2_hex(const v2::Fe<P>& a) {
  char out[65];
  for (int i = 0; i < 8; ++i) snprintf(out + 8 * i, 9, "%08x", a.v[7 - i]);
  return out;
}

TYPED_TEST(Fp8x32Reduced, AddOfNegationIsZero) {
  using P = TypeParam;
  for (const v2::Fe<P>& a : v2_elements<P>(3)) {
    EXPECT_TRUE(v2::fe_is_zero(v2::fe_add(a, v2::fe_neg(a)))) << v2_hex(a) << " + -a = " << v2_hex(v2::fe_add(a, v2::fe_neg(a)));
    EXPECT_TRUE(v2::fe_is_zero(v2::fe_sub(a, a))) << v2_hex(a);
    EXPECT_TRUE(v2::fe_eq(v2::fe_neg(v2::fe_neg(a)), a)) << v2_hex(a);
  }
}

TYPED_TEST(Fp8x32Reduced, EveryRawResultIsFullyReduced) {
  using P = TypeParam;
  const std::vector<v2::Fe<P>> xs = v2_elements<P>(4);
  for (const v2::Fe<P>& a : xs) {
    for (const v2::Fe<P>& b : xs) {
      EXPECT_TRUE(v2_reduced(v2::fe_add(a, b))) << "add " << v2_hex(a) << " " << v2_hex(b);
      EXPECT_TRUE(v2_reduced(v2::fe_sub(a, b))) << "sub " << v2_hex(a) << " " << v2_hex(b);
      EXPECT_TRUE(v2_reduced(v2::fe_mul(a, b))) << "mul " << v2_hex(a) << " " << v2_hex(b);
    }
    EXPECT_TRUE(v2_reduced(v2::fe_sqr(a))) << "sqr " << v2_hex(a);
    EXPECT_TRUE(v2_reduced(v2::fe_neg(a))) << "neg " << v2_hex(a);
  }
}

}  // namespace
}  // namespace bg::k
