// Appends write batches to the last segment file: records framed (record.h),
// one pwrite run and one fdatasync per batch, a new segment (its name made
// durable by a directory fsync) once the current one has passed its size
// limit, and a partial write cut back when the disk is full. One thread only:
// the ledger's writer.
#pragma once

#include <absl/status/statusor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "host/bytes.h"
#include "host/fd.h"
#include "ledger/file_ops.h"

namespace bg {

// Where a block's record went.
struct RecordLoc {
  uint32_t segment = 0;
  uint32_t block_bytes = 0;
  uint64_t offset = 0;  // of the record header
};

class SegmentWriter {
 public:
  // Called with each new segment's index and path once its name is durable
  // (the ledger opens a read descriptor there). A failure is fatal.
  using NewSegmentHook = std::function<absl::Status(uint32_t index, const std::string& path)>;

  SegmentWriter(std::string dir, uint64_t segment_bytes, std::shared_ptr<FileOps> ops, NewSegmentHook hook);
  ~SegmentWriter();
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Appends to existing segment `index` from `end` (the end of its last good record).
  absl::Status resume(uint32_t index, const std::string& path, uint64_t end);
  // Creates segment 0 of a new ledger.
  absl::Status start_first();

  struct BatchResult {
    uint64_t bytes = 0;
    double fsync_seconds = 0;
  };
  // Writes the blocks as consecutive records and fdatasyncs once; on success
  // every block is durable and locs[i] says where block i went.
  // ResourceExhausted: the disk is full; nothing of the batch is left in the
  // file and the writer stays usable. Any other error sets *fatal: the
  // writer must not be used again (a failed fsync is never retried).
  absl::StatusOr<BatchResult> write_batch(std::span<const ByteSpan> blocks, std::vector<RecordLoc>* locs,
                                          bool* fatal);

 private:
  absl::Status start_segment(uint32_t index, bool* fatal);

  const std::string dir_;
  const uint64_t segment_bytes_;
  std::shared_ptr<FileOps> ops_;
  NewSegmentHook hook_;
  UniqueFd fd_;
  uint32_t segment_ = 0;
  uint64_t end_ = 0;  // durable end of the current segment
  uint64_t salt_ = 0;  // the ledger's record salt (record.h); 0 while appending to a legacy segment
  Bytes buf_;         // reused: no allocation per batch once it has grown
};

}  // namespace bg
