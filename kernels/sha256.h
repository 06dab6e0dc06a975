// SHA-256 (FIPS 180-4) as __host__ __device__ code: transaction ids, Merkle
// nodes and ECDSA message digests on the GPU. Streaming context plus one-shot
// helpers. Cost: 64 rounds per 64-byte block, no tables beyond K.
#pragma once

#include "kernels/hd.h"

namespace bg::k {

#define BG_SHA256_K_INIT { \
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, \
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, \
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, \
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, \
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, \
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, \
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, \
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2}

// The host reads a plain array; the device a __constant__ one (all threads of
// a warp are in the same round, so reads broadcast). A namespace-scope
// __constant__ array cannot be read from the host side of a __host__
// __device__ function, hence the two.
#if defined(__CUDACC__)
static __constant__ const uint32_t kSha256KDevice[64] = BG_SHA256_K_INIT;
#endif
static const uint32_t kSha256KHost[64] = BG_SHA256_K_INIT;

BG_HD uint32_t sha256_round_constant(int i) {
#if defined(__CUDA_ARCH__)
  return kSha256KDevice[i];
#else
  return kSha256KHost[i];
#endif
}

BG_HD uint32_t sha256_rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// Compresses one 64-byte block into state h.
BG_HD void sha256_compress(uint32_t h[8], const uint8_t block[64]) {
  uint32_t w[16];
  for (int i = 0; i < 16; ++i) w[i] = load_be32(block + 4 * i);
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int i = 0; i < 64; ++i) {
    uint32_t wi;
    if (i < 16) {
      wi = w[i];
    } else {
      uint32_t w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
      uint32_t s0 = sha256_rotr(w15, 7) ^ sha256_rotr(w15, 18) ^ (w15 >> 3);
      uint32_t s1 = sha256_rotr(w2, 17) ^ sha256_rotr(w2, 19) ^ (w2 >> 10);
      wi = w[i & 15] = w[i & 15] + s0 + w[(i - 7) & 15] + s1;
    }
    uint32_t S1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = hh + S1 + ch + sha256_round_constant(i) + wi;
    uint32_t S0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

struct Sha256 {
  uint32_t h[8];
  uint8_t buf[64];
  uint32_t buf_len;
  uint64_t total;

  BG_HD void init() {
    h[0] = 0x6a09e667; h[1] = 0xbb67ae85; h[2] = 0x3c6ef372; h[3] = 0xa54ff53a;
    h[4] = 0x510e527f; h[5] = 0x9b05688c; h[6] = 0x1f83d9ab; h[7] = 0x5be0cd19;
    buf_len = 0;
    total = 0;
  }

  BG_HD void update(const uint8_t* data, size_t len) {
    total += len;
    if (buf_len > 0) {
      while (len > 0 && buf_len < 64) { buf[buf_len++] = *data++; --len; }
      if (buf_len < 64) return;
      sha256_compress(h, buf);
      buf_len = 0;
    }
    while (len >= 64) { sha256_compress(h, data); data += 64; len -= 64; }
    while (len > 0) { buf[buf_len++] = *data++; --len; }
  }

  BG_HD void final(uint8_t out[32]) {
    uint64_t bits = total * 8;
    buf[buf_len++] = 0x80;
    if (buf_len > 56) {
      while (buf_len < 64) buf[buf_len++] = 0;
      sha256_compress(h, buf);
      buf_len = 0;
    }
    while (buf_len < 56) buf[buf_len++] = 0;
    store_be64(buf + 56, bits);
    sha256_compress(h, buf);
    for (int i = 0; i < 8; ++i) store_be32(out + 4 * i, h[i]);
  }
};

BG_HD void sha256(const uint8_t* data, size_t len, uint8_t out[32]) {
  Sha256 s;
  s.init();
  s.update(data, len);
  s.final(out);
}

}  // namespace bg::k
