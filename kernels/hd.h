// One macro makes kernel math __host__ __device__ under nvcc and plain inline
// under g++/clang, so the CPU tests run the very code the GPU runs.
#pragma once

#if defined(__CUDACC__)
#define BG_HD __host__ __device__ __forceinline__
#define BG_HD_NOINLINE __host__ __device__ __noinline__
#define BG_CONSTANT __constant__
#else
#define BG_HD inline
#define BG_HD_NOINLINE inline
#define BG_CONSTANT
#endif

#include <cstddef>
#include <cstdint>

namespace bg::k {

BG_HD uint32_t load_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
BG_HD void store_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}
BG_HD uint64_t load_be64(const uint8_t* p) {
  return (uint64_t(load_be32(p)) << 32) | load_be32(p + 4);
}
BG_HD void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, uint32_t(v >> 32)); store_be32(p + 4, uint32_t(v));
}
BG_HD uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
BG_HD void store_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

}  // namespace bg::k
