// SHA-512 (FIPS 180-4) as __host__ __device__ code, for Ed25519's
// k = SHA-512(R || A || M). Streaming context (messages up to the 64 KiB
// payload limit and beyond) plus a one-shot helper. Cost: 80 rounds per
// 128-byte block; on the GPU each 64-bit operation is two 32-bit ones.
#pragma once

#include "kernels/hd.h"

// FIPS 180-4 §4.2.3 round constants.
#define BG_SHA512_K_INIT { \
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL, \
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL, \
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL, \
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL, \
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL, \
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL, \
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL, \
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL, \
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL, \
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL, \
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL, \
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL, \
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL, \
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL, \
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL, \
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL, \
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL, \
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL, \
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL, \
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL \
}

namespace bg::k {

namespace sha512_detail {
// The host reads a plain array; the device a __constant__ one (every thread
// of a warp is in the same round, so reads broadcast -- and with the rounds
// unrolled the compiler folds them into immediates). A namespace-scope
// __constant__ array cannot be read from the host side of a __host__
// __device__ function, hence the two.
#if defined(__CUDACC__)
static __constant__ const uint64_t kSha512KDevice[80] = BG_SHA512_K_INIT;
#endif
static const uint64_t kSha512KHost[80] = BG_SHA512_K_INIT;

BG_HD uint64_t round_constant(int i) {
#if defined(__CUDA_ARCH__)
  return kSha512KDevice[i];
#else
  return kSha512KHost[i];
#endif
}
BG_HD uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }
}  // namespace sha512_detail

// Compresses one 128-byte block into state h.
BG_HD void sha512_compress(uint64_t h[8], const uint8_t block[128]) {
  using sha512_detail::rotr;
  uint64_t w[16];
  for (int i = 0; i < 16; ++i) w[i] = load_be64(block + 8 * i);
  uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int i = 0; i < 80; ++i) {
    uint64_t wi;
    if (i < 16) {
      wi = w[i];
    } else {
      const uint64_t w15 = w[(i - 15) & 15], w2 = w[(i - 2) & 15];
      const uint64_t s0 = rotr(w15, 1) ^ rotr(w15, 8) ^ (w15 >> 7);
      const uint64_t s1 = rotr(w2, 19) ^ rotr(w2, 61) ^ (w2 >> 6);
      wi = w[i & 15] = w[i & 15] + s0 + w[(i - 7) & 15] + s1;
    }
    const uint64_t S1 = rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41);
    const uint64_t ch = (e & f) ^ (~e & g);
    const uint64_t t1 = hh + S1 + ch + sha512_detail::round_constant(i) + wi;
    const uint64_t S0 = rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39);
    const uint64_t maj = (a & b) ^ (a & c) ^ (b & c);
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + S0 + maj;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

struct Sha512 {
  uint64_t h[8];
  uint8_t buf[128];
  uint32_t buf_len;
  uint64_t total;  // bytes; messages here are far below 2^61 bytes

  BG_HD void init() {
    h[0] = 0x6a09e667f3bcc908ULL; h[1] = 0xbb67ae8584caa73bULL;
    h[2] = 0x3c6ef372fe94f82bULL; h[3] = 0xa54ff53a5f1d36f1ULL;
    h[4] = 0x510e527fade682d1ULL; h[5] = 0x9b05688c2b3e6c1fULL;
    h[6] = 0x1f83d9abfb41bd6bULL; h[7] = 0x5be0cd19137e2179ULL;
    buf_len = 0;
    total = 0;
  }

  BG_HD void update(const uint8_t* data, size_t len) {
    total += len;
    if (buf_len > 0) {
      const size_t take = len < 128 - buf_len ? len : 128 - buf_len;
      for (size_t i = 0; i < take; ++i) buf[buf_len + i] = data[i];
      buf_len += uint32_t(take);
      data += take;
      len -= take;
      if (buf_len < 128) return;
      sha512_compress(h, buf);
      buf_len = 0;
    }
    while (len >= 128) { sha512_compress(h, data); data += 128; len -= 128; }
    for (size_t i = 0; i < len; ++i) buf[i] = data[i];  // len < 128, buffer empty
    buf_len = uint32_t(len);
  }

  BG_HD void final(uint8_t out[64]) {
    const uint64_t bits = total * 8;
    buf[buf_len++] = 0x80;
    if (buf_len > 112) {
      while (buf_len < 128) buf[buf_len++] = 0;
      sha512_compress(h, buf);
      buf_len = 0;
    }
    while (buf_len < 120) buf[buf_len++] = 0;  // 128-bit length: high half 0
    store_be64(buf + 120, bits);
    sha512_compress(h, buf);
    for (int i = 0; i < 8; ++i) store_be64(out + 8 * i, h[i]);
  }
};

BG_HD void sha512(const uint8_t* data, size_t len, uint8_t out[64]) {
  Sha512 s;
  s.init();
  s.update(data, len);
  s.final(out);
}

}  // namespace bg::k
