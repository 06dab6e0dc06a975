// How a batch is cut to fit the GPU buffers: signature items are grouped by
// scheme (one kernel per curve, so no warp mixes curves) and split into chunks
// bounded by item count and payload bytes; messages to hash likewise. Pure
// host code with no CUDA, so the CPU tests check the packing the GPU reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "host/backend.h"
#include "host/gpu/sig_record.h"

namespace bg::gpu {

struct VerifyChunk {
  size_t begin = 0;         // range [begin, end) of VerifyPlan::order
  size_t end = 0;
  uint64_t blob_bytes = 0;  // payload bytes this chunk packs
  // Records of scheme s occupy [offset(s), offset(s) + count[scheme_index(s)])
  // in the chunk; schemes appear in kSchemes order.
  std::array<uint32_t, kSchemeCount> count{};
  uint32_t offset(Scheme scheme) const {
    uint32_t o = 0;
    for (size_t i = 0; i < scheme_index(scheme); ++i) o += count[i];
    return o;
  }
  size_t size() const { return end - begin; }
};

struct VerifyPlan {
  std::vector<uint32_t> order;  // indices of items with a known scheme, grouped in kSchemes order, stable within a scheme
  std::vector<VerifyChunk> chunks;
};

// A chunk closes at max_items items, or before a payload that would take it
// past max_blob_bytes. A payload larger than max_blob_bytes gets a chunk of its
// own, whose blob_bytes then exceeds the limit: the caller grows its blob.
// Items of an unknown scheme are left out of `order` (their verdict is 0).
VerifyPlan plan_verify(std::span<const SigItem> items, size_t max_items, size_t max_blob_bytes);

// Writes the chunk's records (chunk.size() of them) and payloads (blob_bytes).
void pack_verify_chunk(std::span<const SigItem> items, const VerifyPlan& plan, const VerifyChunk& chunk,
                       SigRecord* recs, uint8_t* blob);

struct HashChunk {
  size_t begin = 0;  // range of messages
  size_t end = 0;
  uint64_t blob_bytes = 0;
  size_t size() const { return end - begin; }
};

// Same limits as plan_verify, over messages in input order.
std::vector<HashChunk> plan_hash(std::span<const ByteSpan> messages, size_t max_items, size_t max_blob_bytes);
void pack_hash_chunk(std::span<const ByteSpan> messages, const HashChunk& chunk, MsgRecord* recs, uint8_t* blob);

}  // namespace bg::gpu
