// A fresh directory under $TMPDIR (or /tmp) for one test, removed with
// everything in it when the object goes.
#pragma once

#include <string>

namespace bg::testing {

class TempDir {
 public:
  // Creates $TMPDIR/bg-TAG-XXXXXX; aborts the test binary if it cannot.
  explicit TempDir(const std::string& tag = "test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (not created).
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace bg::testing
