// CRC-32C against published vectors (RFC 3720 appendix B.4 and the classic
// "123456789" check value), both implementations, and streaming equality.
#include "ledger/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace bg {
namespace {

struct Vector {
  std::vector<uint8_t> data;
  uint32_t crc;
};

std::vector<Vector> vectors() {
  std::vector<Vector> v;
  v.push_back({std::vector<uint8_t>{'1', '2', '3', '4', '5', '6', '7', '8', '9'}, 0xE3069283u});
  v.push_back({std::vector<uint8_t>(32, 0x00), 0x8A9136AAu});
  v.push_back({std::vector<uint8_t>(32, 0xFF), 0x62A8AB43u});
  std::vector<uint8_t> inc(32), dec(32);
  for (int i = 0; i < 32; ++i) inc[i] = uint8_t(i), dec[i] = uint8_t(31 - i);
  v.push_back({inc, 0x46DD794Eu});
  v.push_back({dec, 0x113FDB5Cu});
  v.push_back({{}, 0u});
  return v;
}

TEST(Crc32c, PortableMatchesVectors) {
  for (const auto& v : vectors()) EXPECT_EQ(crc32c_extend_portable(0, v.data.data(), v.data.size()), v.crc);
}

TEST(Crc32c, HardwareMatchesVectors) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  for (const auto& v : vectors()) EXPECT_EQ(crc32c_extend_hardware(0, v.data.data(), v.data.size()), v.crc);
}

TEST(Crc32c, DispatchMatchesVectors) {
  for (const auto& v : vectors()) EXPECT_EQ(crc32c(v.data.data(), v.data.size()), v.crc);
}

TEST(Crc32c, ImplementationsAgreeAndStream) {
  std::mt19937_64 rng(7);
  std::vector<uint8_t> buf(4099);
  for (auto& b : buf) b = uint8_t(rng());
  for (size_t len : {0, 1, 7, 8, 9, 15, 16, 63, 64, 1000, 4099}) {
    for (size_t start : {0, 1, 3}) {
      if (start + len > buf.size()) continue;
      const uint8_t* p = buf.data() + start;
      const uint32_t whole = crc32c_extend_portable(0, p, len);
      if (crc32c_hardware_available()) {
        EXPECT_EQ(crc32c_extend_hardware(0, p, len), whole) << len << " " << start;
      }
      const size_t cut = len / 3;
      EXPECT_EQ(crc32c_extend(crc32c(p, cut), p + cut, len - cut), whole);
    }
  }
}

// The hardware path runs three lanes side by side (4096-byte lanes, then
// 256-byte ones) and joins them: every length around the lane boundaries,
// at odd alignments and with a running checksum, against the portable table.
TEST(Crc32c, HardwareLanesMatchPortable) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(11);
  std::vector<uint8_t> buf(3 * 4096 * 3 + 64);
  for (auto& b : buf) b = uint8_t(rng());
  std::vector<size_t> lens;
  for (size_t base : {size_t(3 * 256), size_t(3 * 4096), size_t(2 * 3 * 4096), size_t(3 * 4096 + 3 * 256)})
    for (int d = -9; d <= 9; ++d) lens.push_back(size_t(int64_t(base) + d));
  for (size_t len : {size_t(16208), size_t(20000), size_t(3 * 4096 * 3)}) lens.push_back(len);
  for (size_t len : lens)
    for (size_t start : {0, 1, 5, 8}) {
      const uint8_t* p = buf.data() + start;
      for (uint32_t seed : {0u, 0xE3069283u}) {
        EXPECT_EQ(crc32c_extend_hardware(seed, p, len), crc32c_extend_portable(seed, p, len))
            << len << " " << start << " " << seed;
      }
    }
  // All-ones and all-zero lanes (the register's inversion matters there).
  for (uint8_t fill : {uint8_t(0x00), uint8_t(0xFF)}) {
    std::vector<uint8_t> v(3 * 4096 + 100, fill);
    EXPECT_EQ(crc32c_extend_hardware(0, v.data(), v.size()), crc32c_extend_portable(0, v.data(), v.size()));
  }
}

}  // namespace
TEST(Crc32c, ZerosMatchReadingZeros) {
  std::vector<uint8_t> zeros(1 << 20, 0);
  for (uint32_t start : {0u, 0xE3069283u, 0x12345678u})
    for (size_t n : {size_t(0), size_t(1), size_t(3), size_t(8), size_t(4095), size_t(4096), size_t(65537), zeros.size()})
      EXPECT_EQ(crc32c_extend_zeros(start, n), crc32c_extend(start, zeros.data(), n)) << start << " " << n;
}

}  // namespace bg
