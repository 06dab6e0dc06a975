// File helpers for storage tests: whole-file read/write, content hashes of a
// directory, the ledger's segment files, and a slow-fsync FileOps.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "ledger/file_ops.h"

namespace bg::testing {

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);
// SHA-256 (hex) of every regular file in dir, by file name.
std::map<std::string, std::string> hash_files(const std::string& dir);
// The ledger's segment-* files in dir, sorted.
std::vector<std::string> list_segments(const std::string& dir);

// Real system calls, with a pause after each fdatasync: makes group commit
// deterministic in tests (blocks submitted during the pause share the next one).
class SlowSyncOps : public FileOps {
 public:
  explicit SlowSyncOps(int sleep_ms) : sleep_ms_(sleep_ms) {}
  int fdatasync(int fd) override;
  // fdatasync calls started so far: lets a test wait until a batch is in flight.
  std::atomic<int> calls{0};

 private:
  int sleep_ms_;
};

}  // namespace bg::testing
