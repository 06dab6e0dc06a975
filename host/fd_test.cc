// UniqueFd closes exactly once, on every path; errno_text names the error.
#include "host/fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <utility>

namespace bg {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFd, ClosesOnDestruction) {
  int raw;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    raw = fd.get();
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveTransfersOwnershipAndResetCloses) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = a.get();
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());
  EXPECT_EQ(b.get(), raw);
  UniqueFd c;
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_TRUE(is_open(raw));
  errno = ENOSPC;
  c.reset();
  EXPECT_EQ(errno, ENOSPC) << "closing must not clobber the errno a caller is about to report";
  EXPECT_FALSE(is_open(raw));
  EXPECT_FALSE(c.valid());
}

TEST(UniqueFd, ReleaseKeepsTheDescriptorOpen) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = a.release();
  EXPECT_FALSE(a.valid());
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(ErrnoText, NamesTheError) {
  EXPECT_EQ(errno_text(ENOENT), std::strerror(ENOENT));
  EXPECT_FALSE(errno_text(ENOSPC).empty());
}

}  // namespace
}  // namespace bg
