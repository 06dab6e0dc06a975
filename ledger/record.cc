// Record framing and checking.
#include "ledger/record.h"

#include <sys/random.h>

#include <cstdlib>

#include "ledger/crc32c.h"

namespace bg {

void append_record(Bytes& out, ByteSpan block_bytes, uint64_t batch_start, uint64_t salt) {
  const size_t start = out.size();
  put_u32le(out, salt != 0 ? kRecordMagicSalted : kRecordMagic);
  put_u32le(out, uint32_t(block_bytes.size()));
  put_u64le(out, batch_start);
  uint32_t crc = crc32c(out.data() + start + 4, 12);
  crc = crc32c_extend(crc, block_bytes.data(), block_bytes.size());
  put_u32le(out, crc);
  out.insert(out.end(), block_bytes.begin(), block_bytes.end());
  if (salt != 0) put_u64le(out, salt);
}

uint64_t new_record_salt() {
  uint64_t s = 0;
  while (s == 0) {
    if (getrandom(&s, sizeof s, 0) != ssize_t(sizeof s)) std::abort();  // no entropy: nothing sensible to do
  }
  return s;
}

const char* record_status_name(RecordStatus s) {
  switch (s) {
    case RecordStatus::kOk: return "ok";
    case RecordStatus::kTruncated: return "truncated record";
    case RecordStatus::kBadMagic: return "bad record magic";
    case RecordStatus::kBadLength: return "bad record length";
    case RecordStatus::kBadChecksum: return "checksum mismatch";
    case RecordStatus::kBadSalt: return "record salt is not the ledger's";
  }
  return "unknown";
}

RecordStatus parse_record(ByteSpan segment, uint64_t offset, RecordView* out, bool with_salt) {
  if (offset > segment.size() || segment.size() - offset < kRecordHeaderSize) return RecordStatus::kTruncated;
  const uint8_t* p = segment.data() + offset;
  const uint32_t magic = get_u32le(p);
  if (magic != kRecordMagic && magic != kRecordMagicSalted) return RecordStatus::kBadMagic;
  const bool salted = magic == kRecordMagicSalted;
  const uint32_t len = get_u32le(p + 4);
  if (len > kMaxRecordBlockBytes) return RecordStatus::kBadLength;
  const uint64_t need = uint64_t(len) + (salted && with_salt ? kRecordSaltSize : 0);
  if (segment.size() - offset - kRecordHeaderSize < need) return RecordStatus::kTruncated;
  uint32_t crc = crc32c(p + 4, 12);
  crc = crc32c_extend(crc, p + kRecordHeaderSize, len);
  if (crc != get_u32le(p + 16)) return RecordStatus::kBadChecksum;
  out->offset = offset;
  out->batch_start = get_u64le(p + 8);
  out->block = ByteSpan(p + kRecordHeaderSize, len);
  out->salt = 0;
  if (salted) {
    // Without the salt bytes the view still reports a salted record's size.
    out->salt = with_salt ? get_u64le(p + kRecordHeaderSize + len) : ~uint64_t(0);
    if (with_salt && out->salt == 0) return RecordStatus::kBadSalt;
  }
  return RecordStatus::kOk;
}

}  // namespace bg
