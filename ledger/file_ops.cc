// FileOps: the plain POSIX calls, retrying only EINTR.
#include "ledger/file_ops.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "host/fd.h"

namespace bg {

int FileOps::open(const char* path, int flags, mode_t mode) {
  int fd;
  do fd = ::open(path, flags | O_CLOEXEC, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

ssize_t FileOps::pwrite(int fd, const void* buf, size_t n, off_t offset) {
  ssize_t r;
  do r = ::pwrite(fd, buf, n, offset);
  while (r < 0 && errno == EINTR);
  return r;
}

// No EINTR retry: a failed fsync must never be retried (the kernel may have
// dropped the dirty pages already), and fdatasync does not return EINTR on Linux.
int FileOps::fdatasync(int fd) { return ::fdatasync(fd); }
int FileOps::fsync(int fd) { return ::fsync(fd); }

int FileOps::ftruncate(int fd, off_t length) {
  int r;
  do r = ::ftruncate(fd, length);
  while (r < 0 && errno == EINTR);
  return r;
}

int fsync_directory(FileOps& ops, const std::string& dir) {
  UniqueFd fd(ops.open(dir.c_str(), O_RDONLY | O_DIRECTORY, 0));
  if (!fd) return -1;
  return ops.fsync(fd.get());  // ~UniqueFd keeps errno
}

std::shared_ptr<FileOps> posix_file_ops() {
  static const std::shared_ptr<FileOps> ops = std::make_shared<FileOps>();
  return ops;
}

}  // namespace bg
