// The few system calls the ledger writer makes, behind one small interface so
// tests can inject ENOSPC, short writes and fsync failures at the syscall
// layer while everything else (files, offsets, recovery) stays real.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>

namespace bg {

// Each call mirrors its POSIX namesake: the result, or -1 with errno set.
class FileOps {
 public:
  virtual ~FileOps() = default;
  virtual int open(const char* path, int flags, mode_t mode);
  virtual ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset);
  virtual int fdatasync(int fd);
  virtual int fsync(int fd);  // directories: makes a new segment's name durable
  virtual int ftruncate(int fd, off_t length);
};

// The real system calls; shared, stateless.
std::shared_ptr<FileOps> posix_file_ops();

}  // namespace bg
