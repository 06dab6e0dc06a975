// The repository root as this build spells it, found from this file's own
// __FILE__ (every source of one build is named the same way), so no absolute
// path enters the compile flags and the compiler cache stays shareable.
#include "host/source_path.h"

#include <string_view>

namespace bg {
namespace {

constexpr std::string_view kSelf = "host/source_path.cc";

constexpr std::string_view build_root() {
  std::string_view f = __FILE__;
  if (f.size() < kSelf.size() || f.substr(f.size() - kSelf.size()) != kSelf) return {};
  return f.substr(0, f.size() - kSelf.size());
}

}  // namespace

const char* source_relative(const char* file) {
  constexpr std::string_view root = build_root();
  if (!root.empty() && std::string_view(file).substr(0, root.size()) == root) return file + root.size();
  return file;
}

}  // namespace bg
