// Shared helpers for cross-module tests: reading the shared test vectors and
// running the real blockgate binary.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace bg::testing {

struct VectorLine {
  std::string text;      // the whole JSON line
  std::string expected;  // "valid", "invalid_signature", "malformed", ...
  std::string scheme;
  std::string source;
};

inline std::vector<VectorLine> read_vectors(const std::string& file) {
  std::ifstream in(std::string(BLOCKGATE_TESTVECTORS) + "/" + file);
  std::vector<VectorLine> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto o = boost::json::parse(line).as_object();
    out.push_back({line, std::string(o["expected"].as_string()), std::string(o["scheme"].as_string()),
                   std::string(o["source"].as_string())});
  }
  return out;
}

// Runs a shell command, returns its stdout; *status gets the exit status.
inline std::string run_command(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

inline std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\n', b);
    if (e == std::string::npos) e = s.size();
    lines.push_back(s.substr(b, e - b));
    b = e + 1;
  }
  return lines;
}

}  // namespace bg::testing
