// kernels/sha512.h and kernels/sha256.h against the FIPS 180-4 examples and
// OpenSSL on every length 0..1000 (one-shot and split streaming updates).
#include "kernels/sha512.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <random>
#include <string>
#include <vector>

#include "host/bytes.h"
#include "kernels/sha256.h"

namespace bg::k {
namespace {

std::string sha512_hex(const std::string& m) {
  uint8_t out[64];
  sha512(reinterpret_cast<const uint8_t*>(m.data()), m.size(), out);
  return to_hex(ByteSpan(out, 64));
}
std::string sha256_hex(const std::string& m) {
  uint8_t out[32];
  sha256(reinterpret_cast<const uint8_t*>(m.data()), m.size(), out);
  return to_hex(ByteSpan(out, 32));
}

const char kMsg448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const char kMsg896[] =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

TEST(Sha512, FipsExamples) {
  EXPECT_EQ(sha512_hex(""),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
  EXPECT_EQ(sha512_hex("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(sha512_hex(kMsg448),
            "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
            "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445");
  EXPECT_EQ(sha512_hex(kMsg896),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
            "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
}

TEST(Sha256, FipsExamples) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(kMsg448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(kMsg896), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha512, MatchesOpenSslOnAllLengthsUpTo1000) {
  std::mt19937_64 rng(512);
  std::vector<uint8_t> m(1000);
  for (auto& c : m) c = uint8_t(rng());
  for (size_t len = 0; len <= 1000; ++len) {
    uint8_t want[64], got[64], split[64];
    SHA512(m.data(), len, want);
    sha512(m.data(), len, got);
    ASSERT_EQ(to_hex(ByteSpan(got, 64)), to_hex(ByteSpan(want, 64))) << len;
    // Streaming in uneven pieces, as ed25519_verify feeds R, A, M.
    Sha512 s;
    s.init();
    size_t off = 0, step = 1 + len % 37;
    while (off < len) {
      size_t n = std::min(step, len - off);
      s.update(m.data() + off, n);
      off += n;
      step = 1 + (step * 7) % 131;
    }
    s.final(split);
    ASSERT_EQ(to_hex(ByteSpan(split, 64)), to_hex(ByteSpan(want, 64))) << len;
  }
}

TEST(Sha256, MatchesOpenSslOnAllLengthsUpTo1000) {
  std::mt19937_64 rng(256);
  std::vector<uint8_t> m(1000);
  for (auto& c : m) c = uint8_t(rng());
  for (size_t len = 0; len <= 1000; ++len) {
    uint8_t want[32], got[32];
    SHA256(m.data(), len, want);
    sha256(m.data(), len, got);
    ASSERT_EQ(to_hex(ByteSpan(got, 32)), to_hex(ByteSpan(want, 32))) << len;
  }
}

TEST(Sha512, LargestPayload) {
  std::vector<uint8_t> m(65536 + 64);
  std::mt19937_64 rng(65536);
  for (auto& c : m) c = uint8_t(rng());
  uint8_t want[64], got[64];
  SHA512(m.data(), m.size(), want);
  sha512(m.data(), m.size(), got);
  EXPECT_EQ(to_hex(ByteSpan(got, 64)), to_hex(ByteSpan(want, 64)));
}

}  // namespace
}  // namespace bg::k
