// Record framing and checking.
#include "ledger/record.h"

#include "ledger/crc32c.h"

namespace bg {

void append_record(Bytes& out, ByteSpan block_bytes, uint64_t batch_start) {
  const size_t start = out.size();
  put_u32le(out, kRecordMagic);
  put_u32le(out, uint32_t(block_bytes.size()));
  put_u64le(out, batch_start);
  uint32_t crc = crc32c(out.data() + start + 4, 12);
  crc = crc32c_extend(crc, block_bytes.data(), block_bytes.size());
  put_u32le(out, crc);
  out.insert(out.end(), block_bytes.begin(), block_bytes.end());
}

const char* record_status_name(RecordStatus s) {
  switch (s) {
    case RecordStatus::kOk: return "ok";
    case RecordStatus::kTruncated: return "truncated record";
    case RecordStatus::kBadMagic: return "bad record magic";
    case RecordStatus::kBadLength: return "bad record length";
    case RecordStatus::kBadChecksum: return "checksum mismatch";
  }
  return "unknown";
}

RecordStatus parse_record(ByteSpan segment, uint64_t offset, RecordView* out) {
  if (offset > segment.size() || segment.size() - offset < kRecordHeaderSize) return RecordStatus::kTruncated;
  const uint8_t* p = segment.data() + offset;
  if (get_u32le(p) != kRecordMagic) return RecordStatus::kBadMagic;
  const uint32_t len = get_u32le(p + 4);
  if (len > kMaxRecordBlockBytes) return RecordStatus::kBadLength;
  if (segment.size() - offset - kRecordHeaderSize < len) return RecordStatus::kTruncated;
  uint32_t crc = crc32c(p + 4, 12);
  crc = crc32c_extend(crc, p + kRecordHeaderSize, len);
  if (crc != get_u32le(p + 16)) return RecordStatus::kBadChecksum;
  out->offset = offset;
  out->batch_start = get_u64le(p + 8);
  out->block = ByteSpan(p + kRecordHeaderSize, len);
  return RecordStatus::kOk;
}

}  // namespace bg
