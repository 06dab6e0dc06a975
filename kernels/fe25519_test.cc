// kernels/fe25519.h against OpenSSL BIGNUM arithmetic mod p = 2^255 - 19, on
// random values, edge values (0, 1, p-1, p, p+1, 2^255-1) and limbs at the
// edge of the documented "loose" bound.
#include "kernels/fe25519.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <array>
#include <memory>
#include <random>
#include <vector>

namespace bg::k {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct CtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};

class FeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_.reset(BN_CTX_new());
    p_ = bn_pow2(255);
    BN_sub_word(p_.get(), 19);
  }
  Bn bn() { return Bn(BN_new()); }
  Bn bn_pow2(int e) {
    Bn b = bn();
    BN_set_bit(b.get(), e);
    return b;
  }
  Bn bn_dec(const char* s) {
    BIGNUM* b = nullptr;
    BN_dec2bn(&b, s);
    return Bn(b);
  }
  // The exact integer the limbs stand for (signed), reduced mod p.
  Bn value(const Fe& f) {
    Bn acc = bn();
    for (int i = 9; i >= 0; --i) {
      const int shift = (i == 0) ? 0 : (26 * ((i + 1) / 2) + 25 * (i / 2));
      Bn limb = bn();
      BN_set_word(limb.get(), uint64_t(f.v[i] < 0 ? -int64_t(f.v[i]) : f.v[i]));
      if (f.v[i] < 0) BN_set_negative(limb.get(), 1);
      BN_lshift(limb.get(), limb.get(), shift);
      BN_add(acc.get(), acc.get(), limb.get());
    }
    BN_nnmod(acc.get(), acc.get(), p_.get(), ctx_.get());
    return acc;
  }
  Bn from_le(const uint8_t s[32]) { return Bn(BN_lebin2bn(s, 32, nullptr)); }
  std::array<uint8_t, 32> to_le(const BIGNUM* b) {
    std::array<uint8_t, 32> out{};
    BN_bn2lebinpad(b, out.data(), 32);
    return out;
  }
  Bn mod(Bn x) {
    BN_nnmod(x.get(), x.get(), p_.get(), ctx_.get());
    return x;
  }
  void expect_eq(const Fe& f, const BIGNUM* want, const char* what) {
    Bn got = value(f);
    EXPECT_EQ(BN_cmp(got.get(), want), 0) << what << ": got " << BN_bn2hex(got.get()) << " want " << BN_bn2hex(want);
    // fe_tobytes must give the canonical encoding.
    std::array<uint8_t, 32> s{};
    fe_tobytes(s.data(), f);
    EXPECT_EQ(s, to_le(want)) << what << " (tobytes)";
  }
  static void expect_tight(const Fe& f) {
    for (int i = 0; i < 10; ++i) {
      const int64_t bound = (i & 1) ? int64_t(1.01 * (1 << 24)) : int64_t(1.01 * (1 << 25));
      EXPECT_LE(f.v[i] < 0 ? -int64_t(f.v[i]) : int64_t(f.v[i]), bound) << "limb " << i;
    }
  }

  // Random 32-byte strings plus the edge encodings; bit 255 is ignored by
  // fe_frombytes, so some have it set.
  std::vector<std::array<uint8_t, 32>> inputs(size_t n_random) {
    std::vector<std::array<uint8_t, 32>> v;
    auto add_bn = [&](const BIGNUM* b) {
      std::array<uint8_t, 32> s{};
      BN_bn2lebinpad(b, s.data(), 32);
      v.push_back(s);
    };
    Bn x = bn();
    for (int w : {0, 1, 2, 19}) {
      BN_set_word(x.get(), w);
      add_bn(x.get());
    }
    for (int delta : {-2, -1, 0, 1, 2, 18}) {  // p-2 .. p+18 = 2^255 - 1
      BN_copy(x.get(), p_.get());
      if (delta < 0) BN_sub_word(x.get(), -delta); else BN_add_word(x.get(), delta);
      add_bn(x.get());
    }
    std::array<uint8_t, 32> all{};
    all.fill(0xff);
    v.push_back(all);  // 2^256 - 1: reads as 2^255 - 1
    for (int e : {25, 26, 51, 128, 254}) {
      Bn b = bn_pow2(e);
      add_bn(b.get());
      BN_sub_word(b.get(), 1);
      add_bn(b.get());
    }
    std::mt19937_64 rng(0xfe25519);
    for (size_t i = 0; i < n_random; ++i) {
      std::array<uint8_t, 32> s{};
      for (auto& c : s) c = uint8_t(rng());
      v.push_back(s);
    }
    return v;
  }

  std::unique_ptr<BN_CTX, CtxFree> ctx_;
  Bn p_;
};

TEST_F(FeTest, FrombytesTobytesIsReductionModP) {
  for (const auto& s : inputs(2000)) {
    std::array<uint8_t, 32> masked = s;
    masked[31] &= 0x7f;
    Bn want = mod(from_le(masked.data()));
    const Fe f = fe_frombytes(s.data());
    expect_eq(f, want.get(), "frombytes");
  }
}

TEST_F(FeTest, ConstantsMatchTheirDefinitions) {
  // d = -121665 / 121666.
  Bn d = value(fe_d()), t = bn(), want = bn();
  BN_set_word(t.get(), 121666);
  BN_mod_mul(t.get(), t.get(), d.get(), p_.get(), ctx_.get());
  BN_set_word(want.get(), 121665);
  BN_sub(want.get(), p_.get(), want.get());
  EXPECT_EQ(BN_cmp(t.get(), want.get()), 0);
  Bn d2 = value(fe_d2());
  BN_mod_add(t.get(), d.get(), d.get(), p_.get(), ctx_.get());
  EXPECT_EQ(BN_cmp(t.get(), d2.get()), 0);
  Bn i = value(fe_sqrtm1());
  BN_mod_sqr(t.get(), i.get(), p_.get(), ctx_.get());
  BN_sub(want.get(), p_.get(), BN_value_one());
  EXPECT_EQ(BN_cmp(t.get(), want.get()), 0);
}

TEST_F(FeTest, ArithmeticMatchesBignum) {
  const auto in = inputs(300);
  std::mt19937_64 rng(7);
  Bn want = bn(), t = bn();
  for (size_t n = 0; n < in.size() * 4; ++n) {
    const auto& sa = in[n % in.size()];
    const auto& sb = in[rng() % in.size()];
    const auto& sc = in[rng() % in.size()];
    const Fe a = fe_frombytes(sa.data()), b = fe_frombytes(sb.data()), c = fe_frombytes(sc.data());
    Bn va = value(a), vb = value(b), vc = value(c);

    BN_mod_add(want.get(), va.get(), vb.get(), p_.get(), ctx_.get());
    expect_eq(fe_add(a, b), want.get(), "add");
    BN_mod_sub(want.get(), va.get(), vb.get(), p_.get(), ctx_.get());
    expect_eq(fe_sub(a, b), want.get(), "sub");
    BN_mod_sub(want.get(), p_.get(), va.get(), p_.get(), ctx_.get());
    expect_eq(fe_neg(a), want.get(), "neg");

    const Fe ab = fe_mul(a, b);
    BN_mod_mul(want.get(), va.get(), vb.get(), p_.get(), ctx_.get());
    expect_eq(ab, want.get(), "mul");
    expect_tight(ab);
    BN_mod_sqr(want.get(), va.get(), p_.get(), ctx_.get());
    expect_eq(fe_sq(a), want.get(), "sq");
    expect_tight(fe_sq(a));
    BN_mod_add(want.get(), want.get(), want.get(), p_.get(), ctx_.get());
    expect_eq(fe_sq2(a), want.get(), "sq2");

    // Loose operands: sums/differences of three tight values, as the group
    // formulas produce them.
    const Fe bc = fe_mul(b, c);
    const Fe loose1 = fe_sub(fe_add(ab, bc), fe_sq(c));
    const Fe loose2 = fe_add(fe_neg(ab), fe_sub(bc, fe_sq(a)));
    Bn l1 = value(loose1), l2 = value(loose2);
    BN_mod_mul(want.get(), l1.get(), l2.get(), p_.get(), ctx_.get());
    expect_eq(fe_mul(loose1, loose2), want.get(), "mul loose");
    BN_mod_sqr(want.get(), l2.get(), p_.get(), ctx_.get());
    expect_eq(fe_sq(loose2), want.get(), "sq loose");
    (void)vc;
    (void)t;
  }
}

TEST_F(FeTest, LimbsAtTheLooseBound) {
  // Every limb at +-1.65 * 2^26 (even) / 2^25 (odd): the column sums of the
  // products must not overflow 64 bits.
  for (int sign_a : {1, -1}) {
    for (int sign_b : {1, -1}) {
      Fe a, b;
      for (int i = 0; i < 10; ++i) {
        const int32_t m = (i & 1) ? int32_t(1.65 * (1 << 25)) : int32_t(1.65 * (1 << 26));
        a.v[i] = sign_a * m;
        b.v[i] = (i % 3 == 0 ? -sign_b : sign_b) * m;
      }
      Bn va = value(a), vb = value(b), want = bn();
      BN_mod_mul(want.get(), va.get(), vb.get(), p_.get(), ctx_.get());
      expect_eq(fe_mul(a, b), want.get(), "mul at bound");
      BN_mod_sqr(want.get(), va.get(), p_.get(), ctx_.get());
      expect_eq(fe_sq(a), want.get(), "sq at bound");
      BN_mod_add(want.get(), want.get(), want.get(), p_.get(), ctx_.get());
      expect_eq(fe_sq2(a), want.get(), "sq2 at bound");
      expect_eq(fe_carry(a), va.get(), "carry at bound");
    }
  }
}

TEST_F(FeTest, InvertAndPowersMatchBignum) {
  Bn want = bn(), e = bn();
  // (p - 5) / 8
  BN_copy(e.get(), p_.get());
  BN_sub_word(e.get(), 5);
  BN_rshift(e.get(), e.get(), 3);
  for (const auto& s : inputs(150)) {
    const Fe a = fe_frombytes(s.data());
    Bn va = value(a);
    if (BN_is_zero(va.get())) {
      BN_zero(want.get());
    } else {
      ASSERT_NE(BN_mod_inverse(want.get(), va.get(), p_.get(), ctx_.get()), nullptr);
    }
    expect_eq(fe_invert(a), want.get(), "invert");
    BN_mod_exp(want.get(), va.get(), e.get(), p_.get(), ctx_.get());
    expect_eq(fe_pow22523(a), want.get(), "pow22523");
  }
}

TEST_F(FeTest, SqrtRatioFindsRootsExactlyWhenTheyExist) {
  const auto in = inputs(300);
  std::mt19937_64 rng(11);
  Bn half = bn(), w = bn(), leg = bn(), t = bn();
  BN_copy(half.get(), p_.get());
  BN_sub_word(half.get(), 1);
  BN_rshift1(half.get(), half.get());
  int roots = 0, nonroots = 0;
  for (size_t n = 0; n < in.size(); ++n) {
    const Fe u = fe_frombytes(in[n].data());
    const Fe v = fe_frombytes(in[rng() % in.size()].data());
    Bn vu = value(u), vv = value(v);
    if (BN_is_zero(vv.get())) continue;
    // w = u / v; a root exists iff w = 0 or w^((p-1)/2) = 1.
    BN_mod_inverse(t.get(), vv.get(), p_.get(), ctx_.get());
    BN_mod_mul(w.get(), vu.get(), t.get(), p_.get(), ctx_.get());
    BN_mod_exp(leg.get(), w.get(), half.get(), p_.get(), ctx_.get());
    const bool is_square = BN_is_zero(w.get()) || BN_is_one(leg.get());
    Fe x;
    ASSERT_EQ(fe_sqrt_ratio(u, v, &x), is_square) << n;
    if (is_square) {
      ++roots;
      Bn vx = value(x);
      BN_mod_sqr(t.get(), vx.get(), p_.get(), ctx_.get());
      EXPECT_EQ(BN_cmp(t.get(), w.get()), 0);
    } else {
      ++nonroots;
    }
  }
  EXPECT_GT(roots, 50);
  EXPECT_GT(nonroots, 50);
}

TEST_F(FeTest, ParityAndZeroUseTheCanonicalValue) {
  Bn x = bn();
  for (int delta : {0, 1, 2}) {  // p, p+1, p+2 read as 0, 1, 2
    BN_copy(x.get(), p_.get());
    BN_add_word(x.get(), delta);
    std::array<uint8_t, 32> s = to_le(x.get());
    const Fe f = fe_frombytes(s.data());
    EXPECT_EQ(fe_iszero(f), delta == 0);
    EXPECT_EQ(fe_isnegative(f), delta == 1);
  }
  EXPECT_TRUE(fe_iszero(fe_sub(fe_one(), fe_one())));
  EXPECT_TRUE(fe_isnegative(fe_neg(fe_add(fe_one(), fe_one()))));  // p - 2 is odd
}

}  // namespace
}  // namespace bg::k
