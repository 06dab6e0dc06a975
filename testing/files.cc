// File helpers for storage tests (see files.h).
#include "testing/files.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "host/bytes.h"
#include "host/hash.h"

namespace bg::testing {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

std::map<std::string, std::string> hash_files(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string data = read_file(e.path().string());
    out[e.path().filename().string()] =
        to_hex(sha256(ByteSpan(reinterpret_cast<const uint8_t*>(data.data()), data.size())));
  }
  return out;
}

std::vector<std::string> list_segments(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("segment-", 0) == 0) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int SlowSyncOps::fdatasync(int fd) {
  ++calls;
  const int r = FileOps::fdatasync(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
  return r;
}

}  // namespace bg::testing
