// The packed forms the GPU kernels read: one fixed 112-byte record per
// signature check plus a payload blob, and one 16-byte record per message to
// hash. Plain C++ (no CUDA runtime, no Abseil): the backend, gpu_check and the
// CPU tests all pack and evaluate records through this one header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/hd.h"
#include "kernels/schemes.h"
#include "kernels/sha256.h"
#include "kernels/verify_item.h"
#include "kernels/verify_variant.h"

namespace bg::gpu {

// Array-of-records layout: each thread copies its own record (seven 16-byte
// loads) and then does thousands of field multiplications, so the layout's
// memory cost is noise next to the arithmetic; payloads, which vary in length,
// live in one blob the record points into.
struct alignas(16) SigRecord {
  uint8_t signature[kMaxSignatureSize];  // first signature_size(scheme) bytes used
  uint8_t public_key[kMaxPublicKeySize];  // first public_key_size(scheme) bytes used
  uint8_t scheme;                         // SPEC §1 scheme byte
  uint8_t reserved[2];
  uint32_t message_len;
  uint64_t message_offset;  // into the chunk's payload blob
};
// A scheme with larger keys or signatures changes this size: a new record
// layout, on purpose (gpu_check and the kernels read it).
static_assert(sizeof(SigRecord) == 112, "SigRecord layout is part of the kernel ABI");

struct alignas(16) MsgRecord {
  uint64_t offset;  // into the chunk's blob
  uint32_t len;
  uint32_t reserved;
};
static_assert(sizeof(MsgRecord) == 16, "MsgRecord layout is part of the kernel ABI");

// `public_key` and `signature` hold the scheme's sizes (kernels/schemes.h).
inline void pack_sig_record(SigRecord& r, Scheme scheme, const uint8_t* public_key, const uint8_t* signature,
                            uint64_t message_offset, uint32_t message_len) {
  std::memset(&r, 0, sizeof(r));
  std::memcpy(r.signature, signature, signature_size(scheme));
  std::memcpy(r.public_key, public_key, public_key_size(scheme));
  r.scheme = uint8_t(scheme);
  r.message_len = message_len;
  r.message_offset = message_offset;
}

// The whole body of the verify kernels: 1 when the record's signature is valid.
// kScheme is fixed per kernel so each kernel holds one curve's code only; a
// record of another scheme (a packing bug) is rejected, never verified with
// the wrong curve.
template <Scheme kScheme>
BG_HD uint8_t verify_record(const SigRecord& r, const uint8_t* blob) {
  if (r.scheme != uint8_t(kScheme)) return 0;
  return bg::k::verify_scheme<kScheme>(r.public_key, r.signature, blob + r.message_offset, r.message_len) ? 1 : 0;
}

// verify_record for the record's own scheme byte; 0 for a byte with no row.
BG_HD uint8_t verify_record_any(const SigRecord& r, const uint8_t* blob) {
  return visit_scheme(
      r.scheme, [&](auto tag) { return verify_record<decltype(tag)::value>(r, blob); }, uint8_t(0));
}

// verify_record through a chosen kernel variant (kernels/verify_variant.h);
// variant 1 is verify_record itself.
template <Scheme kScheme, int kVariant>
BG_HD uint8_t verify_record_variant(const SigRecord& r, const uint8_t* blob) {
  if (r.scheme != uint8_t(kScheme)) return 0;
  return bg::k::verify_variant<kScheme, kVariant>(r.public_key, r.signature, blob + r.message_offset,
                                                 r.message_len)
             ? 1
             : 0;
}

// The body of the batched SHA-256 kernel.
BG_HD void hash_record(const MsgRecord& m, const uint8_t* blob, uint8_t out[32]) {
  bg::k::sha256(blob + m.offset, m.len, out);
}

}  // namespace bg::gpu
