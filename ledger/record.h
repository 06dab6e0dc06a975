// The on-disk record that frames one block inside a segment file:
//
//   offset  size  field
//   0       4     magic "BGLR"
//   4       4     length of the block bytes (u32 LE)
//   8       8     batch_start: offset in this segment of the first record of
//                 the write batch (one fdatasync) this record belongs to
//   16      4     CRC-32C over bytes [4, 16) and the block bytes
//   20      len   the block, Block::encode() (85-byte header ‖ transactions)
//
// batch_start is what lets recovery tell a torn tail from older corruption:
// the writer writes batch N+1 only after batch N's fdatasync returned, so a
// good record whose batch starts after a bad record proves the bad one was
// durable, i.e. it is corruption, not a torn write.
#pragma once

#include <cstdint>

#include "host/bytes.h"

namespace bg {

constexpr uint32_t kRecordMagic = 0x524C4742;  // "BGLR" little-endian
constexpr size_t kRecordHeaderSize = 20;
// A record longer than this is a corrupt length field, not a block.
constexpr uint32_t kMaxRecordBlockBytes = 1u << 30;

// Appends the framed record for `block_bytes` to `out`.
void append_record(Bytes& out, ByteSpan block_bytes, uint64_t batch_start);

enum class RecordStatus { kOk, kTruncated, kBadMagic, kBadLength, kBadChecksum };
const char* record_status_name(RecordStatus s);

struct RecordView {
  uint64_t offset = 0;       // of the record header in its segment
  uint64_t batch_start = 0;
  ByteSpan block;            // points into the parsed buffer
  uint64_t size() const { return kRecordHeaderSize + block.size(); }
};

// Parses the record at `offset` of a segment's bytes, checking magic, length
// and checksum.
RecordStatus parse_record(ByteSpan segment, uint64_t offset, RecordView* out);

}  // namespace bg
