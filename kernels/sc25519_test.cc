// kernels/sc25519.h against OpenSSL BIGNUM: S < L canonicity and the
// reduction of 64-byte hashes mod L, on random and edge values.
#include "kernels/sc25519.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include <array>
#include <random>
#include <vector>

namespace bg::k {
namespace {

BIGNUM* order_l() {
  BIGNUM* l = nullptr;
  BN_dec2bn(&l, "7237005577332262213973186563042994240857116359379907606001950938285454250989");
  return l;
}

template <size_t N>
std::array<uint8_t, N> le(const BIGNUM* b) {
  std::array<uint8_t, N> out{};
  EXPECT_EQ(BN_bn2lebinpad(b, out.data(), N), int(N));
  return out;
}

TEST(Sc25519, CanonicalIsExactlyBelowL) {
  BIGNUM* l = order_l();
  BIGNUM* x = BN_new();
  // Around L, around 2^252 and 2^253, the top of the range, small values.
  std::vector<BIGNUM*> edges;
  for (int d = -3; d <= 3; ++d) {
    BIGNUM* v = BN_dup(l);
    if (d < 0) BN_sub_word(v, -d); else BN_add_word(v, d);
    edges.push_back(v);
  }
  for (int e : {252, 253, 255, 256}) {
    BIGNUM* v = BN_new();
    BN_set_bit(v, e);
    BN_sub_word(v, 1);
    edges.push_back(v);
    if (e < 256) {
      BIGNUM* w = BN_new();
      BN_set_bit(w, e);
      edges.push_back(w);
    }
  }
  for (int w : {0, 1}) {
    BIGNUM* v = BN_new();
    BN_set_word(v, w);
    edges.push_back(v);
  }
  BIGNUM* two_l = BN_new();
  BN_lshift1(two_l, l);
  edges.push_back(two_l);
  for (BIGNUM* v : edges) {
    const auto s = le<32>(v);
    EXPECT_EQ(sc_is_canonical(s.data()), BN_cmp(v, l) < 0) << BN_bn2hex(v);
    BN_free(v);
  }
  std::mt19937_64 rng(0x5c);
  for (int i = 0; i < 20000; ++i) {
    std::array<uint8_t, 32> s{};
    for (auto& c : s) c = uint8_t(rng());
    // Mostly values near L's size so both outcomes occur.
    if (i % 2) s[31] &= 0x1f;
    if (i % 4 == 1) s[31] = 0x10, s[30] = s[29] = 0;
    BN_lebin2bn(s.data(), 32, x);
    EXPECT_EQ(sc_is_canonical(s.data()), BN_cmp(x, l) < 0) << BN_bn2hex(x);
  }
  BN_free(x);
  BN_free(l);
}

TEST(Sc25519, Reduce64MatchesBignum) {
  BIGNUM* l = order_l();
  BIGNUM* x = BN_new();
  BIGNUM* r = BN_new();
  BN_CTX* ctx = BN_CTX_new();
  std::vector<std::array<uint8_t, 64>> in;
  auto push = [&](const BIGNUM* v) { in.push_back(le<64>(v)); };
  // Multiples of L and their neighbours, powers of two, 2^512 - 1.
  for (unsigned long m : {0ul, 1ul, 2ul, 3ul, 1000003ul}) {
    for (int d = -1; d <= 1; ++d) {
      BN_set_word(x, m);
      BN_mul(x, x, l, ctx);
      if (d < 0 && BN_is_zero(x)) continue;
      if (d < 0) BN_sub_word(x, 1); else BN_add_word(x, d);
      push(x);
    }
  }
  for (int e : {252, 253, 256, 257, 384, 511}) {
    BN_zero(x);
    BN_set_bit(x, e);
    push(x);
    BN_sub_word(x, 1);
    push(x);
  }
  // floor((2^512 - 1) / L) * L and 2^512 - 1.
  BN_zero(x);
  BN_set_bit(x, 512);
  BN_sub_word(x, 1);
  push(x);
  BN_div(r, nullptr, x, l, ctx);
  BN_mul(r, r, l, ctx);
  push(r);
  BN_sub_word(r, 1);
  push(r);
  std::mt19937_64 rng(0x5c2);
  for (int i = 0; i < 20000; ++i) {
    std::array<uint8_t, 64> s{};
    for (auto& c : s) c = uint8_t(rng());
    if (i % 3 == 1) for (int j = 40; j < 64; ++j) s[j] = 0xff;  // near the top
    in.push_back(s);
  }
  for (const auto& s : in) {
    BN_lebin2bn(s.data(), 64, x);
    BN_nnmod(r, x, l, ctx);
    std::array<uint8_t, 32> got{};
    sc_reduce64(got.data(), s.data());
    EXPECT_EQ(got, le<32>(r)) << BN_bn2hex(x);
  }
  BN_CTX_free(ctx);
  BN_free(r);
  BN_free(x);
  BN_free(l);
}

}  // namespace
}  // namespace bg::k
