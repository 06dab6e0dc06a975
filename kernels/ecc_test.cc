// Field, scalar and point arithmetic of kernels/fp256.h and kernels/ecc.h (v1)
// and the fields of kernels/fp8x32.h (v2) on both ECDSA curves against OpenSSL
// BN_* / EC_POINT_* and libsecp256k1, on random (fixed seed) and edge values.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <secp256k1.h>

#include <memory>
#include <random>
#include <vector>

#include "kernels/ecdsa_verify.h"
#include "kernels/fp8x32.h"

namespace bg::k {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn to_bn(const U256& a) {
  uint8_t b[32];
  u256_to_be(a, b);
  return Bn(BN_bin2bn(b, 32, nullptr));
}

U256 from_bn(const BIGNUM* b) {
  uint8_t buf[32];
  EXPECT_EQ(BN_bn2binpad(b, buf, 32), 32);
  return u256_from_be(buf);
}

std::string hex(const U256& a) {
  char out[65];
  for (int i = 0; i < 4; ++i) snprintf(out + 16 * i, 17, "%016llx", (unsigned long long)a.w[3 - i]);
  return out;
}

U256 random_u256(std::mt19937_64& rng) { return U256{{rng(), rng(), rng(), rng()}}; }

U256 add_small(const U256& a, int64_t d) {
  U256 r;
  if (d >= 0) u256_add(&r, a, U256{{uint64_t(d), 0, 0, 0}});
  else u256_sub(&r, a, U256{{uint64_t(-d), 0, 0, 0}});
  return r;
}

// Edge values around a modulus m: 0, 1, 2, m-2, m-1, m, m+1, 2^256-1, and
// values that fill limbs with 0 or all-ones.
std::vector<U256> edge_values(const U256& m) {
  const uint64_t ones = ~uint64_t(0);
  return {U256{{0, 0, 0, 0}}, U256{{1, 0, 0, 0}}, U256{{2, 0, 0, 0}}, add_small(m, -2), add_small(m, -1),
          m, add_small(m, 1), U256{{ones, ones, ones, ones}}, U256{{0, 0, 0, uint64_t(1) << 63}},
          U256{{ones, 0, ones, 0}}, U256{{0, ones, 0, ones >> 1}}, U256{{ones, ones, 0, 0}}};
}

// The field operations of one variant behind one interface, so check_field
// runs unchanged on v1 (kernels/fp256.h) and v2 (kernels/fp8x32.h).
template <class P>
struct V1Ops {
  using Params = P;
  using Fe = Fp<P>;
  static Fe to_mont(const U256& a) { return fp_to_mont<P>(a); }
  static U256 from_mont(const Fe& a) { return fp_from_mont(a); }
  static Fe add(const Fe& a, const Fe& b) { return fp_add(a, b); }
  static Fe sub(const Fe& a, const Fe& b) { return fp_sub(a, b); }
  static Fe mul(const Fe& a, const Fe& b) { return fp_mul(a, b); }
  static Fe neg(const Fe& a) { return fp_neg(a); }
  static Fe sqr(const Fe& a) { return fp_sqr(a); }
  static Fe inv(const Fe& a) { return fp_inv_var(a); }
  static bool sqrt(const Fe& a, Fe* r) { return fp_sqrt_var(a, r); }
  static bool eq(const Fe& a, const Fe& b) { return fp_eq(a, b); }
  static bool is_zero(const Fe& a) { return fp_is_zero(a); }
  // plain a (any 256 bits) times stored b: the plain product mod m.
  static U256 plain_mul(const U256& a, const Fe& b) { return fp_mul(Fp<P>{a}, b).v; }
};

template <class P>
struct V2Ops {
  using Params = P;
  using Fe = v2::Fe<P>;
  static v2::U8x32 narrow(const U256& a) { return v2::u8x32_from_u64(a.w); }
  static U256 widen(const v2::U8x32& a) {
    U256 r;
    for (int i = 0; i < 4; ++i) r.w[i] = a.w[2 * i] | (uint64_t(a.w[2 * i + 1]) << 32);
    return r;
  }
  static U256 stored(const Fe& a) {
    v2::U8x32 x;
    for (int i = 0; i < 8; ++i) x.w[i] = a.v[i];
    return widen(x);
  }
  static Fe to_mont(const U256& a) { return v2::fe_to_mont<P>(narrow(a)); }
  static U256 from_mont(const Fe& a) { return widen(v2::fe_from_mont(a)); }
  static Fe add(const Fe& a, const Fe& b) { return v2::fe_add(a, b); }
  static Fe sub(const Fe& a, const Fe& b) { return v2::fe_sub(a, b); }
  static Fe mul(const Fe& a, const Fe& b) { return v2::fe_mul(a, b); }
  static Fe neg(const Fe& a) { return v2::fe_neg(a); }
  static Fe sqr(const Fe& a) { return v2::fe_sqr(a); }
  static Fe inv(const Fe& a) { return v2::fe_inv(a); }
  static bool sqrt(const Fe& a, Fe* r) { return v2::fe_sqrt(a, r); }
  static bool eq(const Fe& a, const Fe& b) { return v2::fe_eq(a, b); }
  static bool is_zero(const Fe& a) { return v2::fe_is_zero(a); }
  static U256 plain_mul(const U256& a, const Fe& b) {
    const v2::U8x32 x = narrow(a);
    Fe fa;
    for (int i = 0; i < 8; ++i) fa.v[i] = x.w[i];
    return stored(v2::fe_mul(fa, b));
  }
};

template <class Ops>
void check_field(uint64_t seed) {
  using P = typename Ops::Params;
  using F = typename Ops::Fe;
  const U256 m = fp_modulus<P>();
  Bn bm = to_bn(m);
  BN_CTX* ctx = BN_CTX_new();
  std::mt19937_64 rng(seed);
  std::vector<U256> values = edge_values(m);
  for (int i = 0; i < 300; ++i) values.push_back(random_u256(rng));
  // Bias a few toward the top of the range, where reduction bugs live.
  for (int i = 0; i < 50; ++i) values.push_back(add_small(m, -int64_t(rng() % 1000000)));
  Bn t(BN_new()), ba_red(BN_new()), bb_red(BN_new());

  for (size_t i = 0; i < values.size(); ++i) {
    const U256& a = values[i];
    const U256& b = values[(i * 7 + 3) % values.size()];
    Bn ba = to_bn(a), bb = to_bn(b);
    BN_nnmod(ba_red.get(), ba.get(), bm.get(), ctx);
    BN_nnmod(bb_red.get(), bb.get(), bm.get(), ctx);
    // to_mont reduces any 256-bit input; from_mont gives it back reduced.
    const F fa = Ops::to_mont(a), fb = Ops::to_mont(b);
    ASSERT_EQ(hex(Ops::from_mont(fa)), hex(from_bn(ba_red.get()))) << hex(a);

    BN_mod_add(t.get(), ba_red.get(), bb_red.get(), bm.get(), ctx);
    EXPECT_EQ(hex(Ops::from_mont(Ops::add(fa, fb))), hex(from_bn(t.get()))) << "add " << hex(a) << " " << hex(b);
    BN_mod_sub(t.get(), ba_red.get(), bb_red.get(), bm.get(), ctx);
    EXPECT_EQ(hex(Ops::from_mont(Ops::sub(fa, fb))), hex(from_bn(t.get()))) << "sub " << hex(a) << " " << hex(b);
    BN_mod_sub(t.get(), BN_value_one(), BN_value_one(), bm.get(), ctx);
    BN_mod_sub(t.get(), t.get(), ba_red.get(), bm.get(), ctx);
    EXPECT_EQ(hex(Ops::from_mont(Ops::neg(fa))), hex(from_bn(t.get()))) << "neg " << hex(a);
    BN_mod_mul(t.get(), ba_red.get(), bb_red.get(), bm.get(), ctx);
    EXPECT_EQ(hex(Ops::from_mont(Ops::mul(fa, fb))), hex(from_bn(t.get()))) << "mul " << hex(a) << " " << hex(b);
    BN_mod_sqr(t.get(), ba_red.get(), bm.get(), ctx);
    EXPECT_EQ(hex(Ops::from_mont(Ops::sqr(fa))), hex(from_bn(t.get()))) << "sqr " << hex(a);
    // A plain value times a Montgomery value is the plain product (used for
    // u1 = e/s, u2 = r/s), for any 256-bit plain input.
    BN_mod_mul(t.get(), ba.get(), bb_red.get(), bm.get(), ctx);
    EXPECT_EQ(hex(Ops::plain_mul(a, fb)), hex(from_bn(t.get()))) << "plain*mont " << hex(a);

    if (!BN_is_zero(ba_red.get())) {
      ASSERT_NE(BN_mod_inverse(t.get(), ba_red.get(), bm.get(), ctx), nullptr);
      EXPECT_EQ(hex(Ops::from_mont(Ops::inv(fa))), hex(from_bn(t.get()))) << "inv " << hex(a);
    } else {
      EXPECT_TRUE(Ops::is_zero(Ops::inv(fa)));
    }
    if constexpr ((P::kM0 & 3) == 3) {  // sqrt exists for the base fields only
      // sqrt: of a square it must succeed (root squared equals it); of a value
      // BN_mod_sqrt calls a non-residue it must fail.
      F root;
      EXPECT_TRUE(Ops::sqrt(Ops::sqr(fa), &root));
      EXPECT_TRUE(Ops::eq(Ops::sqr(root), Ops::sqr(fa)));
      const bool is_square = BN_mod_sqrt(t.get(), ba_red.get(), bm.get(), ctx) != nullptr;
      EXPECT_EQ(Ops::sqrt(fa, &root), is_square) << "sqrt " << hex(a);
      if (is_square) {
        EXPECT_TRUE(Ops::eq(Ops::sqr(root), fa));
      }
    }
    // Byte round trip and comparison helpers.
    uint8_t buf[32];
    u256_to_be(a, buf);
    EXPECT_TRUE(u256_eq(u256_from_be(buf), a));
    EXPECT_EQ(u256_lt(a, b), BN_cmp(ba.get(), bb.get()) < 0);
  }
  // Every pair of edge values (reduction corners: (m-1)^2, (2^256-1) * (m-1)).
  const std::vector<U256> edges = edge_values(m);
  for (const U256& a : edges) {
    for (const U256& b : edges) {
      Bn ba = to_bn(a), bb = to_bn(b);
      BN_nnmod(bb_red.get(), bb.get(), bm.get(), ctx);
      BN_mod_mul(t.get(), ba.get(), bb_red.get(), bm.get(), ctx);
      const F fb = Ops::to_mont(b);
      EXPECT_EQ(hex(Ops::from_mont(Ops::mul(Ops::to_mont(a), fb))), hex(from_bn(t.get()))) << hex(a) << " " << hex(b);
      EXPECT_EQ(hex(Ops::plain_mul(a, fb)), hex(from_bn(t.get()))) << "plain*mont " << hex(a) << " " << hex(b);
    }
  }
  BN_CTX_free(ctx);
}

TEST(Fp256, Secp256k1Field) { check_field<V1Ops<Secp256k1FieldParams>>(1); }
TEST(Fp256, Secp256k1Order) { check_field<V1Ops<Secp256k1ScalarParams>>(2); }
TEST(Fp256, P256Field) { check_field<V1Ops<P256FieldParams>>(3); }
TEST(Fp256, P256Order) { check_field<V1Ops<P256ScalarParams>>(4); }
// The same checks on the v2 fields (8x32-bit limbs, carry chains).
TEST(Fp8x32, Secp256k1Field) { check_field<V2Ops<Secp256k1FieldParams>>(1); }
TEST(Fp8x32, Secp256k1Order) { check_field<V2Ops<Secp256k1ScalarParams>>(2); }
TEST(Fp8x32, P256Field) { check_field<V2Ops<P256FieldParams>>(3); }
TEST(Fp8x32, P256Order) { check_field<V2Ops<P256ScalarParams>>(4); }

// v1 and v2 share the stored form (R = 2^256), so their products agree bit
// for bit on every stored value, reduced or not on the left (plain * stored).
template <class P>
void check_v1_equals_v2(uint64_t seed) {
  std::mt19937_64 rng(seed);
  const U256 m = fp_modulus<P>();
  for (int i = 0; i < 2000; ++i) {
    U256 a = random_u256(rng), b = random_u256(rng);
    if (i % 4 == 0) a = add_small(m, -int64_t(1 + rng() % 5000));
    if (i % 5 == 0) b = add_small(m, -int64_t(1 + rng() % 5000));
    const Fp<P> fa = fp_to_mont<P>(a), fb = fp_to_mont<P>(b);
    const auto ga = V2Ops<P>::to_mont(a), gb = V2Ops<P>::to_mont(b);
    ASSERT_EQ(hex(fa.v), hex(V2Ops<P>::stored(ga)));
    ASSERT_EQ(hex(fp_mul(fa, fb).v), hex(V2Ops<P>::stored(v2::fe_mul(ga, gb))));
    ASSERT_EQ(hex(fp_sqr(fa).v), hex(V2Ops<P>::stored(v2::fe_sqr(ga))));
    ASSERT_EQ(hex(fp_add(fa, fb).v), hex(V2Ops<P>::stored(v2::fe_add(ga, gb))));
    ASSERT_EQ(hex(fp_sub(fa, fb).v), hex(V2Ops<P>::stored(v2::fe_sub(ga, gb))));
  }
}
TEST(Fp8x32, EqualsV1Secp256k1Field) { check_v1_equals_v2<Secp256k1FieldParams>(11); }
TEST(Fp8x32, EqualsV1Secp256k1Order) { check_v1_equals_v2<Secp256k1ScalarParams>(12); }
TEST(Fp8x32, EqualsV1P256Field) { check_v1_equals_v2<P256FieldParams>(13); }
TEST(Fp8x32, EqualsV1P256Order) { check_v1_equals_v2<P256ScalarParams>(14); }

TEST(U256, Bits) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100; ++i) {
    const U256 a = random_u256(rng);
    for (int pos = 0; pos < 256; pos += 1 + int(rng() % 9)) {
      const int width = 1 + int(rng() % 8);
      uint32_t want = 0;
      for (int b = 0; b < width; ++b)
        if (pos + b < 256 && u256_bit(a, pos + b)) want |= 1u << b;
      ASSERT_EQ(u256_bits(a, pos, width), want) << pos << " " << width;
    }
  }
}

template <class C>
struct CurveCase {
  int nid;
};

template <class C>
EC_GROUP* group_of() {
  return EC_GROUP_new_by_curve_name(std::is_same_v<C, Secp256k1> ? NID_secp256k1 : NID_X9_62_prime256v1);
}

// Affine coordinates of an OpenSSL point (false at infinity).
bool ossl_affine(const EC_GROUP* g, const EC_POINT* p, U256* x, U256* y, BN_CTX* ctx) {
  if (EC_POINT_is_at_infinity(g, p)) return false;
  Bn bx(BN_new()), by(BN_new());
  EXPECT_EQ(EC_POINT_get_affine_coordinates(g, p, bx.get(), by.get(), ctx), 1);
  *x = from_bn(bx.get());
  *y = from_bn(by.get());
  return true;
}

template <class C>
AffinePoint<C> generator() {
  return AffinePoint<C>{{{{C::Consts::kGx0, C::Consts::kGx1, C::Consts::kGx2, C::Consts::kGx3}}},
                        {{{C::Consts::kGy0, C::Consts::kGy1, C::Consts::kGy2, C::Consts::kGy3}}}};
}

template <class C>
void check_scalar_mul(uint64_t seed) {
  EC_GROUP* g = group_of<C>();
  BN_CTX* ctx = BN_CTX_new();
  const U256 n = fp_modulus<typename C::Scalar>();
  std::mt19937_64 rng(seed);
  std::vector<U256> ks = edge_values(n);
  for (int i = 0; i < 60; ++i) ks.push_back(random_u256(rng));
  for (int i = 0; i < 10; ++i) ks.push_back(U256{{rng() % 1000, 0, 0, 0}});
  // Around n/2, lambda-related and 2^128-ish values: the GLV split's corners.
  const U256 half = u256_shr1(n);
  for (int d = -2; d <= 2; ++d) ks.push_back(add_small(half, d));
  for (int i = 0; i < 10; ++i) ks.push_back(U256{{rng(), rng(), rng() % 4, 0}});
  for (int i = 0; i < 10; ++i) ks.push_back(U256{{rng(), rng(), ~uint64_t(0), ~uint64_t(0) - 1}});
  EC_POINT* want = EC_POINT_new(g);
  EC_POINT* q = EC_POINT_new(g);
  Bn bn_n = to_bn(n);
  for (size_t i = 0; i < ks.size(); ++i) {
    const U256& k = ks[i];
    Bn bk = to_bn(k);
    BN_nnmod(bk.get(), bk.get(), bn_n.get(), ctx);  // OpenSSL wants k in [0, n)
    ASSERT_EQ(EC_POINT_mul(g, want, bk.get(), nullptr, nullptr, ctx), 1);
    U256 wx{}, wy{}, x{}, y{};
    const bool want_finite = ossl_affine(g, want, &wx, &wy, ctx);
    // Fixed-base table path.
    const JacobianPoint<C> a = ec_add_mul_g_var(ec_infinity<C>(), k);
    ASSERT_EQ(ec_to_affine_var(a, &x, &y), want_finite) << hex(k);
    if (want_finite) {
      EXPECT_EQ(hex(x), hex(wx)) << "comb " << hex(k);
      EXPECT_EQ(hex(y), hex(wy)) << "comb " << hex(k);
    }
    // Variable-base wNAF path on G.
    const JacobianPoint<C> b = ec_mul_var(ec_from_affine(generator<C>()), k);
    ASSERT_EQ(ec_to_affine_var(b, &x, &y), want_finite) << hex(k);
    if (want_finite) {
      EXPECT_EQ(hex(x), hex(wx)) << "wnaf " << hex(k);
      EXPECT_EQ(hex(y), hex(wy)) << "wnaf " << hex(k);
    }
    // GLV path (secp256k1), which needs k < n.
    if constexpr (C::Consts::kHasGlv) {
      if (u256_lt(k, n)) {
        const JacobianPoint<C> g = ec_mul_glv_var(ec_from_affine(generator<C>()), k);
        ASSERT_EQ(ec_to_affine_var(g, &x, &y), want_finite) << hex(k);
        if (want_finite) {
          EXPECT_EQ(hex(x), hex(wx)) << "glv " << hex(k);
          EXPECT_EQ(hex(y), hex(wy)) << "glv " << hex(k);
        }
      }
    }
    // Double-scalar u2*Q + u1*G as verification runs it, Q = (k+5) G, u1 = k,
    // u2 = ks[i+1], including the cancelling case u2*Q = -u1*G.
    const U256 u1 = k;
    U256 u2 = ks[(i + 1) % ks.size()];
    if (i % 10 == 3) {  // u2 (k+5) = -k mod n: u2 = -k / (k+5)
      Bn t(BN_new()), k5(BN_new());
      BN_add(k5.get(), bk.get(), BN_value_one());
      BN_add_word(k5.get(), 4);
      BN_nnmod(k5.get(), k5.get(), bn_n.get(), ctx);
      if (!BN_is_zero(k5.get())) {
        BN_mod_inverse(t.get(), k5.get(), bn_n.get(), ctx);
        BN_mod_mul(t.get(), t.get(), bk.get(), bn_n.get(), ctx);
        BN_mod_sub(t.get(), bn_n.get(), t.get(), bn_n.get(), ctx);
        u2 = from_bn(t.get());
      }
    }
    Bn k5(BN_new());
    BN_copy(k5.get(), bk.get());
    BN_add_word(k5.get(), 5);
    ASSERT_EQ(EC_POINT_mul(g, q, k5.get(), nullptr, nullptr, ctx), 1);
    U256 qx, qy;
    if (!ossl_affine(g, q, &qx, &qy, ctx)) continue;
    AffinePoint<C> qa{fp_to_mont<typename C::Field>(qx), fp_to_mont<typename C::Field>(qy)};
    Bn bu2 = to_bn(u2);
    BN_nnmod(bu2.get(), bu2.get(), bn_n.get(), ctx);
    ASSERT_EQ(EC_POINT_mul(g, want, bk.get(), q, bu2.get(), ctx), 1);
    const bool finite2 = ossl_affine(g, want, &wx, &wy, ctx);
    JacobianPoint<C> c = ec_add_mul_g_var(ec_mul_var(ec_from_affine(qa), u2), u1);
    if constexpr (C::Consts::kHasGlv) {
      if (u256_lt(u2, n)) c = ec_add_mul_g_var(ec_mul_glv_var(ec_from_affine(qa), u2), u1);
    }
    ASSERT_EQ(ec_to_affine_var(c, &x, &y), finite2) << hex(k) << " " << hex(u2);
    if (finite2) {
      EXPECT_EQ(hex(x), hex(wx)) << "double " << hex(k) << " " << hex(u2);
      EXPECT_EQ(hex(y), hex(wy)) << "double " << hex(k) << " " << hex(u2);
    }
  }
  EC_POINT_free(q);
  EC_POINT_free(want);
  BN_CTX_free(ctx);
  EC_GROUP_free(g);
}

TEST(Ecc, Secp256k1ScalarMul) { check_scalar_mul<Secp256k1>(11); }
TEST(Ecc, P256ScalarMul) { check_scalar_mul<P256>(12); }

// Adding P to itself and to -P through the general add paths.
template <class C>
void check_add_special_cases() {
  const AffinePoint<C> g = generator<C>();
  const JacobianPoint<C> jg = ec_from_affine(g);
  const JacobianPoint<C> g2 = ec_double(jg);
  U256 x1, y1, x2, y2;
  ASSERT_TRUE(ec_to_affine_var(ec_add_var(jg, jg), &x1, &y1));
  ASSERT_TRUE(ec_to_affine_var(g2, &x2, &y2));
  EXPECT_TRUE(u256_eq(x1, x2) && u256_eq(y1, y2));
  ASSERT_TRUE(ec_to_affine_var(ec_add_mixed_var(jg, g), &x1, &y1));
  EXPECT_TRUE(u256_eq(x1, x2) && u256_eq(y1, y2));
  EXPECT_TRUE(ec_is_infinity(ec_add_var(jg, ec_negate(jg))));
  AffinePoint<C> neg_g{g.x, fp_neg(g.y)};
  EXPECT_TRUE(ec_is_infinity(ec_add_mixed_var(jg, neg_g)));
  EXPECT_TRUE(ec_is_infinity(ec_double(ec_infinity<C>())));
  ASSERT_TRUE(ec_to_affine_var(ec_add_var(ec_infinity<C>(), g2), &x1, &y1));
  EXPECT_TRUE(u256_eq(x1, x2) && u256_eq(y1, y2));
}

TEST(Ecc, Secp256k1AddSpecialCases) { check_add_special_cases<Secp256k1>(); }
TEST(Ecc, P256AddSpecialCases) { check_add_special_cases<P256>(); }

// Decompression against OpenSSL's EC_POINT_oct2point (both curves) and
// libsecp256k1's pubkey parser, on every prefix byte class and edge x.
template <class C>
void check_decompress(uint64_t seed) {
  EC_GROUP* g = group_of<C>();
  BN_CTX* ctx = BN_CTX_new();
  EC_POINT* pt = EC_POINT_new(g);
  secp256k1_context* sctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  const U256 p = fp_modulus<typename C::Field>();
  std::mt19937_64 rng(seed);
  std::vector<U256> xs = edge_values(p);
  for (int i = 0; i < 10; ++i) xs.push_back(add_small(p, int64_t(rng() % 1000)));  // x >= p
  for (int i = 0; i < 200; ++i) xs.push_back(random_u256(rng));
  for (int i = 0; i < 20; ++i) {  // x of real points
    U256 x, y;
    ec_to_affine_var(ec_add_mul_g_var(ec_infinity<C>(), random_u256(rng)), &x, &y);
    xs.push_back(x);
  }
  const uint8_t prefixes[] = {0x02, 0x03, 0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff, 0x12};
  int accepted = 0;
  for (const U256& x : xs) {
    for (uint8_t prefix : prefixes) {
      uint8_t in[33];
      in[0] = prefix;
      u256_to_be(x, in + 1);
      AffinePoint<C> a;
      const bool ok = ec_decompress_var<C>(in, &a);
      const bool want = EC_POINT_oct2point(g, pt, in, 33, ctx) == 1;
      ASSERT_EQ(ok, want) << int(prefix) << " " << hex(x);
      if (std::is_same_v<C, Secp256k1>) {
        secp256k1_pubkey pk;
        ASSERT_EQ(ok, secp256k1_ec_pubkey_parse(sctx, &pk, in, 33) == 1) << int(prefix) << " " << hex(x);
      }
      if (ok) {
        ++accepted;
        U256 wx, wy;
        ASSERT_TRUE(ossl_affine(g, pt, &wx, &wy, ctx));
        EXPECT_EQ(hex(fp_from_mont(a.x)), hex(wx));
        EXPECT_EQ(hex(fp_from_mont(a.y)), hex(wy));
      }
    }
  }
  EXPECT_GT(accepted, 100);  // the sample reaches the success path
  secp256k1_context_destroy(sctx);
  EC_POINT_free(pt);
  BN_CTX_free(ctx);
  EC_GROUP_free(g);
}

TEST(Ecc, Secp256k1Decompress) { check_decompress<Secp256k1>(21); }
TEST(Ecc, P256Decompress) { check_decompress<P256>(22); }

}  // namespace
}  // namespace bg::k
