// CRC-32C: slice-by-8 tables built once at start-up, and the SSE4.2 path
// compiled with a per-function target attribute so the rest of the build
// needs no -msse4.2.
#include "ledger/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace bg {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;

struct Tables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  constexpr Tables() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
};

constexpr Tables kTables{};

}  // namespace

uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  const auto& t = kTables.t;
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);  // little-endian host (x86-64, aarch64)
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
        t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xFF];
  return ~c;
}

#if defined(__x86_64__)
namespace {

// The `crc32` instruction has a latency of three cycles and a throughput of
// one per cycle, so one dependent chain runs at a third of what the unit can
// do. Three chains over three adjacent lanes of `len` bytes each run side by
// side; the lanes' registers are then joined. The raw register (no pre/post
// inversion) is linear: crc(r, A|B) = shift(crc(r, A), |B|) ^ crc(0, B),
// where shift(x, len) moves x over len zero bytes, a 32 x 32 GF(2) matrix
// applied here as four byte-indexed tables.
struct ShiftTables {
  std::array<std::array<uint32_t, 256>, 4> t{};
  explicit ShiftTables(size_t len) {
    uint32_t column[32];  // the raw register 1 << i moved over len zero bytes
    for (int i = 0; i < 32; ++i) column[i] = ~crc32c_extend_zeros(~(1u << i), len);
    for (int k = 0; k < 4; ++k)
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int j = 0; j < 8; ++j)
          if ((b >> j) & 1) v ^= column[8 * k + j];
        t[size_t(k)][b] = v;
      }
  }
  uint32_t shift(uint32_t x) const { return t[0][x & 0xFF] ^ t[1][(x >> 8) & 0xFF] ^ t[2][(x >> 16) & 0xFF] ^ t[3][x >> 24]; }
};

// Lane sizes: long lanes for the bulk of a record, short ones for its tail.
constexpr size_t kLongLane = 4096, kShortLane = 256;

const ShiftTables& long_shift() {
  static const ShiftTables t(kLongLane);
  return t;
}
const ShiftTables& short_shift() {
  static const ShiftTables t(kShortLane);
  return t;
}

// Consumes whole groups of three lanes of `lane` bytes from *p / *n.
__attribute__((target("sse4.2"))) uint64_t three_lanes(uint64_t c, const uint8_t** p, size_t* n, size_t lane,
                                                       const ShiftTables& shift) {
  while (*n >= 3 * lane) {
    const uint8_t* a = *p;
    const uint8_t* b = a + lane;
    const uint8_t* d = b + lane;
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < lane; i += 8) {
      uint64_t va, vb, vd;
      std::memcpy(&va, a + i, 8);
      std::memcpy(&vb, b + i, 8);
      std::memcpy(&vd, d + i, 8);
      c = _mm_crc32_u64(c, va);
      c1 = _mm_crc32_u64(c1, vb);
      c2 = _mm_crc32_u64(c2, vd);
    }
    c = shift.shift(shift.shift(uint32_t(c)) ^ uint32_t(c1)) ^ uint32_t(c2);
    *p += 3 * lane;
    *n -= 3 * lane;
  }
  return c;
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t crc32c_extend_hardware(uint32_t crc, const void* data, size_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint64_t c = ~crc;
  if (n >= 3 * kLongLane) c = three_lanes(c, &p, &n, kLongLane, long_shift());
  if (n >= 3 * kShortLane) c = three_lanes(c, &p, &n, kShortLane, short_shift());
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = uint32_t(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool crc32c_hardware_available() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#else
uint32_t crc32c_extend_hardware(uint32_t crc, const void* data, size_t n) {
  return crc32c_extend_portable(crc, data, n);
}
bool crc32c_hardware_available() { return false; }
#endif

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n) {
  return crc32c_hardware_available() ? crc32c_extend_hardware(crc, data, n) : crc32c_extend_portable(crc, data, n);
}

}  // namespace bg

namespace bg {
namespace {

uint32_t gf2_times(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  for (; vec != 0; vec >>= 1, ++mat)
    if (vec & 1) sum ^= *mat;
  return sum;
}

void gf2_square(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; ++n) square[n] = gf2_times(mat, mat[n]);
}

}  // namespace

uint32_t crc32c_extend_zeros(uint32_t crc, uint64_t n) {
  if (n == 0) return crc;
  // The register (pre/post inverted) moves linearly over zero input: reg' = M^(8n) reg.
  uint32_t reg = ~crc;
  uint32_t even[32], odd[32];
  odd[0] = 0x82F63B78u;  // one zero bit, reflected Castagnoli polynomial
  for (int i = 1; i < 32; ++i) odd[i] = 1u << (i - 1);
  gf2_square(even, odd);  // two zero bits
  gf2_square(odd, even);  // four
  while (true) {
    gf2_square(even, odd);  // one zero byte on the first pass, then 4, 16, ...
    if (n & 1) reg = gf2_times(even, reg);
    n >>= 1;
    if (n == 0) break;
    gf2_square(odd, even);
    if (n & 1) reg = gf2_times(odd, reg);
    n >>= 1;
    if (n == 0) break;
  }
  return ~reg;
}

}  // namespace bg
