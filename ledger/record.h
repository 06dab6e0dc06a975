// The on-disk record that frames one block inside a segment file:
//
//   offset    size  field
//   0         4     magic "BGLS" (salted) or "BGLR" (legacy, no salt)
//   4         4     length of the block bytes (u32 LE)
//   8         8     batch_start: offset in this segment of the first record of
//                   the write batch (one fdatasync) this record belongs to
//   16        4     CRC-32C over bytes [4, 16) and the block bytes
//   20        len   the block, Block::encode() (85-byte header ‖ transactions)
//   20+len    8     salted records only: the ledger's record salt (u64 LE)
//
// batch_start is what lets recovery tell a torn tail from older corruption:
// the writer writes batch N+1 only after batch N's fdatasync returned, so a
// good record whose batch starts after a bad record proves the bad one was
// durable, i.e. it is corruption, not a torn write.
//
// Past a bad record, recovery has to search for later records byte by byte,
// and the bytes it searches include transaction payloads, which clients
// choose. The salt is what a client cannot forge: 64 random bits chosen when
// the ledger (or, for a ledger written before salted records, its next
// segment) is created, never served by any API, and the same in every
// record after that. A record found by searching counts only when its salt
// is the ledger's. Legacy "BGLR" segments are still read (and appended to
// until they are full); only they keep the old, forgeable search.
#pragma once

#include <cstdint>

#include "host/bytes.h"

namespace bg {

constexpr uint32_t kRecordMagic = 0x524C4742;        // "BGLR" little-endian: legacy, no salt
constexpr uint32_t kRecordMagicSalted = 0x534C4742;  // "BGLS" little-endian: salted
constexpr size_t kRecordHeaderSize = 20;
constexpr size_t kRecordSaltSize = 8;
// A record longer than this is a corrupt length field, not a block.
constexpr uint32_t kMaxRecordBlockBytes = 1u << 30;

// Appends the framed record for `block_bytes` to `out`: salted when `salt`
// is not 0, legacy otherwise.
void append_record(Bytes& out, ByteSpan block_bytes, uint64_t batch_start, uint64_t salt);

// A fresh random salt (never 0).
uint64_t new_record_salt();

enum class RecordStatus { kOk, kTruncated, kBadMagic, kBadLength, kBadChecksum, kBadSalt };
const char* record_status_name(RecordStatus s);

struct RecordView {
  uint64_t offset = 0;       // of the record header in its segment
  uint64_t batch_start = 0;
  ByteSpan block;            // points into the parsed buffer
  uint64_t salt = 0;         // 0: a legacy record
  uint64_t size() const { return kRecordHeaderSize + block.size() + (salt != 0 ? kRecordSaltSize : 0); }
};

// Parses the record at `offset` of a segment's bytes, checking magic, length
// and checksum, and (with `with_salt`) reading the salt after the block. The
// caller compares the salt with the one it expects. Reading one block by its
// known location needs no salt: with_salt = false.
RecordStatus parse_record(ByteSpan segment, uint64_t offset, RecordView* out, bool with_salt = true);

}  // namespace bg
