// Byte strings, 32-byte hashes and lower-case hex: the vocabulary every layer
// above kernels/ shares.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bg {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using Hash32 = std::array<uint8_t, 32>;

struct Hash32Hasher {
  // Hashes are uniformly distributed already; the first 8 bytes suffice.
  size_t operator()(const Hash32& h) const noexcept {
    size_t v;
    static_assert(sizeof(v) <= 32);
    __builtin_memcpy(&v, h.data(), sizeof(v));
    return v;
  }
};

std::string to_hex(ByteSpan bytes);
inline std::string to_hex(const Hash32& h) { return to_hex(ByteSpan(h.data(), h.size())); }

// Accepts upper- and lower-case digits; nullopt on odd length or a non-hex character.
std::optional<Bytes> from_hex(std::string_view hex);
// Exactly 64 hex digits.
std::optional<Hash32> hash_from_hex(std::string_view hex);

inline void put_u32le(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
inline void put_u64le(Bytes& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
inline uint32_t get_u32le(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline uint64_t get_u64le(const uint8_t* p) {
  return uint64_t(get_u32le(p)) | (uint64_t(get_u32le(p + 4)) << 32);
}

}  // namespace bg
