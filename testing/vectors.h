// The JSON-lines test vectors of tests/vectors (see tests/vectors/README.md).
#pragma once

#include <string>
#include <vector>

namespace bg::testing {

struct VectorLine {
  std::string text;      // the whole JSON line
  std::string expected;  // "valid", "invalid_signature", "malformed", ...
  std::string scheme;
  std::string source;
};

// Every line of testvectors_dir()/file; empty when the file cannot be read.
std::vector<VectorLine> read_vectors(const std::string& file);

}  // namespace bg::testing
