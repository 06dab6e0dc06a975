// SegmentWriter: the only code that writes segment bytes after open.
#include "ledger/segment_writer.h"

#include <absl/strings/str_cat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "host/fd.h"
#include "host/status_macros.h"
#include "ledger/record.h"
#include "ledger/scan.h"

namespace bg {
namespace {

// The salt of the first record of segment file `path`: 0 for a legacy
// segment, nullopt when it has no readable first record.
std::optional<uint64_t> first_record_salt(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  uint8_t head[kRecordHeaderSize];
  std::optional<uint64_t> salt;
  if (::pread(fd, head, sizeof head, 0) == ssize_t(sizeof head)) {
    const uint32_t magic = get_u32le(head);
    if (magic == kRecordMagic) {
      salt = 0;
    } else if (magic == kRecordMagicSalted) {
      uint8_t tail[kRecordSaltSize];
      if (::pread(fd, tail, sizeof tail, off_t(kRecordHeaderSize + get_u32le(head + 4))) == ssize_t(sizeof tail))
        salt = get_u64le(tail);
    }
  }
  ::close(fd);
  return salt;
}

}  // namespace

SegmentWriter::SegmentWriter(std::string dir, uint64_t segment_bytes, std::shared_ptr<FileOps> ops,
                             NewSegmentHook hook)
    : dir_(std::move(dir)), segment_bytes_(segment_bytes), ops_(std::move(ops)), hook_(std::move(hook)) {}

SegmentWriter::~SegmentWriter() = default;

absl::Status SegmentWriter::resume(uint32_t index, const std::string& path, uint64_t end) {
  fd_.reset(ops_->open(path.c_str(), O_WRONLY, 0));
  if (!fd_) return absl::UnavailableError(absl::StrCat("ledger: cannot open ", path, ": ", errno_text(errno)));
  segment_ = index;
  end_ = end;
  // Keep writing what the segment holds: the ledger's salt, or legacy
  // records in a segment written before salts (the next segment is salted).
  // An empty segment takes the salt of the one before it.
  std::optional<uint64_t> salt = end > 0 ? first_record_salt(path) : std::nullopt;
  if (!salt && index > 0) {
    salt = first_record_salt(absl::StrCat(dir_, "/", segment_file_name(index - 1)));
    if (salt && *salt == 0) salt.reset();
  }
  salt_ = salt ? *salt : new_record_salt();
  return absl::OkStatus();
}

absl::Status SegmentWriter::start_first() {
  salt_ = new_record_salt();
  bool fatal = false;
  return start_segment(0, &fatal);
}

absl::Status SegmentWriter::start_segment(uint32_t index, bool* fatal) {
  const std::string path = absl::StrCat(dir_, "/", segment_file_name(index));
  UniqueFd fd(ops_->open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644));
  if (!fd) {
    const int e = errno;
    if (e == ENOSPC || e == EDQUOT)
      return absl::ResourceExhaustedError(absl::StrCat("ledger: disk full creating ", path));
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: cannot create ", path, ": ", errno_text(e)));
  }
  if (fsync_directory(*ops_, dir_) != 0) {
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: fsync of directory ", dir_, " failed: ", errno_text(errno)));
  }
  if (absl::Status st = hook_(index, path); !st.ok()) {
    *fatal = true;
    return st;
  }
  fd_ = std::move(fd);
  segment_ = index;
  end_ = 0;
  if (salt_ == 0) salt_ = new_record_salt();  // a legacy ledger's first salted segment
  return absl::OkStatus();
}

absl::StatusOr<SegmentWriter::BatchResult> SegmentWriter::write_batch(std::span<const ByteSpan> blocks,
                                                                      std::vector<RecordLoc>* locs, bool* fatal) {
  *fatal = false;
  // Rotate only between batches: the previous segment's last batch is
  // already fsynced, so every segment but the last is complete.
  if (end_ >= segment_bytes_) {
    BG_RETURN_IF_ERROR(start_segment(segment_ + 1, fatal));
  }
  const uint64_t start = end_;
  buf_.clear();
  locs->clear();
  for (ByteSpan b : blocks) {
    locs->push_back(RecordLoc{segment_, uint32_t(b.size()), start + buf_.size()});
    append_record(buf_, b, start, salt_);
  }
  size_t done = 0;
  while (done < buf_.size()) {
    ssize_t r = ops_->pwrite(fd_.get(), buf_.data() + done, buf_.size() - done, off_t(start + done));
    if (r > 0) {
      done += size_t(r);
      continue;
    }
    const int e = r == 0 ? EIO : errno;
    if (e == ENOSPC || e == EDQUOT) {
      // Nothing of this batch was acknowledged: cut it off so the next batch
      // starts at the durable end again.
      if (ops_->ftruncate(fd_.get(), off_t(start)) != 0) {
        *fatal = true;
        return absl::InternalError(absl::StrCat("ledger: disk full, and truncating the partial write failed: ",
                                                errno_text(errno), "; writer stopped"));
      }
      return absl::ResourceExhaustedError(
          absl::StrCat("ledger: disk full (", errno_text(e), "); ", blocks.size(), " block(s) not written"));
    }
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: write failed: ", errno_text(e), "; writer stopped"));
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (ops_->fdatasync(fd_.get()) != 0) {
    const int e = errno;
    if (e == ENOSPC || e == EDQUOT) {
      // No room to make the batch durable (delayed allocation, thin or
      // network storage). Nothing of it was acknowledged: cut it off, as for
      // a pwrite that hit ENOSPC, and let later batches try again. The bytes
      // before `start` were made durable by earlier fsyncs, so whatever the
      // kernel did with this batch's pages does not matter once it is gone.
      // (Should the process die before the cut reaches the disk, a restart
      // may find the batch whole and keep it: see "Failures" in LEDGER.md.)
      if (ops_->ftruncate(fd_.get(), off_t(start)) != 0) {
        *fatal = true;
        return absl::InternalError(absl::StrCat("ledger: fdatasync found the disk full, and cutting the batch back "
                                                "failed: ", errno_text(errno), "; writer stopped"));
      }
      return absl::ResourceExhaustedError(absl::StrCat("ledger: disk full at fdatasync (", errno_text(e), "); ",
                                                       blocks.size(), " block(s) not written"));
    }
    // Never retried: after a failed fsync the kernel may have dropped the dirty
    // pages, so a later success would prove nothing.
    *fatal = true;
    return absl::InternalError(absl::StrCat("ledger: fdatasync failed: ", errno_text(e), "; writer stopped"));
  }
  BatchResult res;
  res.fsync_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.bytes = buf_.size();
  end_ = start + buf_.size();
  return res;
}

}  // namespace bg
