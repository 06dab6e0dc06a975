// bg::sha256 (OpenSSL's low-level context API, chosen for speed) against the
// FIPS 180-2 examples and OpenSSL's EVP one-shot digest on every length that
// crosses a block boundary.
#include "host/hash.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace bg {
namespace {

Hash32 evp_sha256(ByteSpan data) {
  Hash32 out;
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

ByteSpan span_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

TEST(Sha256, Fips180Examples) {
  EXPECT_EQ(to_hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256(span_of("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256(span_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(sha256(span_of(std::string(1000000, 'a')))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, EqualsEvpOnEveryLengthUpTo300) {
  Bytes data;
  for (size_t n = 0; n <= 300; ++n) {
    EXPECT_EQ(sha256(data), evp_sha256(data)) << "length " << n;
    data.push_back(uint8_t(n * 151 + 7));
  }
}

}  // namespace
}  // namespace bg
