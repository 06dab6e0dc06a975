// Deterministic damage to a signed transaction, shared by the corpus generator
// (which checks with the reference libraries that every damaged copy it
// writes is invalid) and gpu_check (which applies the same damage to carried
// valid seeds to make a million items per scheme on the GPU machine, where no
// signing library exists). Plain C++: no Abseil, no CUDA runtime.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/schemes.h"

namespace bg::gpucheck {

// splitmix64: a tiny, well-mixed, reproducible PRNG (same stream on every
// machine and compiler, unlike std::uniform_int_distribution).
struct SplitMix64 {
  uint64_t s;
  explicit SplitMix64(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return n == 0 ? 0 : uint32_t(next() % n); }
};

// Every kind except kNone turns a valid signature into one SPEC §2 rejects:
// the generator asserts this against libsodium/libsecp256k1/OpenSSL on every
// damaged transaction it writes.
enum Damage : uint8_t {
  kNone = 0,
  kSigFirstHalfBit,   // flip one bit of R (ed25519) / r (ECDSA)
  kSigSecondHalfBit,  // flip one bit of S / s
  kKeyBit,            // flip one bit of the public key (ECDSA: the prefix byte too)
  kPayloadBit,        // flip one payload bit (empty payload: append a byte)
  kPayloadLength,     // drop the last payload byte, or append one
  kOtherKey,          // another signer's public key
  kOtherSignature,    // a valid signature over another transaction
  kMalleate,          // ed25519: S + L (non-canonical S); ECDSA: s -> n - s (high S)
  kZeroScalar,        // S = 0 / s = 0
  kZeroFirstHalf,     // R = 0 / r = 0
  kScalarOutOfRange,  // ed25519: S >= L; ECDSA: r = n or s = n
  kBadKeyEncoding,    // ed25519: y >= p (non-canonical); ECDSA: prefix not 02/03
  kDegenerateKey,     // ed25519: a small-order point; ECDSA: x >= p
  kDamageCount
};

inline const char* damage_name(uint8_t d) {
  static const char* const kNames[kDamageCount] = {
      "none",          "sig-first-bit", "sig-second-bit", "key-bit",         "payload-bit",
      "payload-length", "other-key",    "other-signature", "malleate",       "zero-scalar",
      "zero-first-half", "scalar-range", "bad-key-encoding", "degenerate-key"};
  return d < kDamageCount ? kNames[d] : "?";
}

// The parts of a transaction damage touches; key holds public_key_size(scheme) bytes.
struct TxParts {
  uint8_t scheme = uint8_t(Scheme::kEd25519);
  uint8_t key[kMaxPublicKeySize] = {};
  uint8_t sig[kMaxSignatureSize] = {};
  std::vector<uint8_t> payload;
  size_t key_len() const { return public_key_size(Scheme(scheme)); }
};

// Group orders, big-endian for ECDSA (as signatures store r, s), little-endian
// for ed25519 (as S is stored).
inline const uint8_t* ecdsa_order_be(uint8_t scheme) {
  static const uint8_t kSecp256k1N[32] = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
      0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  static const uint8_t kP256N[32] = {
      0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  return scheme == uint8_t(Scheme::kSecp256k1) ? kSecp256k1N : kP256N;
}
inline const uint8_t* ed25519_order_le() {
  static const uint8_t kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                 0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  return kL;
}

// out = a - b over 32-byte big-endian numbers (a >= b).
inline void sub_be32(const uint8_t* a, const uint8_t* b, uint8_t* out) {
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = int(a[i]) - int(b[i]) - borrow;
    borrow = d < 0;
    out[i] = uint8_t(d + (borrow ? 256 : 0));
  }
}
// out = a + b over 32-byte little-endian numbers (carry out dropped).
inline void add_le32(const uint8_t* a, const uint8_t* b, uint8_t* out) {
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    unsigned t = unsigned(a[i]) + unsigned(b[i]) + carry;
    out[i] = uint8_t(t);
    carry = t >> 8;
  }
}

inline void flip_bit(uint8_t* p, size_t len, SplitMix64& rng) {
  uint32_t bit = rng.below(uint32_t(len * 8));
  p[bit / 8] ^= uint8_t(1u << (bit % 8));
}

// Applies `kind` to tx. `donor` is another valid transaction of the same
// scheme (for kOtherKey / kOtherSignature); when it would not change anything
// (same key, same signature) a bit flip of the same field is used instead, so
// the result is always damaged.
inline void apply_damage(TxParts& tx, uint8_t kind, const TxParts& donor, SplitMix64& rng) {
  const bool ed = tx.scheme == uint8_t(Scheme::kEd25519);
  const size_t kl = tx.key_len();
  switch (kind) {
    case kNone: break;
    case kSigFirstHalfBit: flip_bit(tx.sig, 32, rng); break;
    case kSigSecondHalfBit: flip_bit(tx.sig + 32, 32, rng); break;
    case kKeyBit: flip_bit(tx.key, kl, rng); break;
    case kPayloadBit:
      if (tx.payload.empty()) tx.payload.push_back(uint8_t(rng.next()));
      else flip_bit(tx.payload.data(), tx.payload.size(), rng);
      break;
    case kPayloadLength:
      if (!tx.payload.empty() && (rng.next() & 1)) tx.payload.pop_back();
      else tx.payload.push_back(uint8_t(rng.next()));
      break;
    case kOtherKey:
      if (std::memcmp(tx.key, donor.key, kl) != 0) std::memcpy(tx.key, donor.key, kl);
      else flip_bit(tx.key, kl, rng);
      break;
    case kOtherSignature:
      if (std::memcmp(tx.sig, donor.sig, 64) != 0) std::memcpy(tx.sig, donor.sig, 64);
      else flip_bit(tx.sig + 32, 32, rng);
      break;
    case kMalleate:
      if (ed) add_le32(tx.sig + 32, ed25519_order_le(), tx.sig + 32);
      else sub_be32(ecdsa_order_be(tx.scheme), tx.sig + 32, tx.sig + 32);
      break;
    case kZeroScalar: std::memset(tx.sig + 32, 0, 32); break;
    case kZeroFirstHalf: std::memset(tx.sig, 0, 32); break;
    case kScalarOutOfRange:
      if (ed) {
        // L + k for a small k, or any S with one of the top three bits set.
        if (rng.next() & 1) {
          uint8_t k[32] = {};
          k[0] = uint8_t(rng.next());
          add_le32(ed25519_order_le(), k, tx.sig + 32);
        } else {
          tx.sig[63] |= uint8_t(0x20u << rng.below(3));
        }
      } else {
        std::memcpy(tx.sig + ((rng.next() & 1) ? 0 : 32), ecdsa_order_be(tx.scheme), 32);
      }
      break;
    case kBadKeyEncoding:
      if (ed) {
        // y = p + k for small k (p = 2^255 - 19): non-canonical, sign bit random.
        std::memset(tx.key, 0xff, 32);
        tx.key[0] = uint8_t(0xed + rng.below(0x12));
        tx.key[31] = (rng.next() & 1) ? 0x7f : 0xff;
      } else {
        static const uint8_t kBadPrefix[5] = {0x00, 0x01, 0x04, 0x05, 0xff};
        tx.key[0] = kBadPrefix[rng.below(5)];
      }
      break;
    case kDegenerateKey:
      if (ed) {
        // The identity (y = 1) or the order-2 point (y = -1): small order.
        std::memset(tx.key, 0, 32);
        if (rng.next() & 1) {
          tx.key[0] = 0x01;
        } else {
          std::memset(tx.key, 0xff, 32);
          tx.key[0] = 0xec;
          tx.key[31] = 0x7f;
        }
      } else {
        std::memset(tx.key + 1, 0xff, 32);  // x = 2^256 - 1 >= p
      }
      break;
    default: break;
  }
}

// The damage the corpus and the device expansion give item `index` of
// `scheme`: none for about half, else one kind drawn uniformly.
inline uint8_t pick_damage(SplitMix64& rng) {
  if (rng.next() & 1) return kNone;
  return uint8_t(1 + rng.below(kDamageCount - 1));
}

}  // namespace bg::gpucheck
