// Hex codec.
#include "host/bytes.h"

#include <gtest/gtest.h>

namespace bg {
namespace {

TEST(Hex, RoundTripsEveryByte) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = uint8_t(i);
  std::string h = to_hex(all);
  EXPECT_EQ(h.substr(0, 8), "00010203");
  EXPECT_EQ(h.substr(h.size() - 4), "feff");
  EXPECT_EQ(*from_hex(h), all);
}

TEST(Hex, RejectsOddLengthAndNonHex) {
  EXPECT_FALSE(from_hex("0"));
  EXPECT_FALSE(from_hex("0g"));
  EXPECT_FALSE(from_hex(" 00"));
  EXPECT_TRUE(from_hex("")->empty());
  EXPECT_EQ(*from_hex("AbCd"), (Bytes{0xab, 0xcd}));
  EXPECT_FALSE(hash_from_hex(std::string(62, '0')));
  EXPECT_FALSE(hash_from_hex(std::string(66, '0')));
  EXPECT_TRUE(hash_from_hex(std::string(64, 'F')));
}

}  // namespace
}  // namespace bg
