// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum on every
// ledger record. SSE4.2 `crc32` instructions when the CPU has them (checked at
// run time; three lanes side by side, ~25 GB/s on a 16 KB record in cache),
// else a portable slice-by-8 table (~1 cycle/byte).
#pragma once

#include <cstddef>
#include <cstdint>

namespace bg {

// Extends `crc` (0 for a fresh checksum) over data[0, n). crc32c("123456789") = 0xE3069283.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n);
inline uint32_t crc32c(const void* data, size_t n) { return crc32c_extend(0, data, n); }
// Extends `crc` over n zero bytes in O(log n) (GF(2) matrix powers, as in
// zlib's crc32_combine): checksumming a sparse file's holes without reading them.
uint32_t crc32c_extend_zeros(uint32_t crc, uint64_t n);

// The two implementations, exposed so tests can check both against the vectors.
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t n);
// Only valid when crc32c_hardware_available().
uint32_t crc32c_extend_hardware(uint32_t crc, const void* data, size_t n);
bool crc32c_hardware_available();

}  // namespace bg
