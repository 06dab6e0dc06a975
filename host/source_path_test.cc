// Messages name sources relative to the repository, however the build named them.
#include "host/source_path.h"

#include <gtest/gtest.h>

namespace bg {
namespace {

TEST(SourcePath, StripsThisBuildsPathToTheRepository) {
  EXPECT_STREQ(source_relative(__FILE__), "host/source_path_test.cc");
}

TEST(SourcePath, LeavesOtherPathsAlone) {
  EXPECT_STREQ(source_relative("elsewhere/x.cc"), "elsewhere/x.cc");
  EXPECT_STREQ(source_relative(""), "");
}

}  // namespace
}  // namespace bg
