// Chunk planning and packing for the GPU backend (see batch_plan.h).
#include "host/gpu/batch_plan.h"

#include <cstring>
#include <utility>

namespace bg::gpu {

VerifyPlan plan_verify(std::span<const SigItem> items, size_t max_items, size_t max_blob_bytes) {
  if (max_items == 0) max_items = 1;
  VerifyPlan plan;
  // Counting sort by scheme: O(n), stable, no comparisons.
  std::array<size_t, kSchemeCount> start{};
  for (const SigItem& it : items)
    if (is_known_scheme(uint8_t(it.scheme))) ++start[scheme_index(it.scheme)];
  size_t known = 0;
  for (size_t& s : start) known += std::exchange(s, known);  // counts -> first positions
  plan.order.resize(known);
  for (size_t i = 0; i < items.size(); ++i)
    if (is_known_scheme(uint8_t(items[i].scheme))) plan.order[start[scheme_index(items[i].scheme)]++] = uint32_t(i);

  VerifyChunk cur;
  for (size_t k = 0; k < plan.order.size(); ++k) {
    const SigItem& it = items[plan.order[k]];
    bool full = cur.size() == max_items || (cur.size() > 0 && cur.blob_bytes + it.message_len > max_blob_bytes);
    if (full) {
      plan.chunks.push_back(cur);
      cur = VerifyChunk{};
      cur.begin = cur.end = k;
    }
    cur.end = k + 1;
    cur.blob_bytes += it.message_len;
    ++cur.count[scheme_index(it.scheme)];
  }
  if (cur.size() > 0) plan.chunks.push_back(cur);
  return plan;
}

void pack_verify_chunk(std::span<const SigItem> items, const VerifyPlan& plan, const VerifyChunk& chunk,
                       SigRecord* recs, uint8_t* blob) {
  uint64_t off = 0;
  for (size_t k = chunk.begin; k < chunk.end; ++k) {
    const SigItem& it = items[plan.order[k]];
    pack_sig_record(recs[k - chunk.begin], it.scheme, it.public_key, it.signature, off, it.message_len);
    if (it.message_len > 0) std::memcpy(blob + off, it.message, it.message_len);
    off += it.message_len;
  }
}

std::vector<HashChunk> plan_hash(std::span<const ByteSpan> messages, size_t max_items, size_t max_blob_bytes) {
  if (max_items == 0) max_items = 1;
  std::vector<HashChunk> chunks;
  HashChunk cur;
  for (size_t i = 0; i < messages.size(); ++i) {
    size_t len = messages[i].size();
    bool full = cur.size() == max_items || (cur.size() > 0 && cur.blob_bytes + len > max_blob_bytes);
    if (full) {
      chunks.push_back(cur);
      cur = HashChunk{};
      cur.begin = cur.end = i;
    }
    cur.end = i + 1;
    cur.blob_bytes += len;
  }
  if (cur.size() > 0) chunks.push_back(cur);
  return chunks;
}

void pack_hash_chunk(std::span<const ByteSpan> messages, const HashChunk& chunk, MsgRecord* recs, uint8_t* blob) {
  uint64_t off = 0;
  for (size_t i = chunk.begin; i < chunk.end; ++i) {
    const ByteSpan& m = messages[i];
    recs[i - chunk.begin] = MsgRecord{off, uint32_t(m.size()), 0};
    if (!m.empty()) std::memcpy(blob + off, m.data(), m.size());
    off += m.size();
  }
}

}  // namespace bg::gpu
